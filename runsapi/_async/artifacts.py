"""Artifacts: versions, their collections (sequences) and types, and looking them up."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runsapi._async import _backend
from runsapi._async._pagination import AsyncPaginator
from runsapi._async.artifact_files import (
    FILES_PER_PAGE,
    AsyncArtifactFile,
    VersionAddress,
    download_version,
    list_files,
)
from runsapi._constants import DEFAULT_DOWNLOAD_WORKERS
from runsapi._exceptions import NotFoundError, UsageError
from runsapi._json import decode_object, encode
from runsapi._pages import Page, page_of
from runsapi._paths import ArtifactPath, ProjectPath, RunPath
from runsapi._results import run_of
from runsapi._shared.artifact_names import check_alias, check_tag, is_version_alias
from runsapi._time import as_utc
from runsapi.artifact_draft import checked

if TYPE_CHECKING:
    from runsapi._async._gql import (
        ArtifactCollectionData,
        ArtifactData,
        ArtifactLineageData,
        ArtifactTypeData,
    )
    from runsapi._async._session import AsyncSession as _Session
    from runsapi._async.run import AsyncRun


def _when(value: datetime | None) -> datetime:
    moment = as_utc(value)
    assert moment is not None
    return moment


def _check_each(values: object, check: Callable[[str], str], what: str) -> list[str]:
    """`values` (a list, not a string) with each checked by a rule of
    _shared/artifact_names.py; duplicates dropped."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise UsageError(f"{what} must be a list of strings, got {values!r}")
    return list(dict.fromkeys(checked(check, value, f"each of {what}") for value in values))


def check_aliases(aliases: object) -> list[str]:
    """Aliases users may set: none of them a version (`v3`), which the server assigns."""
    return _check_each(aliases, check_alias, "aliases")


def check_tags(tags: object) -> list[str]:
    return _check_each(tags, check_tag, "tags")


class AsyncArtifact:
    """An artifact version: `collection:vN` of a project.

    `description`, `metadata`, `aliases` and `tags` can be edited and are saved by
    `save()`; `download()` fetches the files, `logged_by()`/`used_by()` give the lineage.
    """

    def __init__(self, session: _Session, data: ArtifactData) -> None:
        self._session = session
        self._lock = _backend.RLock()
        self._set(data)

    def _set(self, data: ArtifactData) -> None:
        with self._lock:
            self._data = data
            self.description: str | None = data.description
            self.metadata: dict[str, Any] = decode_object(
                data.metadata, what=f"metadata of artifact {self.name}"
            )
            self.aliases: list[str] = self._saved_aliases()
            """The version's aliases other than its version (`latest`, `best`, ...)."""
            self.tags: list[str] = self._saved_tags()

    def _saved_aliases(self) -> list[str]:
        return [a.alias for a in self._data.aliases if not is_version_alias(a.alias)]

    def _saved_tags(self) -> list[str]:
        return [tag.name for tag in self._data.tags]

    @property
    def id(self) -> str:
        return self._data.id

    @property
    def collection(self) -> str:
        return self._data.artifact_sequence.name

    @property
    def version(self) -> str:
        """`vN` (`pending` before the version is committed)."""
        index = self._data.version_index
        return f"v{index}" if index is not None else "pending"

    @property
    def name(self) -> str:
        """`collection:vN`."""
        return f"{self.collection}:{self.version}"

    @property
    def type(self) -> str:
        return self._data.artifact_type.name

    @property
    def entity(self) -> str:
        project = self._data.artifact_sequence.project
        return project.entity_name if project else ""

    @property
    def project(self) -> str:
        project = self._data.artifact_sequence.project
        return project.name if project else ""

    @property
    def qualified_name(self) -> str:
        """`entity/project/collection:vN`."""
        return f"{self.entity}/{self.project}/{self.name}"

    @property
    def size(self) -> int:
        """Bytes of its stored files."""
        return self._data.size

    @property
    def digest(self) -> str:
        """W&B's manifest digest: equal digests, equal contents."""
        return self._data.digest

    @property
    def state(self) -> str:
        """`COMMITTED`, `PENDING` or `DELETED`."""
        return self._data.state.value

    @property
    def file_count(self) -> int:
        return self._data.file_count

    @property
    def history_step(self) -> int | None:
        return self._data.history_step

    @property
    def created_at(self) -> datetime:
        return _when(self._data.created_at)

    @property
    def updated_at(self) -> datetime:
        return as_utc(self._data.updated_at) or self.created_at

    def __repr__(self) -> str:
        return f"<Artifact {self.qualified_name} ({self.type})>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AsyncArtifact) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    # -- files --------------------------------------------------------------------------

    def _address(self) -> VersionAddress:
        return VersionAddress(self.id, self.entity, self.project, self.collection, self.version)

    def files(
        self, names: Sequence[str] | None = None, per_page: int = FILES_PER_PAGE
    ) -> AsyncPaginator[AsyncArtifactFile]:
        """The stored files (only `names`, when given), in path order."""
        return list_files(self._session, self._address(), names=names, per_page=per_page)

    async def file(self, name: str) -> AsyncArtifactFile:
        """The stored file at path `name`."""
        for found in await self.files(names=[name]).load_all():
            return found
        raise NotFoundError(f"artifact {self.qualified_name} has no file {name!r}", path=name)

    async def download(
        self,
        root: str | os.PathLike[str] | None = None,
        path_prefix: str | None = None,
        *,
        skip_cache: bool = False,
        allow_missing_references: bool = False,
        max_workers: int = DEFAULT_DOWNLOAD_WORKERS,
        progress: bool | None = None,
    ) -> str:
        """Download the files (those under `path_prefix`) into `root` (default
        `./artifacts/<collection>:<version>`) and return its path.

        Files already there with the right content are kept, the rest come from the
        shared cache or the server, each checked against the manifest's MD5 before it is
        renamed into place; `file://` and `http(s)://` references are fetched too.
        """
        target = Path(root) if root is not None else self._default_root()
        await download_version(
            self._session,
            self._address(),
            target,
            path_prefix=path_prefix,
            skip_cache=skip_cache,
            allow_missing_references=allow_missing_references,
            max_workers=max_workers,
            progress=progress,
        )
        return str(target)

    def _default_root(self) -> Path:
        # `:` is not allowed in Windows file names.
        name = self.name.replace(":", "-") if os.name == "nt" else self.name
        return self._session.settings.artifact_dir / name

    # -- lineage ------------------------------------------------------------------------

    async def logged_by(self) -> AsyncRun | None:
        """The run that logged this version (None when no run did)."""
        # Imported here: run.py imports this module (a run lists its artifacts).
        from runsapi._async.run import AsyncRun  # noqa: PLC0415

        creator = (await self._lineage()).created_by
        if creator is None or creator.typename__ != "Run" or creator.project is None:
            return None
        where = ProjectPath(creator.project.entity_name, creator.project.name)
        return AsyncRun(self._session, where, creator)

    async def used_by(self) -> list[AsyncRun]:
        """The runs that declared this version an input."""
        from runsapi._async.run import AsyncRun  # noqa: PLC0415 (see logged_by)

        lineage = await self._lineage()
        return [
            AsyncRun(self._session, ProjectPath(node.project.entity_name, node.project.name), node)
            for edge in lineage.used_by.edges
            if (node := edge.node).project is not None
        ]

    async def _lineage(self) -> ArtifactLineageData:
        found = (
            await self._session.gql.artifact_lineage(
                entity=self.entity, project=self.project, name=self.name
            )
        ).project
        if found is None or found.artifact is None:
            raise NotFoundError(f"artifact {self.qualified_name} not found")
        return found.artifact

    # -- changes ------------------------------------------------------------------------

    async def save(self) -> None:
        """Save edits of `description`, `metadata`, `aliases` and `tags` (checked before
        any request), then adopt what the server holds."""
        from runsapi._async._gql import (  # noqa: PLC0415 (loaded with the first Api)
            AddAliasesInput,
            ArtifactCollectionAliasInput,
            DeleteAliasesInput,
            TagInput,
            UpdateArtifactInput,
        )

        async with self._lock:
            aliases = check_aliases(self.aliases)
            tags = check_tags(self.tags)
            if self.description is not None and not isinstance(self.description, str):
                raise UsageError(f"description must be a string or None: {self.description!r}")
            metadata = encode(self.metadata)
            gql = self._session.gql

            def collection_aliases(names: list[str]) -> list[ArtifactCollectionAliasInput]:
                return [
                    ArtifactCollectionAliasInput(
                        alias=name,
                        artifactCollectionName=self.collection,
                        entityName=self.entity,
                        projectName=self.project,
                    )
                    for name in names
                ]

            saved = self._saved_aliases()
            added = [alias for alias in aliases if alias not in saved]
            removed = [alias for alias in saved if alias not in aliases]
            if added:
                await gql.add_artifact_aliases(
                    AddAliasesInput(artifactID=self.id, aliases=collection_aliases(added))
                )
            if removed:
                await gql.delete_artifact_aliases(
                    DeleteAliasesInput(artifactID=self.id, aliases=collection_aliases(removed))
                )
            saved_tags = self._saved_tags()
            updated = (
                await gql.update_artifact(
                    UpdateArtifactInput(
                        artifactID=self.id,
                        description=self.description,
                        metadata=metadata,
                        tagsToAdd=[TagInput(tagName=tag) for tag in tags if tag not in saved_tags],
                        tagsToDelete=[
                            TagInput(tagName=tag) for tag in saved_tags if tag not in tags
                        ],
                    )
                )
            ).update_artifact
            if updated is None:
                raise NotFoundError(f"artifact {self.qualified_name} not found")
            self._set(updated.artifact)

    async def delete(self, delete_aliases: bool = False) -> None:
        """Delete this version. One holding aliases other than `latest` is refused by the
        server unless `delete_aliases`."""
        await self._session.gql.delete_artifact(id=self.id, delete_aliases=delete_aliases)


@dataclass(frozen=True)
class AsyncArtifactType:
    """A kind of artifact in a project (`dataset`, `model`, ...)."""

    id: str
    name: str
    description: str | None
    created_at: datetime
    entity: str
    project: str
    _session: _Session = field(repr=False, compare=False)

    @classmethod
    def _from(
        cls, data: ArtifactTypeData, path: ProjectPath, session: _Session
    ) -> AsyncArtifactType:
        return cls(
            id=data.id,
            name=data.name,
            description=data.description,
            created_at=_when(data.created_at),
            entity=path.entity,
            project=path.project,
            _session=session,
        )

    def collections(self, per_page: int = 50) -> AsyncPaginator[AsyncArtifactCollection]:
        """The collections of this type, oldest first."""
        return list_collections(
            self._session, ProjectPath(self.entity, self.project), self.name, per_page=per_page
        )

    async def collection(self, name: str) -> AsyncArtifactCollection:
        """The collection `name` of this type."""
        return await find_collection(
            self._session, ProjectPath(self.entity, self.project), self.name, name
        )


@dataclass(frozen=True)
class AsyncArtifactCollection:
    """A named sequence of artifact versions (`name:v0`, `name:v1`, ...)."""

    id: str
    name: str
    type: str
    description: str | None
    created_at: datetime
    updated_at: datetime | None
    tags: tuple[str, ...]
    entity: str
    project: str
    _session: _Session = field(repr=False, compare=False)

    @classmethod
    def _from(cls, data: ArtifactCollectionData, session: _Session) -> AsyncArtifactCollection:
        if data.project is None:
            raise NotFoundError(f"artifact collection {data.name} has no project")
        return cls(
            id=data.id,
            name=data.name,
            type=data.default_artifact_type.name,
            description=data.description,
            created_at=_when(data.created_at),
            updated_at=as_utc(data.updated_at),
            tags=tuple(edge.node.name for edge in data.tags.edges),
            entity=data.project.entity_name,
            project=data.project.name,
            _session=session,
        )

    def artifacts(
        self, per_page: int = 50, tags: str | Sequence[str] | None = None
    ) -> AsyncPaginator[AsyncArtifact]:
        """The versions of this collection, oldest first (only those with all of `tags`)."""
        path = ProjectPath(self.entity, self.project)
        return list_versions(self._session, path, self.type, self.name, per_page, tags)

    def versions(self, per_page: int = 50) -> AsyncPaginator[AsyncArtifact]:
        """The versions of this collection, oldest first."""
        return self.artifacts(per_page=per_page)


async def find_artifact(
    session: _Session, path: ArtifactPath, type: str | None = None
) -> AsyncArtifact:
    """The version `path` names; NotFoundError if none (or not of `type`, when given)."""
    found = (
        await session.gql.artifact_by_name(entity=path.entity, project=path.project, name=path.name)
    ).project
    if found is None or found.artifact is None:
        raise NotFoundError(f"artifact {path} not found", path=str(path))
    artifact = AsyncArtifact(session, found.artifact)
    if type is not None and artifact.type != type:
        raise NotFoundError(
            f"artifact {path} is of type {artifact.type!r}, not {type!r}", path=str(path)
        )
    return artifact


async def find_type(session: _Session, project: ProjectPath, name: str) -> AsyncArtifactType:
    found = (
        await session.gql.artifact_type_by_name(
            entity=project.entity, project=project.project, type_=name
        )
    ).project
    if found is None or found.artifact_type is None:
        raise NotFoundError(f"artifact type {name!r} not found in {project}", path=str(project))
    return AsyncArtifactType._from(found.artifact_type, project, session)


def list_types(
    session: _Session, project: ProjectPath, per_page: int
) -> AsyncPaginator[AsyncArtifactType]:
    async def fetch(cursor: str | None, size: int) -> Page[ArtifactTypeData]:
        found = (
            await session.gql.project_artifact_type_list(
                entity=project.entity, project=project.project, cursor=cursor, per_page=size
            )
        ).project
        if found is None:
            raise NotFoundError(f"project {project} not found", path=str(project))
        return page_of(found.artifact_types)

    return AsyncPaginator(
        fetch=fetch,
        convert=lambda nodes: [AsyncArtifactType._from(node, project, session) for node in nodes],
        identity=lambda kind: kind.id,
        per_page=per_page,
        what="artifact types",
    )


async def find_collection(
    session: _Session, project: ProjectPath, type_name: str, name: str
) -> AsyncArtifactCollection:
    found = (
        await session.gql.artifact_collection_by_name(
            entity=project.entity, project=project.project, type_=type_name, name=name
        )
    ).project
    kind = found.artifact_type if found else None
    if kind is None or kind.artifact_collection is None:
        raise NotFoundError(
            f"artifact collection {project}/{name} of type {type_name!r} not found",
            path=f"{project}/{name}",
        )
    return AsyncArtifactCollection._from(kind.artifact_collection, session)


def list_collections(
    session: _Session, project: ProjectPath, type_name: str, *, per_page: int
) -> AsyncPaginator[AsyncArtifactCollection]:
    async def fetch(cursor: str | None, size: int) -> Page[ArtifactCollectionData]:
        found = (
            await session.gql.type_artifact_collections(
                entity=project.entity,
                project=project.project,
                type_=type_name,
                cursor=cursor,
                per_page=size,
            )
        ).project
        kind = found.artifact_type if found else None
        if kind is None:
            raise NotFoundError(
                f"artifact type {type_name!r} not found in {project}", path=str(project)
            )
        listed = kind.artifact_collections
        return page_of(listed, total=listed.total_count if listed else 0)

    return AsyncPaginator(
        fetch=fetch,
        convert=lambda nodes: [AsyncArtifactCollection._from(node, session) for node in nodes],
        identity=lambda collection: collection.id,
        per_page=per_page,
        what="artifact collections",
    )


def list_versions(
    session: _Session,
    project: ProjectPath,
    type_name: str,
    collection: str,
    per_page: int,
    tags: str | Sequence[str] | None = None,
) -> AsyncPaginator[AsyncArtifact]:
    """A collection's versions, oldest first; with `tags`, only those that have all of
    them (filtered here, as the official client does, so `len()` loads every page)."""
    wanted = {tags} if isinstance(tags, str) else set(tags or ())

    async def fetch(cursor: str | None, size: int) -> Page[ArtifactData]:
        found = (
            await session.gql.collection_artifacts(
                entity=project.entity,
                project=project.project,
                type_=type_name,
                collection=collection,
                cursor=cursor,
                per_page=size,
            )
        ).project
        kind = found.artifact_type if found else None
        if kind is None or kind.artifact_collection is None:
            raise NotFoundError(
                f"artifact collection {project}/{collection} of type {type_name!r} not found",
                path=f"{project}/{collection}",
            )
        listed = kind.artifact_collection.artifacts
        total = listed.total_count if listed and not wanted else None
        return page_of(listed, total=0 if listed is None else total)

    def convert(nodes: Sequence[ArtifactData]) -> list[AsyncArtifact]:
        found = [AsyncArtifact(session, node) for node in nodes]
        return [artifact for artifact in found if wanted <= set(artifact.tags)]

    return AsyncPaginator(
        fetch=fetch,
        convert=convert,
        identity=lambda artifact: artifact.id,
        per_page=per_page,
        what="artifacts",
    )


def run_artifacts(
    session: _Session, run: RunPath, *, used: bool, per_page: int
) -> AsyncPaginator[AsyncArtifact]:
    """The artifacts `run` logged (or, with `used`, declared as inputs)."""
    gql = session.gql
    where = (run.entity, run.project, run.run_id)

    async def fetch(cursor: str | None, size: int) -> Page[ArtifactData]:
        if used:
            inputs = (await gql.run_input_artifacts(*where, cursor=cursor, per_page=size)).project
            found = run_of(inputs, str(run)).artifacts
            return page_of(found, total=found.total_count if found else 0)
        outputs = (await gql.run_output_artifacts(*where, cursor=cursor, per_page=size)).project
        logged = run_of(outputs, str(run)).artifacts
        return page_of(logged, total=logged.total_count if logged else 0)

    return AsyncPaginator(
        fetch=fetch,
        convert=lambda nodes: [AsyncArtifact(session, node) for node in nodes],
        identity=lambda artifact: artifact.id,
        per_page=per_page,
        what="artifacts",
    )
