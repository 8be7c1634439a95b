"""Runs: reading them as GraphQL records, listing pages, creating, updating, deleting."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from runsapi._shared.changes import DELETED, Change, apply_changes
from runsapi._shared.json_codec import unwrap_config, wrap_config
from runsapi.server import _artifact_versions
from runsapi.server._accounts import Viewer, visible_entity
from runsapi.server._filters import PROJECT, IndexTerm, RunFilter, bind, sqlite_limits
from runsapi.server._ids import encode_id
from runsapi.server._jsontext import dumps, dumps_queryable, loads_object, loads_value
from runsapi.server._ordering import parse_order
from runsapi.server._projects import find_project
from runsapi.server._time import now

RunRecord = dict[str, Any]

RUN_STATES = frozenset(
    {"running", "finished", "crashed", "failed", "killed", "preempting", "preempted", "pending"}
)
_COLUMNS = (
    "runs.id, runs.project_id, runs.user_id, runs.name, runs.display_name, runs.state,"
    " runs.group_name, runs.job_type, runs.sweep_name, runs.notes, runs.description,"
    " runs.commit_hash, runs.host, runs.tags, runs.config, runs.summary, runs.system_metrics,"
    " runs.created_at, runs.heartbeat_at, runs.updated_at, runs.stopped, runs.read_only,"
    " runs.history_line_count, runs.last_step, runs.events_line_count, runs.log_line_count"
)
# UpsertBucketInput fields stored as plain columns.
_TEXT_INPUTS = {
    "displayName": "display_name",
    "groupName": "group_name",
    "jobType": "job_type",
    "sweep": "sweep_name",
    "notes": "notes",
    "description": "description",
    "commit": "commit_hash",
    "host": "host",
}
# MergeRunChangesInput fields holding change sets (RunChangeInput lists), not JSON text.
_CHANGE_SETS = ("config", "summaryMetrics")


def _record(row: tuple[Any, ...]) -> RunRecord:
    """A run as the GraphQL Run type reads it; keys starting with `_` are internal."""
    return {
        "_row": row[0],
        "_project_row": row[1],
        "_user_row": row[2],
        "_last_step": row[23],
        "id": encode_id("Run", row[0]),
        "projectId": row[1],
        "name": row[3],
        "displayName": row[4],
        "state": row[5],
        "group": row[6],
        "jobType": row[7],
        "sweepName": row[8],
        "notes": row[9],
        "description": row[10],
        "commit": row[11],
        "host": row[12],
        "tags": json.loads(row[13]),
        "config": row[14],
        "summaryMetrics": row[15],
        "systemMetrics": row[16],
        "createdAt": row[17],
        "heartbeatAt": row[18],
        "updatedAt": row[19],
        "stopped": bool(row[20]),
        "readOnly": bool(row[21]),
        "historyLineCount": row[22],
        "eventsLineCount": row[24],
        "logLineCount": row[25],
    }


def run_by_row(conn: sqlite3.Connection, row_id: int) -> RunRecord | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM runs WHERE runs.id = ?", (row_id,)).fetchone()
    return None if row is None else _record(row)


def run_by_name(conn: sqlite3.Connection, project_id: int, name: str) -> RunRecord | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM runs WHERE runs.project_id = ? AND runs.name = ?",
        (project_id, name),
    ).fetchone()
    return None if row is None else _record(row)


def find_visible_run(
    conn: sqlite3.Connection, viewer: Viewer, entity: str, project: str, name: str
) -> RunRecord | None:
    """The run at entity/project/name, or None when it does not exist or the viewer may
    not see it (indistinguishable)."""
    entity_id = visible_entity(conn, viewer, entity)
    project_id = None if entity_id is None else find_project(conn, entity_id, project)
    return None if project_id is None else run_by_name(conn, project_id, name)


# A filter whose index terms match fewer runs than this is read through their index (a
# page sorts at most this many runs); one matching more, through the order's index (a
# page reads about page size / fraction of runs matched).
SELECTIVE_RUNS = 1000


def count_runs(conn: sqlite3.Connection, project_id: int, filters: RunFilter) -> int:
    """How many runs of the project match `filters` (compiled by _filters)."""
    if filters.index_count is not None:
        sql, params = filters.index_count
    else:
        condition, params = filters.full()
        sql = f"SELECT count(*) FROM runs WHERE {_project(filters)} AND {condition}"
        params = [PROJECT, *params]
    with sqlite_limits():
        (count,) = conn.execute(sql, bind(params, project_id)).fetchone()
    return int(count)


def _project(filters: RunFilter) -> str:
    """The condition on the project a statement searching the filter's terms holds: with
    terms, written so that SQLite searches no index by it alone (each term restricts the
    runs to the project itself; searched by the project alone, an `$or` would read every
    run of the project)."""
    return "+runs.project_id = ?" if filters.terms else "runs.project_id = ?"


def _selective_term(
    conn: sqlite3.Connection, project_id: int, filters: RunFilter
) -> IndexTerm | None:
    """The filter's index term matching the fewest runs when it matches fewer than
    SELECTIVE_RUNS: a page then searches its index and sorts what it finds; else (None)
    the page walks the order's index, checking each run. SQLite, which keeps no
    statistics of values here, cannot tell which costs less. Each term's probe reads at
    most SELECTIVE_RUNS entries of its own index."""
    chosen, fewest = None, SELECTIVE_RUNS
    for term in filters.terms:
        probe, params = term.probe
        (found,) = conn.execute(
            f"SELECT count(*) FROM ({probe} LIMIT ?)",
            [*bind(params, project_id), SELECTIVE_RUNS],
        ).fetchone()
        if found < fewest:
            chosen, fewest = term, found
    return chosen


def list_runs(
    conn: sqlite3.Connection,
    project_id: int,
    *,
    filters: RunFilter,
    order: str | None,
    after: str | None,
    first: int,
    walk_index: str | None = None,
) -> tuple[list[tuple[RunRecord, str]], bool]:
    """One page of (run, cursor) matching `filters` (compiled by _filters) and whether
    more runs follow. `walk_index` names the order's and filter's walk index
    (_json_indexes.walk_index), for a page that walks the order."""
    ordering = parse_order(order)
    position = ordering.position(after) if after else None
    key = ordering.field.value_sql
    rows: list[tuple[Any, ...]] = []
    with sqlite_limits():
        term = _selective_term(conn, project_id, filters)
        searched = filters.searching(term) if term is not None else None
        walked: dict[str, tuple[str, list[Any]]] = {}  # keep -> condition: at most two a page
        walks = ordering.parts(
            position, key_present=key in filters.present, searchable=term is None
        )
        for walk in walks:
            if len(rows) > first:
                break
            limit = [first + 1 - len(rows)]
            if searched is not None:
                # Search the term's index; sort the ids of the runs found, then read the
                # page's runs whole: the sort carries a key and an id a run, not every column.
                condition, params = searched
                table = "runs"
                matching = (
                    f"runs.id IN (SELECT runs.id FROM runs WHERE +runs.project_id = ?"
                    f" AND {condition} AND {walk.condition} ORDER BY {walk.order_by} LIMIT ?)"
                )
                limit *= 2
            else:
                # Walk the order's index: the filter's comparisons search no index but the
                # order key's, and that one only where the walk goes by the key (not among
                # ties, by row id).
                keep = key if walk.by_key else ""
                if keep not in walked:
                    walked[keep] = filters.walked(keep)
                condition, params = walked[keep]
                table = f"runs INDEXED BY {walk_index}" if walk_index else "runs"
                matching = f"runs.project_id = ? AND {condition} AND {walk.condition}"
            rows += conn.execute(
                f"SELECT {_COLUMNS}, {key} FROM {table}"
                f" WHERE {matching} ORDER BY {walk.order_by} LIMIT ?",
                [project_id, *bind(params, project_id), *walk.params, *limit],
            ).fetchall()
    page = [(_record(row), ordering.cursor(row[-1], row[0])) for row in rows[:first]]
    return page, len(rows) > first


def count_sweep_runs(conn: sqlite3.Connection, project_id: int, sweep_name: str) -> int:
    (count,) = conn.execute(
        "SELECT count(*) FROM runs WHERE project_id = ? AND sweep_name = ?",
        (project_id, sweep_name),
    ).fetchone()
    return int(count)


def _json_columns(value: dict[str, Any]) -> tuple[str, str]:
    """(the stored JSON, its query copy) of a config or summary."""
    return dumps(value), dumps_queryable(value)


def _validated_state(state: Any) -> str:
    if state not in RUN_STATES:
        raise ValueError(f"invalid run state {state!r}")
    return str(state)


def _assignments(given: Mapping[str, Any]) -> dict[str, Any]:
    """Column values for the UpsertBucketInput fields given. A null leaves the field as
    it is, as W&B does: the SDK's later upserts send every variable, null where unset."""
    fields = {name: value for name, value in given.items() if value is not None}
    columns: dict[str, Any] = {}
    for name, column in _TEXT_INPUTS.items():
        if name in fields:
            columns[column] = fields[name]
    if "tags" in fields:
        columns["tags"] = dumps(list(fields["tags"]))
    if "config" in fields:
        columns["config"], columns["config_q"] = _json_columns(
            loads_object(fields["config"], what="config")
        )
    if "summaryMetrics" in fields:
        columns["summary"], columns["summary_q"] = _json_columns(
            loads_object(fields["summaryMetrics"], what="summaryMetrics")
        )
    if fields.get("state") is not None:
        columns["state"] = _validated_state(fields["state"])
    return columns


def create_run(
    conn: sqlite3.Connection,
    project_id: int,
    user_id: int | None,
    name: str,
    fields: Mapping[str, Any],
) -> int:
    stamp = now()
    columns = {
        "project_id": project_id,
        "user_id": user_id,
        "name": name,
        "state": "running",
        "created_at": stamp,
        "heartbeat_at": stamp,
        "updated_at": stamp,
        **_assignments(fields),
    }
    names = ", ".join(columns)
    marks = ", ".join("?" * len(columns))
    cursor = conn.execute(f"INSERT INTO runs ({names}) VALUES ({marks})", list(columns.values()))
    return int(cursor.lastrowid or 0)


def update_run(conn: sqlite3.Connection, run_id: int, fields: Mapping[str, Any]) -> None:
    _set_columns(conn, run_id, _assignments(fields))


def merge_run(conn: sqlite3.Connection, run_id: int, fields: Mapping[str, Any]) -> None:
    """Update a run from MergeRunChangesInput fields: plain fields as `update_run` does,
    `config` and `summaryMetrics` change sets merged into the stored values.

    Call it inside `Store.write()`, so that reading the stored values and writing the
    merged ones is one transaction that no other writer can come between.
    """
    plain = {name: value for name, value in fields.items() if name not in _CHANGE_SETS}
    columns = _assignments(plain)
    config = _change_set(fields.get("config"), what="config")
    summary = _change_set(fields.get("summaryMetrics"), what="summaryMetrics")
    stored_config, stored_summary = conn.execute(
        "SELECT config, summary FROM runs WHERE id = ?", (run_id,)
    ).fetchone()
    if config:
        raw = loads_object(stored_config, what="config")
        merged = wrap_config(apply_changes(unwrap_config(raw), config), raw)
        columns["config"], columns["config_q"] = _json_columns(merged)
    if summary:
        merged = apply_changes(loads_object(stored_summary, what="summaryMetrics"), summary)
        columns["summary"], columns["summary_q"] = _json_columns(merged)
    _set_columns(conn, run_id, columns)


def _change_set(items: list[dict[str, Any]] | None, *, what: str) -> list[Change]:
    """RunChangeInput values as Changes: a null `value` deletes, JSON text sets."""
    changes = []
    for item in items or ():
        path, value = tuple(item["path"]), item.get("value")
        if not path:
            raise ValueError(f"a {what} change needs a non-empty path")
        if value is None:
            changes.append(Change(path, DELETED))
            continue
        changes.append(Change(path, loads_value(value, what=f"the {what} value at {list(path)}")))
    return changes


def _set_columns(conn: sqlite3.Connection, run_id: int, columns: Mapping[str, Any]) -> None:
    columns = {**columns, "updated_at": now()}
    assignments = ", ".join(f"{column} = ?" for column in columns)
    conn.execute(f"UPDATE runs SET {assignments} WHERE id = ?", [*columns.values(), run_id])


# Allowed state changes for updateRunState: target -> states it may be reached from.
# A run cannot be moved to the state it is already in ("invalid state transition").
_TRANSITIONS = {
    "pending": frozenset({"finished", "crashed", "failed", "killed", "preempted"}),
    "running": frozenset({"pending", "preempted", "preempting"}),
    "failed": frozenset({"running", "pending", "preempting", "preempted", "crashed"}),
    "finished": frozenset({"running", "pending"}),
    "crashed": frozenset({"running", "pending"}),
    "killed": frozenset({"running", "pending", "preempting"}),
    "preempting": frozenset({"running"}),
    "preempted": frozenset({"running", "preempting"}),
}


def change_state(conn: sqlite3.Connection, run_id: int, current: str, target: str) -> None:
    if target not in _TRANSITIONS:
        raise ValueError(f"invalid run state {target!r}")
    if current not in _TRANSITIONS[target]:
        raise ValueError("invalid state transition")
    conn.execute("UPDATE runs SET state = ?, updated_at = ? WHERE id = ?", (target, now(), run_id))


def stop_run(conn: sqlite3.Connection, run_id: int, current: str) -> None:
    """Mark a run to be stopped. No process here acknowledges the stop, so a run that is
    still active becomes "killed" at once (what W&B shows once the SDK has exited)."""
    state = "killed" if current in {"running", "pending", "preempting"} else current
    conn.execute(
        "UPDATE runs SET stopped = 1, state = ?, updated_at = ? WHERE id = ?",
        (state, now(), run_id),
    )


def delete_run(conn: sqlite3.Connection, run_id: int, *, delete_artifacts: bool) -> list[int]:
    """Delete a run (and, if asked, the artifacts it logged); returns its file ids."""
    files = [
        file_id for (file_id,) in conn.execute("SELECT id FROM files WHERE run_id = ?", (run_id,))
    ]
    if delete_artifacts:
        logged = conn.execute(
            "SELECT artifact_id FROM run_artifacts WHERE run_id = ? AND direction = 'output'",
            (run_id,),
        ).fetchall()
        _artifact_versions.delete_versions(conn, [artifact_id for (artifact_id,) in logged])
    conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
    return files
