"""Sweeps: stored, read as GraphQL records and listed (the local server does not run them:
it has no agents and no sweep controller)."""

from __future__ import annotations

import sqlite3
from typing import Any

from runsapi.server._fields import json_path
from runsapi.server._ids import decode_row_cursor, encode_id, row_page
from runsapi.server._jsontext import loads_object

SweepRecord = dict[str, Any]

# What `Project.sweeps(filters:)` may hold: `{}` or `{"state": ...}`.
_FILTER_KEYS = frozenset({"state"})
_COLUMNS = (
    "id, project_id, name, display_name, method, state, description, best_loss, config,"
    " created_at, updated_at, run_count_expected"
)


def _record(row: tuple[Any, ...]) -> SweepRecord:
    """A sweep as the GraphQL Sweep type reads it; keys starting with `_` are internal."""
    return {
        "_row": row[0],
        "_project_row": row[1],
        "id": encode_id("Sweep", row[0]),
        "name": row[2],
        "displayName": row[3],
        "method": row[4],
        "state": row[5],
        "description": row[6],
        "bestLoss": row[7],
        "config": row[8],
        "createdAt": row[9],
        "updatedAt": row[10],
        "runCountExpected": row[11],
    }


def sweep_by_name(conn: sqlite3.Connection, project_id: int, name: str) -> SweepRecord | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM sweeps WHERE project_id = ? AND name = ?", (project_id, name)
    ).fetchone()
    return None if row is None else _record(row)


def sweep_state_filter(text: str | None) -> str | None:
    """The state a `filters` argument selects (None: every sweep); ValueError, naming what
    is accepted, for anything but `{}` and `{"state": "<state>"}`."""
    filters = loads_object(text, what="sweep filters")
    unknown = sorted(set(filters) - _FILTER_KEYS)
    state = filters.get("state")
    if unknown or ("state" in filters and not isinstance(state, str)):
        raise ValueError(
            f"unsupported sweep filters {text}: this server filters sweeps with {{}} or"
            ' {"state": "<state>"} only'
        )
    return state


def list_sweeps(
    conn: sqlite3.Connection,
    project_id: int,
    *,
    state: str | None,
    after: str | None,
    first: int,
) -> tuple[list[tuple[SweepRecord, str]], bool]:
    """One page of (sweep, cursor), oldest first, and whether more sweeps follow."""
    where = "project_id = ? AND id > ?"
    params: list[Any] = [project_id, decode_row_cursor(after)]
    if state is not None:
        where += " AND state = ?"
        params.append(state)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM sweeps WHERE {where} ORDER BY id LIMIT ?", [*params, first + 1]
    ).fetchall()
    return row_page(rows, first, _record)


def count_sweeps(conn: sqlite3.Connection, project_id: int) -> int:
    (count,) = conn.execute(
        "SELECT count(*) FROM sweeps WHERE project_id = ?", (project_id,)
    ).fetchone()
    return int(count)


def insert_sweep(
    conn: sqlite3.Connection,
    project_id: int,
    name: str,
    *,
    display_name: str | None,
    method: str,
    state: str,
    config: str,
    run_count_expected: int | None,
    created_at: str,
) -> int:
    """Store a sweep (`config` is its YAML text) and return its row id."""
    cursor = conn.execute(
        "INSERT INTO sweeps (project_id, name, display_name, method, state, config,"
        " run_count_expected, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (project_id, name, display_name, method, state, config, run_count_expected, created_at),
    )
    return int(cursor.lastrowid or 0)


def set_best_loss(conn: sqlite3.Connection, project_id: int, name: str, metric: str) -> None:
    """Set a sweep's `best_loss` to the lowest `metric` among its runs' summaries (NaN
    and missing values left out; null when no run has one), as W&B keeps it for a metric
    to minimize."""
    conn.execute(
        "UPDATE sweeps SET best_loss = (SELECT min(json_extract(runs.summary_q, ?)) FROM runs"
        " WHERE runs.project_id = sweeps.project_id AND runs.sweep_name = sweeps.name)"
        " WHERE project_id = ? AND name = ?",
        (json_path([metric]), project_id, name),
    )
