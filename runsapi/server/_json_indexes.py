"""Expression indexes over config and summary keys, created the first time a filter or an
order names the key, and recorded in the `json_indexes` table.

A key's index is `(project_id, json_extract(<column>, '<path>'))` (the row id ends it, the
tiebreaker of orders), the very expression _fields reads the key with, so that SQLite
searches it for that key's comparisons and walks it for that key's order: a page costs
the same at a thousand runs and at a hundred thousand. SQLite keeps it up to date on every
write of the run. Creating one reads every run once; at most MAX_JSON_INDEXES exist (each
costs every write of a run a little), past that keys are read without an index.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable

from runsapi.server._fields import json_value_sql
from runsapi.server._store import Store
from runsapi.server._time import now

MAX_JSON_INDEXES = 64
_EXPRESSION = re.compile(r"json_extract\(runs\.(config_q|summary_q), '((?:[^']|'')*)'\)")


def keys_in(sql: str) -> set[tuple[str, str]]:
    """The (column, JSON path) of each config or summary key that `sql` reads."""
    return {(column, path.replace("''", "'")) for column, path in _EXPRESSION.findall(sql)}


def index_name(column: str, path: str) -> str:
    digest = hashlib.sha1(f"{column}\0{path}".encode()).hexdigest()[:16]
    return f"runs_json_{digest}"


def _known(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    return {
        (column, path)
        for column, path in conn.execute("SELECT column_name, path FROM json_indexes")
    }


def ensure(store: Store, sql_texts: Iterable[str]) -> None:
    """Create the indexes of the keys the statements read that have none yet."""
    wanted: set[tuple[str, str]] = set()
    for sql in sql_texts:
        wanted |= keys_in(sql)
    known = store.json_indexes
    if known is None:
        known = store.json_indexes = _known(store.connection())
    missing = wanted - known
    if not missing or len(known) >= MAX_JSON_INDEXES:
        return
    with store.write() as conn:
        known |= _known(conn)
        for column, path in sorted(missing - known):
            if len(known) >= MAX_JSON_INDEXES:
                break
            name = index_name(column, path)
            expression = json_value_sql(column, path)
            conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON runs (project_id, {expression})")
            conn.execute(
                "INSERT OR IGNORE INTO json_indexes (name, column_name, path, created_at)"
                " VALUES (?, ?, ?, ?)",
                (name, column, path, now()),
            )
            known.add((column, path))
