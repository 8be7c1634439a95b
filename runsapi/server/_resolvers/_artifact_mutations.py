"""Artifact mutations, as the official client's Python and wandb-core send them: create a
version, its manifest and files, commit it; then aliases, updates and deletion. Each runs
in one transaction; the viewer may write what it may see (_access.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ariadne import MutationType

from runsapi._shared.artifact_names import (
    LATEST,
    check_alias,
    check_collection_name,
    check_tag,
    check_type_name,
    is_managed_alias,
)
from runsapi._shared.manifest import base64_to_hex
from runsapi.server import _artifact_storage, _artifact_versions, _artifacts
from runsapi.server._constants import MAX_UPLOAD_BYTES
from runsapi.server._context import (
    Record,
    RequestContext,
    ResolveInfo,
    connection,
    context_of,
)
from runsapi.server._ids import decode_id
from runsapi.server._jsontext import dumps
from runsapi.server._resolvers._access import (
    AccessError,
    can_see_artifact,
    named_run,
    visible_artifact,
    writable_project,
)

mutation = MutationType()

_MD5 = "MANIFEST_MD5"
# TTLs are not kept: every version inherits (W&B's -1), which a client may ask for.
_INHERITED_TTL = -1


def _check_md5(algorithm: str | None) -> None:
    if algorithm not in (None, _MD5):
        raise ValueError(f"this server keeps {_MD5} digests only, not {algorithm}")


def _collection_name(input: Record) -> str:
    single = input.get("artifactCollectionName")
    names = [single] if single else list(input.get("artifactCollectionNames") or [])
    if len(set(names)) != 1:
        raise ValueError(
            "createArtifact needs one collection name: artifactCollectionName, or"
            " artifactCollectionNames with one name"
        )
    return check_collection_name(names[0])


def _aliases_of(collection: str, requested: Iterable[Record]) -> list[str]:
    """The aliases of ArtifactAliasInputs, each for `collection`."""
    aliases = []
    for item in requested:
        if item["artifactCollectionName"] != collection:
            raise ValueError(
                f"alias {item['alias']!r} is for collection {item['artifactCollectionName']!r},"
                f" not {collection!r}"
            )
        aliases.append(check_alias(item["alias"]))
    return aliases


def _tags_of(requested: Iterable[Record] | None) -> list[str]:
    return [check_tag(item["tagName"]) for item in requested or ()]


def _collection_of(context: RequestContext, artifact: Record) -> tuple[str, str, str]:
    """(entity, project, collection) of a version."""
    sequence = _artifacts.sequence(context.conn, artifact["_sequence_row"])
    project = context.project(sequence["_project_row"])
    if project is None:
        raise AccessError(f"artifact {artifact['id']} not found")
    return project["entityName"], project["name"], sequence["name"]


def _require_state(artifact: Record, state: str, doing: str) -> None:
    if artifact["state"] != state:
        raise ValueError(f"cannot {doing}: the artifact version is {artifact['state']}")


def metadata_text(value: Any) -> str:
    """A version's metadata (a JSONString, or an object already decoded) as stored."""
    parsed = value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise ValueError(f"artifact metadata is not JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ValueError("artifact metadata must be a JSON object")
    return dumps(parsed)


@mutation.field("createArtifact")
def _create_artifact(_: Any, info: ResolveInfo, input: Record) -> Record:
    context = context_of(info)
    name = _collection_name(input)
    type_name = check_type_name(input["artifactTypeName"])
    _check_md5(input.get("digestAlgorithm"))
    aliases = _aliases_of(name, input.get("aliases") or ())
    tags = _tags_of(input.get("tags"))
    metadata = "{}" if input.get("metadata") is None else metadata_text(input["metadata"])
    entity, project = input["entityName"], input["projectName"]
    with context.store.write() as conn:
        project_id, _ = writable_project(context, conn, entity, project)
        run = (
            named_run(context, entity, project, input["runName"]) if input.get("runName") else None
        )
        sequence_id = _artifact_versions.ensure_sequence(conn, project_id, name, type_name)
        existing = None
        if input.get("enableDigestDeduplication") is not False:
            existing = _artifact_versions.committed_with_digest(conn, sequence_id, input["digest"])
        if existing is None:
            artifact_id = _artifact_versions.create_version(
                conn,
                sequence_id,
                digest=input["digest"],
                description=input.get("description"),
                metadata=metadata,
                history_step=input.get("historyStep"),
                tag_names=tags,
                aliases=[alias for alias in aliases if alias != LATEST],
            )
        else:  # the same content again: nothing to upload
            artifact_id = existing
            for alias in aliases:
                _artifact_versions.set_alias(conn, artifact_id, alias)
            _artifact_versions.add_tags(conn, artifact_id, tags)
        if run is not None:
            _artifacts.link_artifact(conn, run["_row"], artifact_id, "output", None)
    return {"artifact": _artifacts.artifact_by_row(context.conn, artifact_id)}


def _manifest_payload(context: RequestContext, manifest_id: int) -> Record:
    manifest = _artifact_storage.manifest_by_row(context.conn, manifest_id)
    assert manifest is not None
    file = _artifact_storage.manifest_file(manifest, context.signer(), context.base_url)
    return {"artifactManifest": {"id": manifest["id"], "file": file}}


@mutation.field("createArtifactManifest")
def _create_artifact_manifest(_: Any, info: ResolveInfo, input: Record) -> Record:
    context = context_of(info)
    manifest_type = input.get("type") or "FULL"
    if manifest_type != "FULL":
        raise ValueError(f"this server takes FULL artifact manifests only, not {manifest_type}")
    with context.store.write() as conn:
        artifact = visible_artifact(context, input["artifactID"])
        _require_state(artifact, "PENDING", "create its manifest")
        manifest_id = _artifact_storage.save_manifest(
            conn,
            artifact["_row"],
            name=input["name"],
            digest=input["digest"],
            manifest_type=manifest_type,
        )
    return _manifest_payload(context, manifest_id)


@mutation.field("updateArtifactManifest")
def _update_artifact_manifest(_: Any, info: ResolveInfo, input: Record) -> Record:
    context = context_of(info)
    manifest_id = decode_id("ArtifactManifest", input["artifactManifestID"])
    with context.store.write() as conn:
        manifest = _artifact_storage.manifest_by_row(conn, manifest_id)
        if manifest is None or not can_see_artifact(context, manifest["_artifact_row"]):
            raise AccessError(f"artifact manifest {input['artifactManifestID']} not found")
        artifact = _artifacts.artifact_by_row(conn, manifest["_artifact_row"])
        assert artifact is not None
        _require_state(artifact, "PENDING", "update its manifest")
        if input.get("digest") is not None:
            _artifact_storage.set_manifest_digest(conn, manifest_id, input["digest"])
    return _manifest_payload(context, manifest_id)


@mutation.field("createArtifactFiles")
def _create_artifact_files(_: Any, info: ResolveInfo, input: Record) -> Record:
    context = context_of(info)
    _check_md5(input.get("digestAlgorithm"))
    specs = input["artifactFiles"]
    for spec in specs:
        if spec.get("uploadPartsInput") is not None:
            raise ValueError(
                f"{spec['name']!r}: multipart uploads are not supported; this server takes"
                f" files of up to {MAX_UPLOAD_BYTES:,} bytes in one PUT"
            )
        base64_to_hex(spec["md5"])  # ValueError unless a base64 MD5
    # Registered per version (usually one), then answered in the order asked.
    by_artifact: dict[str, list[int]] = {}
    for position, spec in enumerate(specs):
        by_artifact.setdefault(spec["artifactID"], []).append(position)
    nodes: list[Record | None] = [None] * len(specs)
    with context.store.write() as conn:
        for artifact_id, positions in by_artifact.items():
            artifact = visible_artifact(context, artifact_id)
            _require_state(artifact, "PENDING", "add files")
            records = _artifact_storage.register_files(
                conn,
                artifact["_row"],
                [(specs[position]["name"], specs[position]["md5"]) for position in positions],
                context.signer(),
                context.base_url,
                can_reuse=lambda row: can_see_artifact(context, row),
            )
            for position, record in zip(positions, records, strict=True):
                nodes[position] = record
    files = connection([(node, "") for node in nodes if node is not None], False, None)
    files["totalCount"] = len(nodes)
    return {"files": files}


@mutation.field("commitArtifact")
def _commit_artifact(_: Any, info: ResolveInfo, input: Record) -> Record:
    context = context_of(info)
    with context.store.write() as conn:
        artifact = visible_artifact(context, input["artifactID"])
        _artifact_versions.commit(conn, artifact["_row"])
    return {"artifact": _artifacts.artifact_by_row(context.conn, artifact["_row"])}


def _aliases_for(
    context: RequestContext, artifact: Record, requested: Iterable[Record]
) -> list[str]:
    """The aliases of ArtifactCollectionAliasInputs, each for the version's collection."""
    entity, project, collection = _collection_of(context, artifact)
    aliases = []
    for item in requested:
        target = (item["entityName"], item["projectName"], item["artifactCollectionName"])
        if target != (entity, project, collection):
            raise ValueError(
                f"alias {item['alias']!r} is for {'/'.join(target)}, but the artifact is in"
                f" {entity}/{project}/{collection}"
            )
        aliases.append(item["alias"])
    return aliases


@mutation.field("addAliases")
def _add_aliases(_: Any, info: ResolveInfo, input: Record) -> Record:
    context = context_of(info)
    with context.store.write() as conn:
        artifact = visible_artifact(context, input["artifactID"])
        _require_state(artifact, "COMMITTED", "add aliases")
        for alias in _aliases_for(context, artifact, input["aliases"]):
            _artifact_versions.set_alias(conn, artifact["_row"], check_alias(alias))
    return {"success": True}


@mutation.field("deleteAliases")
def _delete_aliases(_: Any, info: ResolveInfo, input: Record) -> Record:
    context = context_of(info)
    with context.store.write() as conn:
        artifact = visible_artifact(context, input["artifactID"])
        for alias in _aliases_for(context, artifact, input["aliases"]):
            if is_managed_alias(alias):
                raise ValueError(f"the alias {alias!r} cannot be deleted: the server manages it")
            _artifact_versions.remove_alias(conn, artifact["_row"], alias)
    return {"success": True}


@mutation.field("updateArtifact")
def _update_artifact(_: Any, info: ResolveInfo, input: Record) -> Record:
    context = context_of(info)
    fields: Record = {}
    if "description" in input:
        fields["description"] = input["description"]
    if input.get("metadata") is not None:
        fields["metadata"] = metadata_text(input["metadata"])
    if input.get("ttlDurationSeconds") not in (None, _INHERITED_TTL):
        raise ValueError("this server keeps no artifact TTLs: every version inherits (-1)")
    to_add, to_delete = _tags_of(input.get("tagsToAdd")), _tags_of(input.get("tagsToDelete"))
    with context.store.write() as conn:
        artifact = visible_artifact(context, input["artifactID"])
        row = artifact["_row"]
        _artifact_versions.update_version(conn, row, fields)
        _artifact_versions.add_tags(conn, row, to_add)
        _artifact_versions.remove_tags(conn, row, to_delete)
        if input.get("aliases") is not None:
            _require_state(artifact, "COMMITTED", "set aliases")
            _, _, collection = _collection_of(context, artifact)
            wanted = _aliases_of(collection, input["aliases"])
            for alias in _artifact_versions.alias_names(conn, row):
                if not is_managed_alias(alias) and alias not in wanted:
                    _artifact_versions.remove_alias(conn, row, alias)
            for alias in wanted:
                _artifact_versions.set_alias(conn, row, alias)
    return {"artifact": _artifacts.artifact_by_row(context.conn, row)}


@mutation.field("deleteArtifact")
def _delete_artifact(_: Any, info: ResolveInfo, input: Record) -> Record:
    context = context_of(info)
    with context.store.write() as conn:
        artifact = visible_artifact(context, input["artifactID"])
        held = [
            alias
            for alias in _artifact_versions.alias_names(conn, artifact["_row"])
            if not is_managed_alias(alias)
        ]
        if held and not input.get("deleteAliases"):
            raise ValueError(
                f"the artifact version has aliases {', '.join(held)}: delete them first, or"
                " pass deleteAliases: true"
            )
        _artifact_versions.delete_versions(conn, [artifact["_row"]])
    return {"artifact": artifact}


BINDABLES = (mutation,)
