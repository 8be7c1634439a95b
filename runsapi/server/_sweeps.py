"""Sweeps, read as GraphQL records (the local server stores them; it does not run them)."""

from __future__ import annotations

import sqlite3
from typing import Any

from runsapi.server._ids import encode_id

SweepRecord = dict[str, Any]


def sweep_by_name(conn: sqlite3.Connection, project_id: int, name: str) -> SweepRecord | None:
    """A sweep as the GraphQL Sweep type reads it; keys starting with `_` are internal."""
    row = conn.execute(
        "SELECT id, name, display_name, method, state, description, best_loss, config,"
        " created_at, updated_at, run_count_expected FROM sweeps"
        " WHERE project_id = ? AND name = ?",
        (project_id, name),
    ).fetchone()
    if row is None:
        return None
    return {
        "_project_row": project_id,
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
