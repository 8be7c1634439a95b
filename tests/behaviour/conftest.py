"""The behaviour suite: one set of tests, written in async (tests/behaviour/_async) and
rewritten into sync (tests/behaviour/_sync) by scripts/unasync.py, so that `AsyncApi` and
`Api` pass the same tests against the same LocalServer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runsapi import RetryPolicy
from runsapi.server import LocalServer, SeedSpec

SEED = SeedSpec(runs=8, steps=120, events=5, files=2, seed=5)
PROJECT = "demo/demo-project"
SCRATCH = "demo/behaviour-scratch"
"""Where tests that create or change runs work, so that PROJECT keeps its seeded runs."""
FAST_RETRIES = RetryPolicy(max_retries=3, initial_delay=0.0, max_delay=0.0, jitter=0.0)


@pytest.fixture(scope="session")
def server() -> Iterator[LocalServer]:
    with LocalServer(seed=SEED, faults=True) as running:
        yield running


@pytest.fixture
def anyio_backend() -> str:
    """The async tests run on asyncio (anyio's pytest plugin, installed with httpx)."""
    return "asyncio"
