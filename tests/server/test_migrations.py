"""Schema migrations: a database made by an older server is brought up to date."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from runsapi.server._migrations import MIGRATIONS, migrate


def test_history_spans_are_backfilled_for_a_version_1_database(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    conn.executescript(
        "CREATE TABLE schema_version (version INTEGER NOT NULL);"
        f"BEGIN; {MIGRATIONS[0]} INSERT INTO schema_version VALUES (1); COMMIT;"
    )
    conn.execute('INSERT INTO keysets (id, keys) VALUES (1, \'["_step"]\'), (2, \'["_step","x"]\')')
    conn.executemany(
        "INSERT INTO history (run_id, step, keyset_id, row) VALUES (7, ?, ?, '{}')",
        [(step, 2 if step % 10 == 0 else 1) for step in range(5, 40)],
    )
    conn.execute("INSERT INTO run_keysets (run_id, keyset_id) VALUES (7, 1), (7, 2), (8, 1)")

    migrate(conn)

    assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (len(MIGRATIONS),)
    spans = conn.execute(
        "SELECT run_id, keyset_id, row_count, first_step, last_step FROM run_keysets"
        " ORDER BY run_id, keyset_id"
    ).fetchall()
    assert spans == [(7, 1, 32, 5, 39), (7, 2, 3, 10, 30), (8, 1, 0, None, None)]
