"""Query root, the viewer and projects (teams and users: _accounts.py)."""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType, QueryType

from runsapi.server import _accounts, _projects, _runs
from runsapi.server._constants import SERVER_FEATURES
from runsapi.server._context import Record, ResolveInfo, connection, context_of, page_size

query = QueryType()
project = ObjectType("Project")


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
    found = _projects.find_project(context.conn, entity, name)
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
    ids, has_next = _projects.list_project_ids(
        context.conn, entity, after=after, first=page_size(first)
    )
    edges = [(context.project(row_id), cursor) for row_id, cursor in ids]
    return connection([(node, cursor) for node, cursor in edges if node], has_next, after)


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


@project.field("user")
def _project_user(record: Record, info: ResolveInfo) -> Record | None:
    return context_of(info).user(record["_user_row"])


@project.field("runCount")
def _run_count(record: Record, info: ResolveInfo, filters: str | None = None) -> int:
    context = context_of(info)
    return _runs.count_runs(context.conn, record["_row"], context.run_filter(filters))


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
    compiled = context.run_filter(filters)
    edges, has_next = _runs.list_runs(
        context.conn,
        record["_row"],
        filters=compiled,
        order=context.run_order(order),
        after=after,
        first=page_size(first),
        walk_index=context.walk_index(order, compiled),
    )
    context.listed(node for node, _ in edges)
    return connection(edges, has_next, after)


@project.field("run")
@project.field("bucket")
def _project_run(record: Record, info: ResolveInfo, name: str, **_: Any) -> Record | None:
    return _runs.run_by_name(context_of(info).conn, record["_row"], name)


BINDABLES = (query, project)
