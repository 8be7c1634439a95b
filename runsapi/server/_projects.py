"""Projects: finding and creating them, reading them as GraphQL records, listing, updating."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from runsapi.server._ids import decode_row_cursor, encode_id, row_page
from runsapi.server._time import now

ProjectRecord = dict[str, Any]

# UpsertModelInput fields stored as plain columns of the same name.
UPDATABLE_FIELDS = ("description", "access", "views")


def find_project(conn: sqlite3.Connection, entity: int, name: str) -> int | None:
    row = conn.execute(
        "SELECT id FROM projects WHERE entity_id = ? AND name = ?", (entity, name)
    ).fetchone()
    return None if row is None else int(row[0])


def ensure_project(
    conn: sqlite3.Connection,
    entity: int,
    name: str,
    user_id: int | None,
    *,
    created_at: str | None = None,
) -> tuple[int, bool]:
    """(project id, inserted): the project named `name`, created if missing."""
    found = find_project(conn, entity, name)
    if found is not None:
        return found, False
    cursor = conn.execute(
        "INSERT INTO projects (entity_id, user_id, name, views, created_at) VALUES (?, ?, ?, ?, ?)",
        (entity, user_id, name, "{}", created_at or now()),
    )
    return int(cursor.lastrowid or 0), True


def project_record(conn: sqlite3.Connection, project_id: int) -> ProjectRecord | None:
    """A project as the GraphQL Project type reads it; keys starting with `_` are internal."""
    row = conn.execute(
        "SELECT projects.id, projects.name, entities.id, entities.name, projects.created_at,"
        " projects.is_benchmark, projects.description, projects.access, projects.views,"
        " projects.user_id FROM projects JOIN entities ON entities.id = projects.entity_id"
        " WHERE projects.id = ?",
        (project_id,),
    ).fetchone()
    if row is None:
        return None
    return {
        "_row": row[0],
        "_entity_row": row[2],
        "_user_row": row[9],
        "id": encode_id("Project", row[0]),
        "internalId": str(row[0]),
        "name": row[1],
        "entityName": row[3],
        "entity": {"id": encode_id("Entity", row[2]), "name": row[3]},
        "createdAt": row[4],
        "isBenchmark": bool(row[5]),
        "readOnly": False,
        "description": row[6],
        "access": row[7],
        "views": row[8],
    }


def list_project_ids(
    conn: sqlite3.Connection, entity: int, *, after: str | None, first: int
) -> tuple[list[tuple[int, str]], bool]:
    """One page of (project id, cursor) of an entity and whether more projects follow."""
    rows = conn.execute(
        "SELECT id FROM projects WHERE entity_id = ? AND id > ? ORDER BY id LIMIT ?",
        (entity, decode_row_cursor(after), first + 1),
    ).fetchall()
    return row_page(rows, first, lambda row: int(row[0]))


def update_project(conn: sqlite3.Connection, project_id: int, fields: Mapping[str, Any]) -> None:
    """Set the UPDATABLE_FIELDS present in `fields` (an UpsertModelInput)."""
    updates = {key: fields[key] for key in UPDATABLE_FIELDS if key in fields}
    if updates:
        assignments = ", ".join(f"{column} = ?" for column in updates)
        conn.execute(
            f"UPDATE projects SET {assignments} WHERE id = ?", [*updates.values(), project_id]
        )
