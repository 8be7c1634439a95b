"""Query root, users, projects and sweeps."""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType, QueryType

from runsapi.server import _accounts, _runs
from runsapi.server._constants import SERVER_FEATURES
from runsapi.server._context import Record, ResolveInfo, connection, context_of, page_size
from runsapi.server._ids import decode_row_cursor, encode_cursor, encode_id

query = QueryType()
user = ObjectType("User")
project = ObjectType("Project")
sweep = ObjectType("Sweep")


@query.field("viewer")
def _viewer(_: Any, info: ResolveInfo) -> Record | None:
    context = context_of(info)
    return context.user(context.viewer.user_id)


@query.field("project")
@query.field("model")
def _project(
    _: Any, info: ResolveInfo, name: str | None = None, entityName: str | None = None
) -> Record | None:
    context = context_of(info)
    entity = _accounts.visible_entity(context.conn, context.viewer, entityName)
    if entity is None or name is None:
        return None
    found = _accounts.find_project(context.conn, entity, name)
    return None if found is None else context.project(found)


@query.field("models")
def _models(
    _: Any,
    info: ResolveInfo,
    entityName: str | None = None,
    after: str | None = None,
    first: int | None = None,
) -> Record | None:
    context = context_of(info)
    entity = _accounts.visible_entity(context.conn, context.viewer, entityName)
    if entity is None:
        return None
    size = page_size(first)
    rows = context.conn.execute(
        "SELECT id FROM projects WHERE entity_id = ? AND id > ? ORDER BY id LIMIT ?",
        (entity, decode_row_cursor(after), size + 1),
    ).fetchall()
    edges = [(context.project(row_id), encode_cursor(row_id)) for (row_id,) in rows[:size]]
    return connection([(node, cursor) for node, cursor in edges if node], len(rows) > size, after)


@query.field("serverInfo")
def _server_info(_: Any, info: ResolveInfo) -> Record:
    enabled = context_of(info).features
    return {
        "cliVersionInfo": {},
        "latestLocalVersionInfo": None,
        "features": [
            {"name": name, "isEnabled": name in enabled} for name in sorted(SERVER_FEATURES)
        ],
    }


def _is_viewer(record: Record, info: ResolveInfo) -> bool:
    return bool(record["_row"] == context_of(info).viewer.user_id)


@user.field("apiKeys")
def _api_keys(record: Record, info: ResolveInfo) -> Record:
    if not _is_viewer(record, info):
        return {"edges": []}
    rows = context_of(info).conn.execute(
        "SELECT id, name FROM api_keys WHERE user_id = ? ORDER BY id", (record["_row"],)
    )
    return {
        "edges": [
            {"node": {"id": encode_id("ApiKey", key_id), "name": name, "description": None}}
            for key_id, name in rows
        ]
    }


@user.field("teams")
def _teams(record: Record, info: ResolveInfo) -> Record:
    if not _is_viewer(record, info):
        return {"edges": []}
    rows = context_of(info).conn.execute(
        "SELECT entities.id, entities.name FROM memberships"
        " JOIN entities ON entities.id = memberships.entity_id"
        " WHERE memberships.user_id = ? ORDER BY entities.id",
        (record["_row"],),
    )
    return {
        "edges": [{"node": {"id": encode_id("Entity", row), "name": name}} for row, name in rows]
    }


@project.field("user")
def _project_user(record: Record, info: ResolveInfo) -> Record | None:
    return context_of(info).user(record["_user_row"])


@project.field("runCount")
def _run_count(record: Record, info: ResolveInfo, filters: str | None = None) -> int:
    return _runs.count_runs(context_of(info).conn, record["_row"], filters)


@project.field("runs")
def _project_runs(
    record: Record,
    info: ResolveInfo,
    filters: str | None = None,
    after: str | None = None,
    first: int | None = None,
    order: str | None = None,
) -> Record:
    context = context_of(info)
    edges, has_next = _runs.list_runs(
        context.conn,
        record["_row"],
        filters=filters,
        order=order,
        after=after,
        first=page_size(first),
    )
    context.listed(node for node, _ in edges)
    return connection(edges, has_next, after)


@project.field("run")
@project.field("bucket")
def _project_run(record: Record, info: ResolveInfo, name: str, **_: Any) -> Record | None:
    return _runs.run_by_name(context_of(info).conn, record["_row"], name)


@project.field("sweep")
def _project_sweep(record: Record, info: ResolveInfo, sweepName: str) -> Record | None:
    row = (
        context_of(info)
        .conn.execute(
            "SELECT id, name, display_name, method, state, description, best_loss, config,"
            " created_at, updated_at, run_count_expected FROM sweeps"
            " WHERE project_id = ? AND name = ?",
            (record["_row"], sweepName),
        )
        .fetchone()
    )
    if row is None:
        return None
    return {
        "_project_row": record["_row"],
        "id": encode_id("Sweep", row[0]),
        "name": row[1],
        "displayName": row[2],
        "method": row[3],
        "state": row[4],
        "description": row[5],
        "bestLoss": row[6],
        "config": row[7],
        "createdAt": row[8],
        "updatedAt": row[9],
        "runCountExpected": row[10],
    }


@sweep.field("runCount")
def _sweep_run_count(record: Record, info: ResolveInfo) -> int:
    (count,) = (
        context_of(info)
        .conn.execute(
            "SELECT count(*) FROM runs WHERE project_id = ? AND sweep_name = ?",
            (record["_project_row"], record["name"]),
        )
        .fetchone()
    )
    return int(count)


BINDABLES = (query, user, project, sweep)
