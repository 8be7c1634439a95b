"""Finding what a mutation touches, as the viewer may: each lookup fails with AccessError
when the thing does not exist or the viewer may not see it (indistinguishable, so that
names in other entities do not leak). A viewer may write whatever it may see."""

from __future__ import annotations

import sqlite3

from runsapi.server import _accounts, _artifacts, _projects, _runs
from runsapi.server._context import Record, RequestContext
from runsapi.server._ids import decode_id


class AccessError(LookupError):
    """The thing named does not exist, or the viewer may not touch it (indistinguishable)."""


def visible_run(context: RequestContext, storage_id: str) -> Record:
    run = _runs.run_by_row(context.conn, decode_id("Run", storage_id))
    if run is None or context.project(run["_project_row"]) is None:
        raise AccessError(f"run {storage_id} not found")
    return run


def named_run(context: RequestContext, entity: str, project: str, name: str) -> Record:
    run = _runs.find_visible_run(context.conn, context.viewer, entity, project, name)
    if run is None:
        raise AccessError(f"run {entity}/{project}/{name} not found")
    return run


def writable_project(
    context: RequestContext, conn: sqlite3.Connection, entity: str | None, name: str
) -> tuple[int, bool]:
    """(project id, inserted): the project of a visible entity, created if missing."""
    entity_id = _accounts.visible_entity(conn, context.viewer, entity)
    if entity_id is None:
        raise AccessError(f"entity {entity} not found")
    return _projects.ensure_project(conn, entity_id, name, context.viewer.user_id)


def can_see_artifact(context: RequestContext, artifact_row: int) -> bool:
    owner = _artifacts.artifact_owner(context.conn, artifact_row)
    return owner is not None and context.can_see(owner)


def visible_artifact(context: RequestContext, artifact_id: str) -> Record:
    """The version with this GraphQL id."""
    record = _artifacts.artifact_by_row(context.conn, decode_id("Artifact", artifact_id))
    if record is None or not can_see_artifact(context, record["_row"]):
        raise AccessError(f"artifact {artifact_id} not found")
    return record
