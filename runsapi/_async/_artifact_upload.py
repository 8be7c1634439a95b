"""Logging an artifact version, with the operations and order W&B's own SDK uses.

1. `createArtifact` with the manifest digest: a COMMITTED answer means the collection
   already has this content (nothing to upload; the run is linked to that version);
2. `createArtifactManifest`, then `createArtifactFiles` in batches: a file without an
   upload URL is content the server already stores;
3. the missing files are PUT concurrently, each hashed again as it is read;
4. the manifest (with each entry's birth artifact) is uploaded, and `commitArtifact`
   numbers the version once the server has checked every file against it.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from runsapi._async import _backend
from runsapi._exceptions import NotFoundError, ResponseValidationError, UsageError
from runsapi._json import encode
from runsapi._local_files import absolute_url, upload_headers
from runsapi._paths import RunPath
from runsapi._shared.manifest import MANIFEST_FILE_NAME, ManifestEntry, dump_manifest, md5_base64
from runsapi.artifact_draft import ArtifactDraft

if TYPE_CHECKING:
    from runsapi._async._gql import ArtifactData, CreateArtifactManifestInput, CreatedManifestData
    from runsapi._async._session import AsyncSession

# Files registered per createArtifactFiles request.
FILES_PER_REQUEST = 100
UPLOAD_CHUNK_BYTES = 1 << 20


async def create_version(
    session: AsyncSession,
    run: RunPath,
    *,
    collection: str,
    type_name: str,
    digest: str,
    description: str | None,
    metadata: str | None,
    aliases: Sequence[str],
    tags: Sequence[str],
) -> ArtifactData:
    """`createArtifact`: a new PENDING version, or the COMMITTED one with this digest."""
    from runsapi._async._gql import (  # noqa: PLC0415 (loaded with the first Api)
        ArtifactAliasInput,
        ArtifactDigestAlgorithm,
        CreateArtifactInput,
        TagInput,
    )

    created = (
        await session.gql.create_artifact(
            CreateArtifactInput(
                entityName=run.entity,
                projectName=run.project,
                artifactTypeName=type_name,
                artifactCollectionName=collection,
                runName=run.run_id,
                digest=digest,
                digestAlgorithm=ArtifactDigestAlgorithm.MANIFEST_MD5,
                description=description,
                metadata=metadata,
                aliases=[
                    ArtifactAliasInput(alias=alias, artifactCollectionName=collection)
                    for alias in dict.fromkeys(["latest", *aliases])
                ],
                tags=[TagInput(tagName=tag) for tag in tags],
                enableDigestDeduplication=True,
            )
        )
    ).create_artifact
    if created is None:
        raise NotFoundError(f"could not create artifact {collection} in {run}", path=str(run))
    return created.artifact


async def log_draft(
    session: AsyncSession,
    run: RunPath,
    draft: ArtifactDraft,
    *,
    aliases: Sequence[str],
    tags: Sequence[str],
    max_workers: int,
) -> ArtifactData:
    """Log `draft` as a new version of its collection, output of `run` (see the module
    docstring); returns the committed version."""
    from runsapi._async._gql import (  # noqa: PLC0415 (loaded with the first Api)
        ArtifactState,
        CreateArtifactManifestInput,
    )

    artifact = await create_version(
        session,
        run,
        collection=draft.name,
        type_name=draft.type,
        digest=draft.digest,
        description=draft.description,
        metadata=encode(draft.metadata),
        aliases=aliases,
        tags=tags,
    )
    if artifact.state == ArtifactState.COMMITTED:
        return artifact

    def manifest_input(digest: str) -> CreateArtifactManifestInput:
        return CreateArtifactManifestInput(
            artifactID=artifact.id,
            name=MANIFEST_FILE_NAME,
            digest=digest,
            entityName=run.entity,
            projectName=run.project,
            runName=run.run_id,
        )

    gql = session.gql
    manifest = await _create_manifest(session, manifest_input(""))
    births = await _upload_files(session, draft, artifact.id, manifest.id, max_workers=max_workers)
    entries = [
        dataclasses.replace(entry, birth_artifact_id=births.get(entry.path))
        for entry in draft.entries
    ]
    content = dump_manifest(entries)
    target = (await _create_manifest(session, manifest_input(md5_base64(content)))).file
    if not target.upload_url:
        raise ResponseValidationError(
            f"no upload URL for the manifest of {draft.name}",
            operation="CreateArtifactManifest",
            error=None,
        )
    await gql.upload(
        absolute_url(session.settings.base_url, target.upload_url),
        content,
        upload_headers(target.upload_headers or []),
    )
    committed = (await gql.commit_artifact(id=artifact.id)).commit_artifact
    if committed is None:
        raise NotFoundError(f"artifact {draft.name} vanished before its commit")
    return committed.artifact


async def _create_manifest(
    session: AsyncSession, given: CreateArtifactManifestInput
) -> CreatedManifestData:
    created = (await session.gql.create_artifact_manifest(given)).create_artifact_manifest
    if created is None:
        raise NotFoundError("the server did not create the artifact's manifest")
    return created.artifact_manifest


async def _upload_files(
    session: AsyncSession,
    draft: ArtifactDraft,
    artifact_id: str,
    manifest_id: str,
    *,
    max_workers: int,
) -> dict[str, str]:
    """Register the draft's files and PUT those the server lacks; returns each path's
    birth artifact (the version that first stored its content)."""
    from runsapi._async._gql import (  # noqa: PLC0415 (loaded with the first Api)
        ArtifactDigestAlgorithm,
        ArtifactStorageLayout,
        CreateArtifactFilesInput,
        CreateArtifactFileSpecInput,
    )

    stored = [entry for entry in draft.entries if not entry.is_reference]
    births: dict[str, str] = {}
    puts: list[tuple[ManifestEntry, str, dict[str, str]]] = []
    for start in range(0, len(stored), FILES_PER_REQUEST):
        batch = stored[start : start + FILES_PER_REQUEST]
        created = (
            await session.gql.create_artifact_files(
                CreateArtifactFilesInput(
                    artifactFiles=[
                        CreateArtifactFileSpecInput(
                            artifactID=artifact_id,
                            artifactManifestID=manifest_id,
                            name=entry.path,
                            md5=entry.digest,
                        )
                        for entry in batch
                    ],
                    storageLayout=ArtifactStorageLayout.V2,
                    digestAlgorithm=ArtifactDigestAlgorithm.MANIFEST_MD5,
                )
            )
        ).create_artifact_files
        edges = created.files.edges if created else []
        if len(edges) != len(batch):
            raise ResponseValidationError(
                f"asked for {len(batch)} upload URLs, got {len(edges)}",
                operation="CreateArtifactFiles",
                error=None,
            )
        for entry, edge in zip(batch, edges, strict=True):
            node = edge.node
            if node is None:
                raise ResponseValidationError(
                    f"no upload answer for {entry.path}",
                    operation="CreateArtifactFiles",
                    error=None,
                )
            births[entry.path] = node.artifact.id if node.artifact else artifact_id
            if node.upload_url:
                url = absolute_url(session.settings.base_url, node.upload_url)
                puts.append((entry, url, upload_headers(node.upload_headers or [])))

    async def put(job: tuple[ManifestEntry, str, dict[str, str]]) -> None:
        entry, url, headers = job
        body = _FileBody(draft.source(entry.path), entry)
        await session.gql.upload(url, body, {**headers, "Content-Length": str(body.size)})

    await _backend.run_all(put, puts, max_workers=max_workers)
    return births


class _FileBody:
    """A file's bytes for an upload, streamed a chunk at a time and hashed as they go,
    so that a file changed since it was added is refused rather than stored under a
    digest it no longer has. Iterable again, for a retry."""

    def __init__(self, source: Path, entry: ManifestEntry) -> None:
        self.source = source
        self.entry = entry
        self.size = entry.size or 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        digest = hashlib.md5(usedforsecurity=False)
        sent = 0
        with self.source.open("rb") as handle:
            for chunk in iter(lambda: handle.read(UPLOAD_CHUNK_BYTES), b""):
                sent += len(chunk)
                if sent > self.size:
                    raise self._changed()
                digest.update(chunk)
                yield chunk
        if sent != self.size or base64.b64encode(digest.digest()).decode() != self.entry.digest:
            raise self._changed()

    def _changed(self) -> UsageError:
        return UsageError(
            f"{self.source} changed after it was added as {self.entry.path!r};"
            " add it again to log it"
        )
