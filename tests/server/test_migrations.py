"""Schema migrations: a database made by an older server is brought up to date."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

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


def _version_2_database(path: Path) -> sqlite3.Connection:
    """A database as a server of schema version 2 left it, with an artifact collection
    of two versions, their aliases and tags, and the runs that logged and used them."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(
        "CREATE TABLE schema_version (version INTEGER NOT NULL);"
        f"BEGIN; {MIGRATIONS[0]} {MIGRATIONS[1]} INSERT INTO schema_version VALUES (2); COMMIT;"
    )
    conn.executescript(
        """
        INSERT INTO entities (id, name) VALUES (1, 'e');
        INSERT INTO projects (id, entity_id, name, created_at) VALUES (1, 1, 'p', '2024-01-01');
        INSERT INTO runs (id, project_id, name, state, created_at)
            VALUES (1, 1, 'r1', 'finished', '2024-01-01'), (2, 1, 'r2', 'finished', '2024-01-01');
        INSERT INTO artifact_sequences (id, project_id, name, type_name) VALUES (1, 1, 'm', 'model');
        INSERT INTO artifacts (id, sequence_id, version_index, digest, created_at)
            VALUES (1, 1, 0, 'd0', '2024-01-01'), (2, 1, 1, 'd1', '2024-01-02');
        INSERT INTO artifact_aliases (artifact_id, alias)
            VALUES (1, 'v0'), (2, 'latest'), (2, 'v1'), (2, 'best');
        INSERT INTO artifact_tags (artifact_id, name) VALUES (2, 'candidate');
        INSERT INTO run_artifacts (run_id, artifact_id, direction)
            VALUES (1, 1, 'output'), (1, 2, 'output'), (2, 2, 'input');
        """
    )
    return conn


def test_artifacts_keep_their_aliases_tags_and_links_through_the_table_rebuild(
    tmp_path: Path,
) -> None:
    conn = _version_2_database(tmp_path / "v2.db")
    tables = ("artifacts", "artifact_aliases", "artifact_tags", "run_artifacts")
    before = {
        table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in tables
    }
    conn.execute("PRAGMA foreign_keys = ON")  # as the Store's connections have them

    migrate(conn)

    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (len(MIGRATIONS),)
    after = {
        table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in tables
    }
    assert after == before
    assert conn.execute("SELECT next_version FROM artifact_sequences").fetchone() == (2,)
    # A PENDING version has no index yet, and several may wait at once.
    conn.execute(
        "INSERT INTO artifacts (sequence_id, version_index, digest, state, created_at)"
        " VALUES (1, NULL, 'd2', 'PENDING', 'x'), (1, NULL, 'd3', 'PENDING', 'x')"
    )
    # Foreign keys still cascade into the rebuilt table.
    conn.execute("DELETE FROM artifacts WHERE id = 2")
    assert conn.execute("SELECT count(*) FROM artifact_aliases").fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM run_artifacts").fetchone() == (1,)


def test_a_migration_leaving_broken_foreign_keys_is_rolled_back(tmp_path: Path) -> None:
    conn = _version_2_database(tmp_path / "broken.db")
    conn.execute("INSERT INTO artifact_tags (artifact_id, name) VALUES (99, 'orphan')")
    conn.execute("PRAGMA foreign_keys = ON")

    with pytest.raises(RuntimeError, match="foreign keys point nowhere"):
        migrate(conn)

    assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (2,)
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM artifact_aliases").fetchone() == (4,)
