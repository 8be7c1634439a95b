"""Lazily listed runs load their full data a page at a time, from any number of threads."""

from __future__ import annotations

import threading
import time
from typing import Any

from runsapi import Run
from runsapi._sync.api import Api
from runsapi.server import LocalServer
from tests.live.conftest import LIVE_SEED, PROJECT
from tests.support.counting import CountingTransport

ROUNDS = 30
# Far longer than a round takes: readers still running by then are deadlocked.
HANG_TIMEOUT = 30.0


def read_configs_at_once(runs: list[Run]) -> dict[str, dict[str, Any]]:
    """Each run's config, read by a thread of its own; the threads start at once."""
    barrier = threading.Barrier(len(runs))
    configs: dict[str, dict[str, Any]] = {}

    def read(run: Run) -> None:
        barrier.wait()
        configs[run.id] = run.config.to_dict()

    threads = [threading.Thread(target=read, args=(run,), daemon=True) for run in runs]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + HANG_TIMEOUT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "the readers deadlocked"
    return configs


def test_readers_of_one_page_started_at_once_neither_deadlock_nor_repeat_requests(
    api: Api, server: LocalServer
) -> None:
    expected = {run.id: run.config.to_dict() for run in api.runs(PROJECT, lazy=False)}
    assert len(expected) == LIVE_SEED.runs
    server.reset_request_counts()
    for _ in range(ROUNDS):
        runs = list(api.runs(PROJECT, per_page=LIVE_SEED.runs))
        assert read_configs_at_once(runs) == expected
    # Per round: one request lists the page, one loads the full data of all its runs.
    assert server.request_counts == {"GetRuns": ROUNDS, "GetRunsFull": ROUNDS}


def test_a_sibling_loading_the_page_keeps_a_runs_unsaved_edits(
    api: Api, transport: CountingTransport
) -> None:
    first, second = api.runs(PROJECT, per_page=2)[:2]
    second.notes = "unsaved"
    second.tags.append("unsaved")
    assert first.config.to_dict()  # loads the full data of the whole page
    transport.reset()
    assert second.config.to_dict()
    assert transport.requests == 0
    assert second.notes == "unsaved" and "unsaved" in second.tags
