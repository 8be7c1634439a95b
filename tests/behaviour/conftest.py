"""The behaviour suite: one set of tests, written in async (tests/behaviour/_async) and
rewritten into sync (tests/behaviour/_sync) by scripts/unasync.py, so that `AsyncApi` and
`Api` pass the same tests against the same LocalServer.

The cassette tests (test_cassettes.py) of both layers replay the same files, in
tests/behaviour/cassettes/<module>/, recorded from the sync layer by
`python scripts/record_cassettes.py --behaviour`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runsapi import RetryPolicy
from runsapi.server import LocalServer, SeedSpec, append_history

SEED = SeedSpec(runs=8, steps=120, events=5, files=2, seed=5)
PROJECT = "demo/demo-project"
SCRATCH = "demo/behaviour-scratch"
"""Where tests that create or change runs work, so that PROJECT keeps its seeded runs."""
FAST_RETRIES = RetryPolicy(max_retries=3, initial_delay=0.0, max_delay=0.0, jitter=0.0)
CASSETTES = Path(__file__).resolve().parent / "cassettes"
"""One directory of cassettes per test module, shared by the async and the sync layer."""


@pytest.fixture(scope="session")
def server() -> Iterator[LocalServer]:
    with LocalServer(seed=SEED, faults=True) as running:
        yield running


@pytest.fixture
def anyio_backend() -> str:
    """The async tests run on asyncio (anyio's pytest plugin, installed with httpx)."""
    return "asyncio"


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """pytest-recording's cassette directory, by module name rather than by module path,
    so that tests/behaviour/_async/test_x.py and its twin _sync/test_x.py replay the same
    cassettes (the tests have the same names in both)."""
    return str(CASSETTES / request.module.__name__.rsplit(".", 1)[-1])


def log_history(server: LocalServer, run_id: str, rows: list[dict[str, Any]]) -> None:
    """Append history rows to a run, as a training process would have logged them."""
    with server.store.write() as conn:
        (row_id,) = conn.execute("SELECT id FROM runs WHERE name = ?", (run_id,)).fetchone()
        append_history(conn, row_id, rows)


def stored_file(server: LocalServer, run_id: str, name: str) -> bytes:
    """The bytes the server stores for the file `name` of the run `run_id`."""
    row = (
        server.store.connection()
        .execute(
            "SELECT files.id FROM files JOIN runs ON runs.id = files.run_id"
            " WHERE runs.name = ? AND files.name = ?",
            (run_id, name),
        )
        .fetchone()
    )
    assert row is not None, f"the server has no file {name!r} for run {run_id}"
    return server.store.file_path(int(row[0])).read_bytes()


def as_json(value: Any) -> str:
    """`value` as JSON, to compare values holding NaN (which is not equal to itself): the
    seed logs NaN and infinities."""
    return json.dumps(value, sort_keys=True, default=str)
