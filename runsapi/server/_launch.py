"""W&B Launch's run queues, their items and their default resource configs, recorded
and read as GraphQL records. Nothing here runs an item: each stays PENDING until
something sets its state (`set_item_state`), as an agent would on W&B."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from runsapi._shared.launch_rules import (
    DEFAULT_PRIORITY,
    check_priority,
    check_queue_name,
    check_resource_config,
    check_resource_type,
    check_template_variables,
    links_by_label,
    links_document,
    undefined_placeholders,
)
from runsapi.server._ids import BadIdError, decode_cursor, decode_id, encode_cursor, encode_id
from runsapi.server._jsontext import dumps, loads_object, loads_value
from runsapi.server._time import now

Record = dict[str, Any]
_T = TypeVar("_T")

ITEM_STATES = ("PENDING", "LEASED", "CLAIMED", "FAILED", "FINISHED")
"""What W&B's agents move an item through; this server leaves each PENDING."""
_DISABLED = "DISABLED"
_PRIORITIZED = "V0"


class LaunchInputError(ValueError):
    """A queue, config or item the rules of _shared/launch_rules.py refuse."""


def _checked(check: Callable[..., _T], *arguments: Any) -> _T:
    try:
        return check(*arguments)
    except ValueError as exc:
        raise LaunchInputError(str(exc)) from None


# -- default resource configs ------------------------------------------------------------


def parse_resource_config(
    resource: str, config_text: str, template_variables_text: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(config, template variable declarations) of a resource config as the mutations
    receive it (JSON texts); LaunchInputError for a wrong shape."""
    _checked(check_resource_type, resource)
    config = _checked(check_resource_config, loads_value(config_text, what="config"), resource)
    declared = loads_object(template_variables_text, what="templateVariables")
    _checked(check_template_variables, declared)
    return config, declared


def template_warnings(config: Mapping[str, Any], declared: Mapping[str, Any]) -> list[str]:
    """W&B's `configSchemaValidationErrors`: placeholders naming no template variable."""
    return undefined_placeholders(config, declared)


def create_resource_config(
    conn: sqlite3.Connection,
    entity_id: int,
    resource: str,
    config: Mapping[str, Any],
    declared: Mapping[str, Any],
) -> int:
    cursor = conn.execute(
        "INSERT INTO default_resource_configs (entity_id, resource, config, template_variables,"
        " created_at) VALUES (?, ?, ?, ?, ?)",
        (entity_id, resource, dumps(dict(config)), dumps(dict(declared)), now()),
    )
    return int(cursor.lastrowid or 0)


def _replace_resource_config(
    conn: sqlite3.Connection,
    config_id: int,
    resource: str,
    config: Mapping[str, Any],
    declared: Mapping[str, Any],
) -> None:
    conn.execute(
        "UPDATE default_resource_configs SET resource = ?, config = ?, template_variables = ?"
        " WHERE id = ?",
        (resource, dumps(dict(config)), dumps(dict(declared)), config_id),
    )


def config_row(config_id: str) -> int | None:
    """The row of a DefaultResourceConfig id, or None for an id this server did not issue."""
    try:
        return decode_id("DefaultResourceConfig", config_id)
    except BadIdError:
        return None


def resource_config(conn: sqlite3.Connection, entity_id: int, row: int) -> Record | None:
    """An entity's default resource config as the GraphQL DefaultResourceConfig reads it."""
    found = conn.execute(
        "SELECT resource, config, template_variables FROM default_resource_configs"
        " WHERE id = ? AND entity_id = ?",
        (row, entity_id),
    ).fetchone()
    if found is None:
        return None
    resource, config, declared = found
    variables = loads_object(declared, what="templateVariables")
    return {
        "_row": row,
        "id": encode_id("DefaultResourceConfig", row),
        "resource": resource,
        "config": loads_object(config, what="config"),
        "templateVariables": [
            {"name": name, "schema": dumps(value["schema"])} for name, value in variables.items()
        ],
    }


# -- queues ------------------------------------------------------------------------------

_QUEUE_COLUMNS = (
    "run_queues.id, run_queues.project_id, projects.entity_id, run_queues.name,"
    " run_queues.access, run_queues.prioritization_mode, run_queues.default_resource_config_id,"
    " run_queues.external_links, run_queues.created_at"
)
_QUEUE_SOURCE = "run_queues JOIN projects ON projects.id = run_queues.project_id"


def _queue_record(row: tuple[Any, ...]) -> Record:
    config_id = row[6]
    return {
        "_row": row[0],
        "_project_row": row[1],
        "_entity_row": row[2],
        "_config_row": config_id,
        "id": encode_id("RunQueue", row[0]),
        "name": row[3],
        "access": row[4],
        "prioritizationMode": row[5] or _DISABLED,
        "defaultResourceConfigID": (
            None if config_id is None else encode_id("DefaultResourceConfig", config_id)
        ),
        "externalLinks": loads_object(row[7], what="externalLinks"),
        "createdAt": row[8],
    }


def queue_by_name(conn: sqlite3.Connection, project_id: int, name: str) -> Record | None:
    row = conn.execute(
        f"SELECT {_QUEUE_COLUMNS} FROM {_QUEUE_SOURCE}"
        " WHERE run_queues.project_id = ? AND run_queues.name = ?",
        (project_id, name),
    ).fetchone()
    return None if row is None else _queue_record(row)


def queue_by_id(conn: sqlite3.Connection, queue_id: str) -> Record | None:
    """The queue with this GraphQL id (None for an id this server did not issue)."""
    try:
        row_id = decode_id("RunQueue", queue_id)
    except BadIdError:
        return None
    row = conn.execute(
        f"SELECT {_QUEUE_COLUMNS} FROM {_QUEUE_SOURCE} WHERE run_queues.id = ?", (row_id,)
    ).fetchone()
    return None if row is None else _queue_record(row)


def project_queues(conn: sqlite3.Connection, project_id: int) -> list[Record]:
    rows = conn.execute(
        f"SELECT {_QUEUE_COLUMNS} FROM {_QUEUE_SOURCE} WHERE run_queues.project_id = ?"
        " ORDER BY run_queues.id",
        (project_id,),
    )
    return [_queue_record(row) for row in rows]


def create_queue(
    conn: sqlite3.Connection,
    project_id: int,
    name: str,
    *,
    access: str,
    prioritization_mode: str | None,
    config_id: int | None,
) -> int:
    """A new queue; LaunchInputError if the project has one of that name already."""
    _checked(check_queue_name, name)
    if queue_by_name(conn, project_id, name) is not None:
        raise LaunchInputError(f"a run queue named {name!r} exists already")
    cursor = conn.execute(
        "INSERT INTO run_queues (project_id, name, access, prioritization_mode,"
        " default_resource_config_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (project_id, name, access, prioritization_mode or _DISABLED, config_id, now()),
    )
    return int(cursor.lastrowid or 0)


def upsert_queue(
    conn: sqlite3.Connection,
    project_id: int,
    entity_id: int,
    name: str,
    *,
    resource: str,
    config: Mapping[str, Any],
    declared: Mapping[str, Any],
    prioritization_mode: str | None,
    links_text: str | None,
) -> None:
    """Create the queue `name`, or give the existing one this resource config,
    prioritization mode (default DISABLED) and external links (default none)."""
    links = _checked(links_by_label, loads_value(links_text or "{}", what="externalLinks"))
    existing = queue_by_name(conn, project_id, name)
    if existing is None:
        config_id = create_resource_config(conn, entity_id, resource, config, declared)
        queue_row = create_queue(
            conn,
            project_id,
            name,
            access="PROJECT",
            prioritization_mode=prioritization_mode,
            config_id=config_id,
        )
    else:
        queue_row = existing["_row"]
        config_id = existing["_config_row"]
        if config_id is None:
            config_id = create_resource_config(conn, entity_id, resource, config, declared)
        else:
            _replace_resource_config(conn, config_id, resource, config, declared)
    conn.execute(
        "UPDATE run_queues SET prioritization_mode = ?, default_resource_config_id = ?,"
        " external_links = ? WHERE id = ?",
        (prioritization_mode or _DISABLED, config_id, dumps(links_document(links)), queue_row),
    )


def delete_queue(conn: sqlite3.Connection, queue_row: int) -> None:
    """Delete a queue and its items."""
    conn.execute("DELETE FROM run_queues WHERE id = ?", (queue_row,))


# -- items -------------------------------------------------------------------------------

_ITEM_COLUMNS = "id, queue_id, state, associated_run_id, priority, created_at, run_spec"


def _item_record(row: tuple[Any, ...]) -> Record:
    return {
        "_row": row[0],
        "_queue_row": row[1],
        "id": encode_id("RunQueueItem", row[0]),
        "state": row[2],
        "associatedRunId": row[3],
        "priority": row[4],
        "createdAt": row[5],
        "runSpec": row[6],
    }


def push_item(
    conn: sqlite3.Connection, queue: Record, run_spec_text: str, priority: int | None
) -> int:
    """A new PENDING item. A V0 queue's items default to DEFAULT_PRIORITY; a DISABLED
    queue takes no priority."""
    run_spec = loads_object(run_spec_text, what="runSpec")
    if queue["prioritizationMode"] == _PRIORITIZED:
        priority = DEFAULT_PRIORITY if priority is None else _checked(check_priority, priority)
    elif priority is not None:
        raise LaunchInputError(
            f"run queue {queue['name']!r} has prioritization mode {queue['prioritizationMode']}:"
            f" a priority needs mode {_PRIORITIZED}"
        )
    cursor = conn.execute(
        "INSERT INTO run_queue_items (queue_id, priority, run_spec, created_at)"
        " VALUES (?, ?, ?, ?)",
        (queue["_row"], priority, dumps(run_spec), now()),
    )
    return int(cursor.lastrowid or 0)


def list_items(
    conn: sqlite3.Connection, queue_row: int, *, after: str | None, first: int
) -> tuple[list[tuple[Record, str]], bool]:
    """One page of a queue's items, in the order an agent takes them (priority, then
    age), with their cursors, and whether more follow."""
    rank, last = _item_cursor(after)
    rows = conn.execute(
        f"SELECT {_ITEM_COLUMNS}, COALESCE(priority, ?) AS rank FROM run_queue_items"
        " WHERE queue_id = ? AND (COALESCE(priority, ?), id) > (?, ?)"
        " ORDER BY rank, id LIMIT ?",
        (DEFAULT_PRIORITY, queue_row, DEFAULT_PRIORITY, rank, last, first + 1),
    ).fetchall()
    edges = [(_item_record(row), encode_cursor([row[-1], row[0]])) for row in rows[:first]]
    return edges, len(rows) > first


def _item_cursor(after: str | None) -> tuple[int, int]:
    if after is None:
        return -1, 0
    value = decode_cursor(after)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(part, int) and not isinstance(part, bool) for part in value)
    ):
        raise BadIdError(f"invalid cursor: {after!r}")
    return value[0], value[1]


def item_in_queue(conn: sqlite3.Connection, queue_row: int, item_id: str) -> Record | None:
    """The queue's item with this GraphQL id (None if it is not one of its items)."""
    try:
        row_id = decode_id("RunQueueItem", item_id)
    except BadIdError:
        return None
    row = conn.execute(
        f"SELECT {_ITEM_COLUMNS} FROM run_queue_items WHERE id = ? AND queue_id = ?",
        (row_id, queue_row),
    ).fetchone()
    return None if row is None else _item_record(row)


def delete_item(conn: sqlite3.Connection, item_row: int) -> None:
    conn.execute("DELETE FROM run_queue_items WHERE id = ?", (item_row,))


def set_item_state(
    conn: sqlite3.Connection, item_id: str, state: str, associated_run_id: str | None = None
) -> None:
    """Move an item to `state` (one of ITEM_STATES) with the run that executes it, as a
    launch agent does on W&B; for tests and operators, since nothing here runs items."""
    if state not in ITEM_STATES:
        raise LaunchInputError(f"unknown run queue item state {state!r}: one of {ITEM_STATES}")
    updated = conn.execute(
        "UPDATE run_queue_items SET state = ?, associated_run_id = ? WHERE id = ?",
        (state, associated_run_id, decode_id("RunQueueItem", item_id)),
    )
    if updated.rowcount != 1:
        raise LaunchInputError(f"no run queue item {item_id!r}")
