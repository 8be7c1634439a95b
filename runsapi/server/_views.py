"""Saved views of a project (reports are views of type "runs"): reading, listing, adding."""

from __future__ import annotations

import sqlite3
from typing import Any

from runsapi.server._ids import decode_row_cursor, encode_id, row_page

ViewRecord = dict[str, Any]

REPORT_VIEW_TYPE = "runs"
_COLUMNS = "id, project_id, user_id, name, display_name, description, spec, created_at, updated_at"


def _record(row: tuple[Any, ...]) -> ViewRecord:
    """A view as the GraphQL View type reads it; keys starting with `_` are internal."""
    return {
        "_row": row[0],
        "_project_row": row[1],
        "_user_row": row[2],
        "id": encode_id("View", row[0]),
        "name": row[3],
        "displayName": row[4],
        "description": row[5],
        "spec": row[6],
        "createdAt": row[7],
        "updatedAt": row[8],
    }


def view_by_row(conn: sqlite3.Connection, row_id: int) -> ViewRecord | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM views WHERE id = ?", (row_id,)).fetchone()
    return None if row is None else _record(row)


def list_views(
    conn: sqlite3.Connection,
    project_id: int,
    *,
    view_type: str,
    name: str | None,
    after: str | None,
    first: int,
) -> tuple[list[tuple[ViewRecord, str]], bool]:
    """One page of (view, cursor) of a project's views of `view_type` (those named `name`
    only, when given), oldest first, and whether more follow."""
    where = "project_id = ? AND type = ? AND id > ?"
    params: list[Any] = [project_id, view_type, decode_row_cursor(after)]
    if name is not None:
        where += " AND name = ?"
        params.append(name)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM views WHERE {where} ORDER BY id LIMIT ?", [*params, first + 1]
    ).fetchall()
    return row_page(rows, first, _record)


def add_view(
    conn: sqlite3.Connection,
    project_id: int,
    user_id: int | None,
    *,
    name: str,
    display_name: str,
    description: str | None,
    spec: str,
    created_at: str,
    updated_at: str,
    view_type: str = REPORT_VIEW_TYPE,
) -> int:
    """Store a view (inside the caller's transaction); returns its row id."""
    cursor = conn.execute(
        "INSERT INTO views (project_id, user_id, name, display_name, description, type, spec,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            project_id,
            user_id,
            name,
            display_name,
            description,
            view_type,
            spec,
            created_at,
            updated_at,
        ),
    )
    return int(cursor.lastrowid or 0)
