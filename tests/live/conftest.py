"""Live tests: the client against a LocalServer on 127.0.0.1 (mutations, faults, races)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from runsapi import RetryPolicy
from runsapi._sync.api import Api
from runsapi.server import LocalServer, SeedSpec
from tests.support.counting import CountingTransport

LIVE_SEED = SeedSpec(runs=8, steps=120, events=5, files=2, seed=5)
PROJECT = "demo/demo-project"
# Tests that create runs put them here, so that PROJECT keeps its seeded runs only.
SCRATCH = "scratch"
# Retries without waiting: the tests are about what is retried, not how long it waits.
FAST_RETRIES = RetryPolicy(max_retries=3, initial_delay=0.0, max_delay=0.0, jitter=0.0)


@pytest.fixture(scope="session")
def server() -> Iterator[LocalServer]:
    with LocalServer(seed=LIVE_SEED, faults=True) as running:
        yield running


@pytest.fixture
def transport() -> CountingTransport:
    return CountingTransport()


def fast_api(server: LocalServer, transport: CountingTransport, **options: Any) -> Api:
    """An Api on `server` that retries without waiting and counts its requests."""
    return Api(
        {"base_url": server.base_url, "entity": "demo"},
        api_key=server.api_key,
        retry_policy=FAST_RETRIES,
        transport=transport,
        **options,
    )


@pytest.fixture
def api(server: LocalServer, transport: CountingTransport) -> Iterator[Api]:
    server.clear_faults()
    with fast_api(server, transport) as client:
        yield client


def second_api(server: LocalServer) -> Api:
    """Another, independent client (another process, say) on the same server."""
    return Api({"base_url": server.base_url, "entity": "demo"}, api_key=server.api_key)


def log_history(server: LocalServer, run_id: str, rows: list[dict[str, object]]) -> None:
    """Append history rows to a run, as a training process would have logged them."""
    from runsapi.server import append_history  # noqa: PLC0415

    with server.store.write() as conn:
        (row_id,) = conn.execute("SELECT id FROM runs WHERE name = ?", (run_id,)).fetchone()
        append_history(conn, row_id, rows)
