"""Fewer round trips for listings, tables and multi-run histories, shown by request counts:
growing pages, the count asked once, one page fetched ahead (bounded, closed, its faults
surfaced once), and every answer the same as a listing of fixed pages of 50 runs."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pandas as pd
import pytest

import runsapi
from runsapi import Api
from runsapi._sync.history import rows_to_frame
from runsapi._sync.runs import Runs
from runsapi.server import LocalServer, SeedSpec
from tests.live.conftest import FAST_RETRIES

RUNS = 1_000
PROJECT = "demo/many"
SEED = SeedSpec(
    project="many", runs=RUNS, steps=20, events=0, files=0, artifacts=False, sweeps=0, reports=0
)


class Recording(httpx.BaseTransport):
    """Counts GraphQL operations and keeps each one's variables, in the order sent."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.read())
        with self._lock:
            self.sent.append((body["operationName"], body.get("variables") or {}))
        return self.inner.handle_request(request)

    @property
    def operations(self) -> Counter[str]:
        with self._lock:
            return Counter(name for name, _ in self.sent)

    def variables(self, operation: str) -> list[dict[str, Any]]:
        with self._lock:
            return [variables for name, variables in self.sent if name == operation]

    def reset(self) -> None:
        with self._lock:
            self.sent.clear()

    def close(self) -> None:
        self.inner.close()


def make_api(server: LocalServer, transport: httpx.BaseTransport) -> Api:
    return Api(
        {"base_url": server.base_url, "entity": "demo"},
        api_key=server.api_key,
        retry_policy=FAST_RETRIES,
        transport=transport,
    )


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(seed=SEED, faults=True) as running:
        yield running


@pytest.fixture
def recording() -> Recording:
    return Recording()


@pytest.fixture
def api(server: LocalServer, recording: Recording) -> Iterator[Api]:
    server.clear_faults()
    with make_api(server, recording) as client:
        yield client


@pytest.fixture(scope="module")
def reference(server: LocalServer) -> list[str]:
    """Every run as a listing of fixed pages of 50 (today's default) returns it."""
    with make_api(server, Recording()) as client:
        return [described(run) for run in client.runs(PROJECT, per_page=50, lazy=False)]


def described(run: runsapi.Run) -> str:
    """What a run holds, as text (so that a NaN in a summary equals itself)."""
    fields = (run.id, run.name, run.state, run.tags, run.created_at, run.config, run.summary)
    return json.dumps(fields, default=str)


def prefetch_threads() -> int:
    return sum(thread.name == "runsapi-prefetch" for thread in threading.enumerate())


# -- listing ---------------------------------------------------------------------------------


def test_a_thousand_runs_take_three_requests_at_default_settings(
    api: Api, recording: Recording, reference: list[str]
) -> None:
    runs = api.runs(PROJECT)
    assert [[run.id, run.name, run.state, run.tags] for run in runs] == [
        json.loads(listed)[:4] for listed in reference
    ]
    pages = recording.variables("GetRuns")
    assert [page["perPage"] for page in pages] == [50, 200, 800]
    assert [page.get("withCount") for page in pages] == [None, False, False], "count once"
    assert len(runs) == RUNS and recording.operations == {"GetRuns": 3}


def test_a_page_size_given_is_kept(api: Api, recording: Recording) -> None:
    assert len(list(api.runs(PROJECT, per_page=50))) == RUNS
    assert [page["perPage"] for page in recording.variables("GetRuns")] == [50] * 20


def test_the_first_run_arrives_after_one_small_page(api: Api, recording: Recording) -> None:
    with api.runs(PROJECT) as runs:
        first = next(iter(runs))
        assert runs.pages_loaded == 1 and len(runs.loaded) == 50 and runs.loaded[0] is first
        assert recording.variables("GetRuns")[0]["perPage"] == 50
    assert first.id == api.runs(PROJECT, per_page=1)[0].id


def test_lazily_listed_runs_load_their_full_data_one_request_per_page(
    api: Api, recording: Recording, reference: list[str]
) -> None:
    assert [described(run) for run in api.runs(PROJECT)] == reference
    assert recording.operations == {"GetRuns": 3, "GetRunsFull": 3}


def test_prefetch_stays_one_page_ahead(api: Api, recording: Recording) -> None:
    runs = api.runs(PROJECT, per_page=100)
    for index, _ in enumerate(runs):
        # The pages loaded, plus at most the one on its way.
        assert recording.operations["GetRuns"] <= runs.pages_loaded + 1, index
    assert recording.operations == {"GetRuns": 10}


def test_close_stops_prefetching_and_leaves_no_thread(api: Api, recording: Recording) -> None:
    before = threading.active_count()
    runs = api.runs(PROJECT, per_page=100)
    assert next(iter(runs)).id == runs.loaded[0].id
    runs.close()
    assert prefetch_threads() == 0 and threading.active_count() == before
    assert recording.operations == {"GetRuns": 2}, "the page on its way, waited for"
    assert len(list(runs)) == RUNS, "what is left loads on demand"
    assert prefetch_threads() == 0
    assert recording.operations == {"GetRuns": 2 + 9}, "the page dropped by close, again"


def test_closing_the_api_stops_its_listings(server: LocalServer) -> None:
    before = threading.active_count()
    api = make_api(server, Recording())
    listings = [api.runs(PROJECT, per_page=100), api.with_options(timeout=30).runs(PROJECT)]
    for runs in listings:
        next(iter(runs))
    api.close()
    assert prefetch_threads() == 0 and threading.active_count() == before


# -- faults in the page fetched ahead --------------------------------------------------------


def test_a_failed_page_ahead_is_raised_once_and_the_listing_resumes(
    api: Api, server: LocalServer, recording: Recording, reference: list[str]
) -> None:
    runs = api.runs(PROJECT)
    runs[0]  # the first page, listed without fetching ahead
    server.inject_fault("status", count=4, status=500, operation="GetRuns")  # every attempt
    seen = []
    with pytest.raises(runsapi.InternalServerError, match="GetRuns failed: HTTP 500"):
        for run in runs:
            seen.append(run.id)
    assert len(seen) == 50, "raised where the failed page starts"
    assert [run.id for run in runs] == [json.loads(listed)[0] for listed in reference]
    assert runs.duplicates_skipped == 0
    assert recording.operations == {"GetRuns": 1 + 4 + 2}


def test_a_transient_fault_ahead_is_retried_unseen(
    api: Api, server: LocalServer, recording: Recording, reference: list[str]
) -> None:
    runs = api.runs(PROJECT)
    runs[0]
    server.inject_fault("status", count=1, status=503, retry_after="0", operation="GetRuns")
    assert [run.id for run in runs] == [json.loads(listed)[0] for listed in reference]
    assert recording.operations == {"GetRuns": 1 + 2 + 1}


# -- tables ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference_table(server: LocalServer) -> pd.DataFrame:
    with make_api(server, Recording()) as client:
        return client.runs(PROJECT, per_page=50).to_pandas(progress=False)


def test_a_table_takes_two_requests(
    api: Api, recording: Recording, reference_table: pd.DataFrame
) -> None:
    pd.testing.assert_frame_equal(api.runs(PROJECT).to_pandas(progress=False), reference_table)
    assert [page["perPage"] for page in recording.variables("GetRunsFull")] == [500, 2000]


def test_a_table_of_listed_pages_loads_them_at_once(
    api: Api, recording: Recording, reference_table: pd.DataFrame
) -> None:
    runs = api.runs(PROJECT)
    for index, _ in enumerate(runs):
        if index == 60:
            break
    frame = runs.to_pandas(progress=False)
    pd.testing.assert_frame_equal(frame, reference_table)
    # The page on its way when the loop stopped is taken in; the three listed pages'
    # full data come concurrently.
    assert recording.operations == {"GetRuns": 3, "GetRunsFull": 3}


def test_upgrading_to_full_data_keeps_one_request_per_page(
    api: Api, recording: Recording, reference: list[str]
) -> None:
    runs = api.runs(PROJECT)
    runs[300]
    runs.upgrade_to_full()
    assert recording.operations == {"GetRuns": 3, "GetRunsFull": 3}
    assert [described(run) for run in runs] == reference
    assert recording.operations == {"GetRuns": 3, "GetRunsFull": 3}


# -- multi-run histories ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference_histories(server: LocalServer) -> list[dict[str, Any]]:
    with make_api(server, Recording()) as client:
        return client.runs(PROJECT, per_page=50).histories(samples=8, keys=["loss"])


def listed(runs: Runs, count: int) -> Runs:
    """`runs`, after a loop over its first `count` runs."""
    for index, _ in enumerate(runs):
        if index + 1 >= count:
            break
    return runs


@pytest.mark.parametrize(
    ("list_first", "requests"),
    [
        (0, 1),  # nothing listed: one page of every run (8 samples each)
        (60, 4 + 1),  # 250 listed, in 4 requests at once, and the rest after them
        (RUNS, 4),  # all listed: in 4 requests at once
    ],
    ids=["not-listed", "some-listed", "all-listed"],
)
def test_histories_match_pages_of_fifty(
    api: Api,
    recording: Recording,
    reference_histories: list[dict[str, Any]],
    list_first: int,
    requests: int,
) -> None:
    runs = listed(api.runs(PROJECT), list_first) if list_first else api.runs(PROJECT)
    rows = runs.histories(samples=8, keys=["loss"])
    assert rows == reference_histories
    assert recording.operations["RunsSampledHistory"] == requests
    frame = runs.histories(samples=8, keys=["loss"], format="pandas")
    pd.testing.assert_frame_equal(
        frame, rows_to_frame(reference_histories, x_axis="_step", leading=("run_id",))
    )


def test_histories_of_a_page_size_given_use_pages_of_that_size(
    api: Api, recording: Recording, reference_histories: list[dict[str, Any]]
) -> None:
    assert api.runs(PROJECT, per_page=300).histories(samples=8, keys=["loss"]) == (
        reference_histories
    )
    assert [page["perPage"] for page in recording.variables("RunsSampledHistory")] == [300] * 4
