"""Scans fetching several step ranges at once: the same rows as one range at a time, in
step order, with bounded requests, threads and buffering, failures raised in order and
resumed from, and early closing."""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import runsapi
import runsapi._sync.history as history_module
from runsapi import UsageError
from runsapi._sync.api import Api
from runsapi._sync.history import HistoryScan
from runsapi._sync.runs import Run
from runsapi.server import LocalServer
from tests.live.conftest import FAST_RETRIES, SCRATCH, fast_api, log_history
from tests.support.counting import CountingTransport

Rows = list[dict[str, Any]]
_ids = itertools.count()
PAGE_OPERATIONS = ("RunHistoryPage", "RunSampledHistory")
ATTEMPTS = FAST_RETRIES.max_retries + 1


class StepTransport(CountingTransport):
    """Counts requests from any thread, keeps the step ranges of history pages, and
    answers 503 to the pages starting at the steps in `failing`."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.starts: Counter[int] = Counter()
        self.failing: set[int] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.read())
        name = body.get("operationName") or "?"
        start = _page_start(name, body.get("variables") or {})
        with self._lock:
            self.requests += 1
            self.operations[name] += 1
            if start is not None:
                self.starts[start] += 1
            failing = start in self.failing
        if failing:
            return httpx.Response(503, json={"errors": ["down for this range"]}, request=request)
        return self.inner.handle_request(request)

    def pages(self) -> int:
        return sum(self.operations[name] for name in PAGE_OPERATIONS)

    def reset(self) -> None:
        super().reset()
        self.starts.clear()


def _page_start(name: str, variables: dict[str, Any]) -> int | None:
    if name == "RunHistoryPage":
        return int(variables["minStep"])
    if name == "RunSampledHistory":
        return int(json.loads(variables["specs"][0])["minStep"])
    return None


@pytest.fixture
def steps_transport() -> StepTransport:
    return StepTransport()


@pytest.fixture
def client(server: LocalServer, steps_transport: StepTransport) -> Iterator[Api]:
    server.clear_faults()
    with fast_api(server, steps_transport) as api:
        yield api


def run_with(api: Api, server: LocalServer, rows: Rows) -> Run:
    run = api.create_run(run_id=f"conc{next(_ids):04d}", project=SCRATCH)
    log_history(server, run.id, rows)
    return api.run(run.path_str)


def scan_threads(run: Run) -> list[threading.Thread]:
    """The threads of the scans of `run` still alive."""
    return [t for t in threading.enumerate() if t.name == f"runsapi-scan-{run.id}"]


def dense(steps: int) -> Rows:
    return [{"_step": s, "loss": s / 7, "acc": s % 3} for s in range(steps)]


def keyed(rows: Rows, *keys: str) -> Rows:
    return [{"_step": r["_step"], **{k: r[k] for k in keys}} for r in rows if set(keys) <= set(r)]


GAPS = [{"_step": s, "loss": s / 10} for s in [*range(1000, 1250), *range(6250, 6400)]]
CLUMPS = [
    {"_step": s, "x": s} for start in range(0, 60_000, 6_000) for s in range(start, start + 350)
]
SPARSE_THEN_DENSE = [{"_step": s, "x": s} for s in [*range(0, 30_000, 300), *range(30_000, 33_000)]]
EVERY_TENTH = [{"_step": s, "loss": 1.0} for s in range(0, 50_000, 10)]
RARE_KEY = [
    {"_step": s, "loss": 1.0, **({"eval": s} if s % 500 == 0 else {})} for s in range(20_000)
]


@pytest.mark.parametrize(
    ("logged", "keys", "page_size", "most_pages"),
    [
        (GAPS, None, 100, 40),
        (CLUMPS, None, 100, 200),
        (SPARSE_THEN_DENSE, None, 100, 100),
        (EVERY_TENTH, ["loss"], 1000, 25),
    ],
    ids=["gaps", "clumps", "sparse-then-dense", "every-tenth-step"],
)
def test_concurrent_ranges_give_the_rows_of_one_range_at_a_time(
    client: Api,
    server: LocalServer,
    steps_transport: StepTransport,
    logged: Rows,
    keys: list[str] | None,
    page_size: int,
    most_pages: int,
) -> None:
    run = run_with(client, server, logged)
    expected = logged if keys is None else keyed(logged, *keys)
    for workers in (1, 4, 8):
        steps_transport.reset()
        scan = run.scan_history(keys=keys, page_size=page_size, max_workers=workers)
        assert list(scan) == expected, f"max_workers={workers}"
        # Ranges are cut from what earlier answers showed, so their number varies with
        # the order answers arrive in, within bounds: gaps and sparse rows are crossed
        # in growing ranges, not a page of steps at a time.
        assert steps_transport.pages() == scan.pages_fetched <= most_pages
        assert steps_transport.operations["RunHistoryKeys"] == 1


@pytest.mark.parametrize("keys", [None, ["loss"]])
def test_a_dense_scan_of_60000_steps_costs_one_request_per_page(
    client: Api, server: LocalServer, steps_transport: StepTransport, keys: list[str] | None
) -> None:
    logged = dense(60_000)
    run = run_with(client, server, logged)
    expected = logged if keys is None else keyed(logged, "loss")
    operation = "RunHistoryPage" if keys is None else "RunSampledHistory"
    for workers in (1, 4, 8):
        steps_transport.reset()
        assert list(run.scan_history(keys=keys, max_workers=workers)) == expected
        assert steps_transport.operations == {"RunHistoryKeys": 1, operation: 60}
        assert steps_transport.starts == Counter(range(0, 60_000, 1000))


def test_a_key_whose_rows_fit_a_page_is_one_request(
    client: Api, server: LocalServer, steps_transport: StepTransport
) -> None:
    run = run_with(client, server, RARE_KEY)
    steps_transport.reset()
    rows = list(run.scan_history(keys=["eval"], page_size=100))
    assert rows == keyed(RARE_KEY, "eval")
    # The history keys count 40 rows with "eval": one range, 0 to the last step.
    assert steps_transport.operations == {"RunHistoryKeys": 1, "RunSampledHistory": 1}


def test_a_wrong_row_bound_costs_requests_never_rows(
    client: Api, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_with(client, server, SPARSE_THEN_DENSE)
    monkeypatch.setattr(history_module, "history_extent", lambda *_: (32_999, 0))
    scan = run.scan_history(page_size=100)
    assert list(scan) == SPARSE_THEN_DENSE
    assert scan.pages_fetched > 30  # the one range overflowed, then was cut narrower


@pytest.mark.parametrize("workers", [1, 4, 8])
def test_at_most_max_workers_requests_at_once_and_that_many_pages_held(
    client: Api, server: LocalServer, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    logged = dense(20_000)
    run = run_with(client, server, logged)
    page_size = 500
    lock = threading.Lock()
    together = threading.Barrier(workers, timeout=30)
    state = {"running": 0, "peak": 0, "fetched": 0}
    read = HistoryScan._rows

    def counted(scan: HistoryScan, start: int, end: int) -> Rows:
        with lock:
            state["running"] += 1
            state["peak"] = max(state["peak"], state["running"])
        if start < workers * page_size:
            together.wait()  # the first ranges are all requested before any is answered
        rows = read(scan, start, end)
        with lock:
            state["running"] -= 1
            state["fetched"] += len(rows)
        return rows

    monkeypatch.setattr(HistoryScan, "_rows", counted)
    scan = run.scan_history(page_size=page_size, max_workers=workers)
    returned = 0
    for row in scan:
        assert row == logged[returned]
        returned += 1
        if returned % 1000 == 0:
            threading.Event().wait(0.02)  # a slow consumer: the ranges ahead are fetched
        with lock:
            held = state["fetched"] - returned
        # The ranges requested ahead, and the page being returned.
        assert held <= (workers + 1) * page_size
    assert returned == len(logged)
    assert state["peak"] == workers


def test_a_failed_range_raises_after_the_rows_before_it_and_resumes_once(
    client: Api, server: LocalServer, steps_transport: StepTransport
) -> None:
    logged = dense(10_000)
    run = run_with(client, server, logged)
    steps_transport.reset()
    steps_transport.failing = {3000}
    scan = run.scan_history(page_size=500, max_workers=4)
    rows: Rows = []
    with pytest.raises(runsapi.InternalServerError, match="HTTP 503"):
        rows.extend(scan)
    assert rows == logged[:3000], "every row before the failed range, and no other"
    assert scan.next_step == 3000
    steps_transport.failing = set()
    rows.extend(scan)
    assert rows == logged
    # The failed range was asked once per attempt, then once more; the ranges fetched
    # meanwhile were kept, not asked again.
    assert steps_transport.starts == Counter(
        {start: 1 for start in range(0, 10_000, 500)} | {3000: ATTEMPTS + 1}
    )


def test_a_new_scan_from_next_step_continues_a_failed_one(
    client: Api, server: LocalServer, steps_transport: StepTransport
) -> None:
    logged = keyed(dense(10_000), "acc")
    run = run_with(client, server, dense(10_000))
    steps_transport.failing = {6000}
    scan = run.scan_history(keys=["acc"], page_size=500)
    head: Rows = []
    with pytest.raises(runsapi.InternalServerError):
        head.extend(scan)
    steps_transport.failing = set()
    with run.scan_history(keys=["acc"], page_size=500, min_step=scan.next_step) as rest:
        assert head + list(rest) == logged


def test_server_faults_across_ranges_lose_and_repeat_nothing(
    client: Api, server: LocalServer
) -> None:
    logged = dense(8_000)
    run = run_with(client, server, logged)
    scan = run.scan_history(page_size=250, max_workers=6)
    rows = list(itertools.islice(scan, 1_100))
    # Enough failures for every range in flight to exhaust its retries.
    server.inject_fault("status", count=6 * ATTEMPTS * 2, status=503, retry_after="0")
    with pytest.raises(runsapi.InternalServerError):
        rows.extend(scan)
    assert rows == logged[: len(rows)]
    server.clear_faults()
    rows.extend(scan)
    assert rows == logged
    assert scan_threads(run) == []


def test_iter_batches_fetch_ranges_at_once_in_step_order(
    client: Api, server: LocalServer, steps_transport: StepTransport
) -> None:
    logged = dense(5_000)
    run = run_with(client, server, logged)
    steps_transport.reset()
    batches = list(run.scan_history(page_size=1000, max_workers=3).iter_batches())
    assert [len(batch) for batch in batches] == [1000] * 5
    assert [b["_step"].iloc[0] for b in batches] == [0, 1000, 2000, 3000, 4000]
    assert steps_transport.pages() == 5


def until_gone(threads: list[threading.Thread]) -> list[threading.Thread]:
    for thread in threads:
        thread.join(timeout=30)
    return [thread for thread in threads if thread.is_alive()]


@pytest.mark.parametrize("with_block", [False, True], ids=["close", "with-block"])
def test_closing_early_requests_nothing_more_and_ends_its_threads(
    client: Api, server: LocalServer, steps_transport: StepTransport, with_block: bool
) -> None:
    run = run_with(client, server, dense(20_000))
    scan = run.scan_history(page_size=500, max_workers=4)
    if with_block:
        with scan:
            first = [row["_step"] for row in itertools.islice(scan, 10)]
    else:
        first = [row["_step"] for row in itertools.islice(scan, 10)]
        scan.close()
    assert first == list(range(10))
    assert scan_threads(run) == [], "the requests in flight were waited for"
    assert steps_transport.pages() == 4, "the first max_workers ranges, requested at once"
    assert list(scan) == [] and list(scan.iter_batches()) == []
    assert steps_transport.pages() == 4


def test_a_scan_left_early_requests_nothing_more_and_its_threads_end(
    client: Api, server: LocalServer, steps_transport: StepTransport
) -> None:
    run = run_with(client, server, dense(20_000))
    for row in run.scan_history(page_size=500, max_workers=4):
        if row["_step"] == 600:
            break
    assert until_gone(scan_threads(run)) == []
    asked = steps_transport.pages()
    assert asked == 4 + 1, "one more range requested as the first was handed out"
    threading.Event().wait(0.1)
    assert steps_transport.pages() == asked
    assert scan_threads(run) == []


def test_finished_and_failed_scans_leave_no_thread(
    client: Api, server: LocalServer, steps_transport: StepTransport
) -> None:
    run = run_with(client, server, dense(6_000))
    assert len(list(run.scan_history(page_size=300, max_workers=8))) == 6_000
    assert scan_threads(run) == []
    steps_transport.failing = {1500}
    scan = run.scan_history(page_size=300, max_workers=8)
    with pytest.raises(runsapi.InternalServerError):
        list(scan)
    scan.close()
    assert scan_threads(run) == []


@pytest.mark.parametrize("max_workers", [0, -1, 21, True, 2.0, "4", None])
def test_max_workers_is_checked_before_any_request(
    client: Api, steps_transport: StepTransport, max_workers: object
) -> None:
    run = client.runs("demo/demo-project", per_page=1)[0]
    steps_transport.reset()
    with pytest.raises(UsageError, match="max_workers must be an integer from 1 to 20"):
        run.scan_history(max_workers=max_workers)  # type: ignore[arg-type]
    assert steps_transport.requests == 0
