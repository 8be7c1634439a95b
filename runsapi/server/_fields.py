"""Run fields that filters and orders may name, and the SQL that reads each one.

A scalar field is read by a value expression and a type expression whose results use
SQLite's `json_type` names ('null', 'true', 'false', 'integer', 'real', 'text', 'array',
'object'; SQL NULL when the field is missing). JSON paths are SQL literals (see
`json_value_sql`), so that an expression index over a key serves the queries reading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any


class FilterError(ValueError):
    """A filter or order this server cannot interpret; reported as a GraphQL error."""


@dataclass(frozen=True)
class Scalar:
    """A field with one value per run."""

    value_sql: str
    type_sql: str
    is_timestamp: bool = False
    nullable: bool = True
    # Whether an index of runs by (project_id, value) exists or is created on first use
    # (_json_indexes), so that comparisons and orders on it search the index.
    indexed: bool = False
    # Whether the value is read from JSON (any JSON type; booleans read as 1 and 0, arrays
    # and objects as their JSON text), not from a text column (text or NULL).
    json: bool = False


@dataclass(frozen=True)
class TagList:
    """The run's tags: an operator matches when any tag matches (as in MongoDB)."""


Field = Scalar | TagList


def _column(
    sql: str, *, nullable: bool = True, is_timestamp: bool = False, indexed: bool = True
) -> Scalar:
    return Scalar(
        value_sql=sql,
        type_sql=f"CASE WHEN {sql} IS NULL THEN NULL ELSE 'text' END",
        is_timestamp=is_timestamp,
        nullable=nullable,
        indexed=indexed,
    )


_COLUMNS: dict[str, Scalar] = {
    "name": _column("runs.name", nullable=False),
    "state": _column("runs.state", nullable=False),
    "display_name": _column("runs.display_name"),
    "group": _column("runs.group_name"),
    "job_type": _column("runs.job_type"),
    "sweep": _column("runs.sweep_name"),
    "username": _column("runs.username"),  # the user's, kept on the run by triggers
    "host": _column("runs.host"),
    "commit": _column("runs.commit_hash"),
    "notes": _column("runs.notes"),
    "description": _column("runs.description"),
    "created_at": _column("runs.created_at", nullable=False, is_timestamp=True),
    "heartbeat_at": _column("runs.heartbeat_at", is_timestamp=True),
    "updated_at": _column("runs.updated_at", is_timestamp=True),
}
_ALIASES = {
    "displayName": "display_name",
    "groupName": "group",
    "jobType": "job_type",
    "sweepName": "sweep",
    "createdAt": "created_at",
    "heartbeatAt": "heartbeat_at",
    "updatedAt": "updated_at",
}
_CONFIG_PREFIXES = ("config.",)
_SUMMARY_PREFIXES = ("summary_metrics.", "summaryMetrics.")


def json_path(keys: list[str]) -> str:
    for key in keys:
        if not key or '"' in key or "\x00" in key:
            raise FilterError(f"unsupported key segment {key!r}")
    return "$" + "".join(f'."{key}"' for key in keys)


def json_value_sql(column: str, path: str) -> str:
    """`json_extract(column, 'path')` with the path a SQL literal, not a parameter: an
    expression index over a JSON key (_json_indexes) serves only a query whose expression
    is the same text. The path's segments hold no `"` or NUL (json_path); `'` is doubled."""
    literal = path.replace("'", "''")
    return f"json_extract({column}, '{literal}')"


def _json_field(column: str, keys: list[str]) -> Scalar:
    path = json_path(keys)
    literal = path.replace("'", "''")
    return Scalar(
        value_sql=json_value_sql(column, path),
        type_sql=f"json_type({column}, '{literal}')",
        indexed=True,
        json=True,
    )


def config_path(key: str) -> list[str]:
    """`lr`, `lr.value` → [lr, value]; `optimizer.name` → [optimizer, value, name]."""
    parts = key.split(".")
    if len(parts) > 1 and parts[1] == "value":
        parts = [parts[0], *parts[2:]]
    return [parts[0], "value", *parts[1:]]


def resolve_field(key: str) -> Field:
    """The field a filter or order key names, or FilterError."""
    if key == "tags":
        return TagList()
    name = _ALIASES.get(key, key)
    if name in _COLUMNS:
        return _COLUMNS[name]
    if name == "duration":
        return _json_field("runs.summary_q", ["_runtime"])
    for prefix in _CONFIG_PREFIXES:
        if key.startswith(prefix):
            return _json_field("runs.config_q", config_path(key[len(prefix) :]))
    for prefix in _SUMMARY_PREFIXES:
        if key.startswith(prefix):
            return _json_field("runs.summary_q", key[len(prefix) :].split("."))
    raise FilterError(f"unknown filter key {key!r}")


def normalize_timestamp(value: Any) -> Any:
    """ISO-8601 text (with or without a zone) as the naive-UTC text the database stores."""
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed.isoformat()
