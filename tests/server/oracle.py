"""A pure-Python reading of the filter and order rules of runsapi.server._filters.

It works on runs loaded straight from the database and decoded with Python's json, so it
shares no SQL with the server: the two are checked against each other.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from runsapi.server._fields import config_path, normalize_timestamp
from runsapi.server._jsontext import queryable

MISSING = object()

_COLUMNS = {
    "name": "name",
    "state": "state",
    "display_name": "display_name",
    "displayName": "display_name",
    "group": "group_name",
    "jobType": "job_type",
    "job_type": "job_type",
    "sweep": "sweep_name",
    "username": "username",
    "host": "host",
    "createdAt": "created_at",
    "created_at": "created_at",
    "heartbeatAt": "heartbeat_at",
    "heartbeat_at": "heartbeat_at",
}
_TIMESTAMPS = {"created_at", "heartbeat_at"}
# The server matches with RE2 (runsapi.server._regex); Python's re agrees with it on the
# patterns the tests draw (tests/server/test_filters.py REGEXES) and these flags.
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}


def load_runs(conn: sqlite3.Connection, project_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT runs.id, runs.name, runs.state, runs.display_name, runs.group_name, runs.job_type,"
        " runs.sweep_name, users.username, runs.host, runs.created_at, runs.heartbeat_at,"
        " runs.tags, runs.config, runs.summary FROM runs LEFT JOIN users ON users.id = runs.user_id"
        " WHERE runs.project_id = ?",
        (project_id,),
    ).fetchall()
    keys = (
        "id",
        "name",
        "state",
        "display_name",
        "group_name",
        "job_type",
        "sweep_name",
        "username",
        "host",
        "created_at",
        "heartbeat_at",
    )
    runs = []
    for row in rows:
        run = dict(zip(keys, row[:11], strict=True))
        run["tags"] = json.loads(row[11])
        run["config"] = queryable(json.loads(row[12]))
        run["summary"] = queryable(json.loads(row[13]))
        runs.append(run)
    return runs


def _walk(document: Any, keys: list[str]) -> Any:
    for key in keys:
        if not isinstance(document, dict) or key not in document:
            return MISSING
        document = document[key]
    return document


def field_value(run: dict[str, Any], key: str) -> Any:
    if key in _COLUMNS:
        value = run[_COLUMNS[key]]
        return MISSING if value is None else value
    if key.startswith("config."):
        return _walk(run["config"], config_path(key[len("config.") :]))
    if key.startswith("summary_metrics."):
        return _walk(run["summary"], key[len("summary_metrics.") :].split("."))
    raise KeyError(key)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equals(value: Any, operand: Any) -> bool:
    if operand is None:
        return value is MISSING or value is None
    if isinstance(operand, bool):
        return value is operand
    if _is_number(operand):
        return _is_number(value) and value == operand
    if isinstance(operand, str):
        return isinstance(value, str) and value == operand
    return isinstance(value, (list, dict)) and value == operand


def _compare(value: Any, op: str, operand: Any) -> bool:
    same_kind = (_is_number(operand) and _is_number(value)) or (
        isinstance(operand, str) and isinstance(value, str)
    )
    if not same_kind:
        return False
    return {
        "$gt": value > operand,
        "$gte": value >= operand,
        "$lt": value < operand,
        "$lte": value <= operand,
    }[op]


def _leaf(value: Any, op: str, operand: Any, options: str) -> bool:
    if op == "$eq":
        return _equals(value, operand)
    if op == "$regex":
        flags = 0
        for letter in options:
            flags |= _FLAGS[letter]
        return isinstance(value, str) and re.search(operand, value, flags) is not None
    return _compare(value, op, operand)


def _any(run: dict[str, Any], key: str, op: str, operand: Any, options: str = "") -> bool:
    if key == "tags":
        return any(_leaf(tag, op, operand, options) for tag in run["tags"])
    value = field_value(run, key)
    if key in _COLUMNS and _COLUMNS[key] in _TIMESTAMPS:
        operand = normalize_timestamp(operand)
    return _leaf(value, op, queryable(operand), options)


def _eq(run: dict[str, Any], key: str, operand: Any) -> bool:
    if key == "tags" and isinstance(operand, list):
        return run["tags"] == operand
    return _any(run, key, "$eq", operand)


def _condition(run: dict[str, Any], key: str, value: Any) -> bool:
    if not (isinstance(value, dict) and value and all(k.startswith("$") for k in value)):
        return _eq(run, key, value)
    result = True
    for op, operand in value.items():
        if op == "$options":
            continue
        if op == "$eq":
            ok = _eq(run, key, operand)
        elif op == "$ne":
            ok = not _eq(run, key, operand)
        elif op == "$in":
            ok = any(_eq(run, key, item) for item in operand)
        elif op == "$nin":
            ok = not any(_eq(run, key, item) for item in operand)
        elif op == "$exists":
            present = True if key == "tags" else field_value(run, key) is not MISSING
            ok = present if operand else not present
        elif op == "$regex":
            ok = _any(run, key, "$regex", operand, value.get("$options", ""))
        elif op == "$not":
            ok = not _condition(run, key, operand)
        else:
            ok = _any(run, key, op, operand)
        result = result and ok
    return result


def matches(run: dict[str, Any], filters: dict[str, Any]) -> bool:
    for key, value in filters.items():
        if key == "$and":
            ok = all(matches(run, item) for item in value)
        elif key == "$or":
            ok = any(matches(run, item) for item in value)
        elif key == "$nor":
            ok = not any(matches(run, item) for item in value)
        elif key == "$not":
            ok = not matches(run, value)
        else:
            ok = _condition(run, key, value)
        if not ok:
            return False
    return True


def _sort_key(value: Any) -> tuple[int, Any]:
    # SQLite's order of storage classes: numbers (booleans are 0/1) before text; missing last.
    if value is MISSING or value is None:
        return (2, 0)
    if isinstance(value, (bool, int, float)):
        return (0, float(value))
    if isinstance(value, str):
        return (1, value.encode())
    return (1, json.dumps(value, separators=(",", ":")).encode())


def ordered(runs: list[dict[str, Any]], order: str) -> list[str]:
    descending = order.startswith("-")
    key = order.lstrip("+-")
    present = [run for run in runs if field_value(run, key) not in (MISSING, None)]
    absent = [run for run in runs if field_value(run, key) in (MISSING, None)]
    present.sort(key=lambda run: (_sort_key(field_value(run, key)), run["id"]), reverse=descending)
    absent.sort(key=lambda run: run["id"], reverse=descending)
    return [run["name"] for run in present + absent]
