"""An artifact version's content as read: its manifest, its stored files (with signed
download URLs), a version by id, and the digest settings the official client asks for."""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType

from runsapi.server import _artifact_storage, _artifacts
from runsapi.server._context import Record, ResolveInfo, connection, context_of, page_size
from runsapi.server._ids import decode_id
from runsapi.server._resolvers._access import can_see_artifact
from runsapi.server._resolvers._artifacts import artifact, membership
from runsapi.server._resolvers._query import query

file = ObjectType("File")
entity = ObjectType("Entity")


@query.field("artifact")
def _artifact_by_id(_: Any, info: ResolveInfo, id: str) -> Record | None:
    context = context_of(info)
    row = decode_id("Artifact", id)
    if not can_see_artifact(context, row):
        return None
    return _artifacts.artifact_by_row(context.conn, row)


@artifact.field("currentManifest")
def _current_manifest(record: Record, info: ResolveInfo) -> Record | None:
    """The uploaded manifest; None until there is one."""
    context = context_of(info)
    manifest = _artifact_storage.manifest_of(context.conn, record["_row"])
    if manifest is None or manifest["md5"] is None:
        return None
    file_record = _artifact_storage.manifest_file(manifest, context.signer(), context.base_url)
    return {"id": manifest["id"], "file": file_record}


@membership.field("files")
def _membership_files(
    record: Record,
    info: ResolveInfo,
    names: list[str | None] | None = None,
    after: str | None = None,
    first: int | None = None,
) -> Record:
    context = context_of(info)
    edges, has_next, total = _artifact_storage.list_files(
        context.conn,
        record["_artifact"]["_row"],
        context.signer(),
        context.base_url,
        names=names,
        after=after,
        first=page_size(first),
    )
    page = connection(edges, has_next, after)
    page["totalCount"] = total
    return page


@file.field("artifact")
def _file_artifact(record: Record, info: ResolveInfo) -> Record | None:
    """The version that first uploaded an artifact file's content, if the viewer may see it."""
    context = context_of(info)
    row = record.get("_birth_row")
    if row is None or not can_see_artifact(context, row):
        return None
    return _artifacts.artifact_by_row(context.conn, row)


@entity.field("xxhashDigestsEnabled")
def _xxhash_digests_enabled(*_: Any) -> bool:
    # Digests here are MD5: the official client then hashes with MD5 (wandb-core re-hashes).
    return False


BINDABLES = (file, entity)
