"""Seeding: deterministic from the seed, sized by its parameters; the CLI entry points."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from runsapi.__main__ import main
from runsapi.server import SeedSpec, Store, seed_project
from runsapi.server._accounts import ensure_user
from runsapi.server._migrations import MIGRATIONS

TABLES = (
    "runs",
    "history",
    "events",
    "files",
    "artifacts",
    "artifact_aliases",
    "run_artifacts",
    "sweeps",
)


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    dump = {
        table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in TABLES
    }
    conn.close()
    return dump


def _seed(path: Path, spec: SeedSpec) -> None:
    store = Store(path)
    with store.write() as conn:
        ensure_user(conn, "demo")
    seed_project(store, spec)
    store.close()


def test_seeding_is_deterministic_and_sized(tmp_path: Path) -> None:
    spec = SeedSpec(runs=5, steps=120, events=4, files=6, seed=11)
    _seed(tmp_path / "a.db", spec)
    _seed(tmp_path / "b.db", spec)
    first, second = _dump(tmp_path / "a.db"), _dump(tmp_path / "b.db")
    assert first == second
    assert (
        len(first["runs"]) == 5 and len(first["history"]) == 5 * 120 and len(first["events"]) == 20
    )
    assert len(first["files"]) == 30
    _seed(tmp_path / "c.db", SeedSpec(runs=5, steps=120, events=4, files=6, seed=12))
    assert _dump(tmp_path / "c.db")["runs"] != first["runs"]


def test_seeding_twice_is_refused(tmp_path: Path) -> None:
    _seed(tmp_path / "a.db", SeedSpec(runs=1, steps=1))
    with pytest.raises(ValueError, match="exists already"):
        seed_project(Store(tmp_path / "a.db"), SeedSpec(runs=1, steps=1))


def test_seed_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["seed", "--db", str(tmp_path / "x.db"), "--runs", "3", "--steps", "10", "--files", "1"])
    assert "seeded demo/demo-project: 3 runs x 10 steps" in capsys.readouterr().out
    conn = sqlite3.connect(tmp_path / "x.db")
    assert conn.execute("SELECT count(*) FROM history").fetchone() == (30,)
    assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (len(MIGRATIONS),)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_demo_command(capsys: pytest.CaptureFixture[str]) -> None:
    main(["demo", "--runs", "4", "--steps", "30"])
    out = capsys.readouterr().out
    assert "Local server at http://127.0.0.1:" in out and "Connected to" in out
