"""Expression indexes over config and summary keys, created the first time a filter or an
order names the key, and recorded in the `json_indexes` table.

A key's index is `(project_id, json_extract(<column>, '<path>'))` (the row id ends it, the
tiebreaker of orders), the very expression _fields reads the key with, so that SQLite
searches it for that key's comparisons and walks it for that key's order: a page costs
the same at a thousand runs and at a hundred thousand. SQLite keeps it up to date on every
write of the run. Creating one reads every run once; at most MAX_JSON_INDEXES exist (each
costs every write of a run a little), past that keys are read without an index.

A walk index `(project_id, <order key>, id, <filter keys>...)` serves a page that walks an
order while checking a filter on other config or summary keys: SQLite reads those keys'
values from the index entries it walks (an indexed expression is read from the index), so
it reads a run only when it matches, where it would otherwise parse every run's JSON (about
1.8 us a run against 0.1). At most MAX_WALK_INDEXES exist, recorded in `json_indexes`
with the column name "walk".
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
MAX_WALK_INDEXES = 16
_MAX_WALK_KEYS = 4  # filter keys in a walk index
_WALK = "walk"
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
    known = _recorded(store)
    missing = wanted - known
    if not missing or len(known) >= MAX_JSON_INDEXES:
        return
    with store.write() as conn:
        known |= _known(conn)
        for column, path in sorted(missing - known):
            if len(known) >= MAX_JSON_INDEXES:
                break
            expression = json_value_sql(column, path)
            _create(conn, known, index_name(column, path), expression, (column, path))


def _recorded(store: Store) -> set[tuple[str, str]]:
    """(column, path) of the indexes recorded, read once per store and kept up to date
    by `_create`."""
    if store.json_indexes is None:
        store.json_indexes = _known(store.connection())
    return store.json_indexes


def _create(
    conn: sqlite3.Connection,
    known: set[tuple[str, str]],
    name: str,
    indexed: str,
    recorded: tuple[str, str],
) -> None:
    """Create the index `name` of runs by (project_id, <indexed>) and record it as
    `recorded` (column name, path) in json_indexes and in `known`."""
    conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON runs (project_id, {indexed})")
    conn.execute(
        "INSERT OR IGNORE INTO json_indexes (name, column_name, path, created_at)"
        " VALUES (?, ?, ?, ?)",
        (name, *recorded, now()),
    )
    known.add(recorded)


def _indexed_expression(value_sql: str) -> str:
    """An order key's value expression as an index column: a column's bare name."""
    keys = keys_in(value_sql)
    if keys:
        ((column, path),) = keys
        return json_value_sql(column, path)
    return value_sql.removeprefix("runs.")


def walk_index(store: Store, order_sql: str, condition: str) -> str | None:
    """The name of the walk index (module doc) of an order and a filter's condition,
    created if it does not exist yet; None when the filter reads no config or summary key
    but the order's, more than _MAX_WALK_KEYS, or MAX_WALK_INDEXES exist already."""
    keys = sorted(keys_in(condition) - keys_in(order_sql))
    if not keys or len(keys) > _MAX_WALK_KEYS:
        return None
    columns = [_indexed_expression(order_sql), "id"]
    columns += [json_value_sql(column, path) for column, path in keys]
    described = "\n".join(columns)
    name = "runs_walk_" + hashlib.sha1(described.encode()).hexdigest()[:16]
    known = _recorded(store)
    if (_WALK, described) in known:
        return name
    with store.write() as conn:
        known |= _known(conn)
        if (_WALK, described) not in known:
            walks = sum(column == _WALK for column, _ in known)
            if walks >= MAX_WALK_INDEXES or len(known) >= MAX_JSON_INDEXES:
                return None
            _create(conn, known, name, ", ".join(columns), (_WALK, described))
    return name
