"""Saved views (reports): a project's `allViews`, a view by id, and a view's user and
project."""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType

from runsapi.server import _views
from runsapi.server._context import Record, ResolveInfo, connection, context_of, page_size
from runsapi.server._ids import BadIdError, decode_id
from runsapi.server._resolvers._query import project, query

view = ObjectType("View")


@project.field("allViews")
def _all_views(
    record: Record,
    info: ResolveInfo,
    viewType: str | None = None,
    viewName: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Record:
    edges, has_next = _views.list_views(
        context_of(info).conn,
        record["_row"],
        view_type=viewType or _views.REPORT_VIEW_TYPE,
        name=viewName,
        after=after,
        first=page_size(first),
    )
    return connection(edges, has_next, after)


@query.field("view")
def _view_by_id(_: Any, info: ResolveInfo, id: str) -> Record | None:
    """The view, or None when no view has this id or the viewer may not see its project."""
    context = context_of(info)
    try:
        row = decode_id("View", id)
    except BadIdError:
        return None
    found = _views.view_by_row(context.conn, row)
    if found is None or context.project(found["_project_row"]) is None:
        return None
    return found


@view.field("user")
def _view_user(record: Record, info: ResolveInfo) -> Record | None:
    return context_of(info).user(record["_user_row"])


@view.field("project")
def _view_project(record: Record, info: ResolveInfo) -> Record | None:
    return context_of(info).project(record["_project_row"])


BINDABLES = (view,)
