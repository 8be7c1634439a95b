"""A run's history: sampled (`history`) and whole (`scan_history`), rows and DataFrames."""

from __future__ import annotations

import pandas as pd
import pytest

from runsapi import AsyncApi, InternalServerError, UsageError
from runsapi.server import LocalServer
from tests.behaviour._async.conftest import run_with_history
from tests.behaviour.conftest import PROJECT, as_json
from tests.support.counting import CountingTransport

pytestmark = pytest.mark.anyio  # async-only

LOGGED = [
    {"_step": step, "loss": 1 / (step + 1), **({"acc": step / 100} if step % 3 == 0 else {})}
    for step in range(100)
]
"""120 rows would do as well; `acc` is logged every third step."""


async def test_history_samples_keep_the_first_and_last_rows(
    api: AsyncApi, transport: CountingTransport
) -> None:
    run = await api.runs(PROJECT, lazy=False).at(0)
    transport.reset()
    rows = await run.history(samples=10, keys=["loss"], pandas=False)
    assert transport.operations == {"RunSampledHistory": 1}
    assert all(set(row) == {"_step", "loss"} for row in rows)
    steps = [row["_step"] for row in rows]
    assert len(steps) <= 10 and steps == sorted(steps) and (steps[0], steps[-1]) == (0, 119)
    frame = await run.history(samples=10, keys=["loss"])
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["_step", "loss"]
    assert list(frame["_step"]) == steps
    assert frame.attrs == {"sampled": True, "samples": 10, "run_rows": 120}
    assert transport.operations == {"RunSampledHistory": 2}


async def test_history_without_keys_returns_every_key(
    api: AsyncApi, server: LocalServer, transport: CountingTransport
) -> None:
    run = await run_with_history(api, server, LOGGED)
    transport.reset()
    rows = await run.history(samples=1000, pandas=False)
    assert transport.operations == {"RunHistoryPage": 1}
    assert rows == LOGGED, "fewer rows than samples: all of them, as logged"
    frame = await run.history(samples=1000, keys=["acc"], pandas=True)
    assert list(frame["_step"]) == list(range(0, 100, 3))
    assert list(frame["acc"]) == [step / 100 for step in range(0, 100, 3)]


async def test_a_scan_returns_every_row_in_step_order(
    api: AsyncApi, server: LocalServer, transport: CountingTransport
) -> None:
    run = await run_with_history(api, server, LOGGED)
    transport.reset()
    async with run.scan_history(page_size=10) as scan:
        rows = [row async for row in scan]
    assert rows == LOGGED
    assert transport.operations == {"RunHistoryKeys": 1, "RunHistoryPage": 10}
    assert scan.pages_fetched == 10


async def test_a_scan_takes_a_step_range_and_keys(api: AsyncApi, server: LocalServer) -> None:
    run = await run_with_history(api, server, LOGGED)
    async with run.scan_history(min_step=20, max_step=30, page_size=4) as scan:
        assert [row async for row in scan] == LOGGED[20:30], "max_step is exclusive"
    async with run.scan_history(keys=["acc"], page_size=7) as scan:
        with_acc = [row async for row in scan]
    assert with_acc == [{"_step": step, "acc": step / 100} for step in range(0, 100, 3)]
    async with run.scan_history(keys=["acc"], min_step=50, page_size=7) as scan:
        assert [row["_step"] async for row in scan] == list(range(51, 100, 3))


async def test_iter_batches_yields_a_frame_per_page(api: AsyncApi, server: LocalServer) -> None:
    run = await run_with_history(api, server, LOGGED)
    async with run.scan_history(page_size=25, max_workers=1) as scan:
        frames = [frame async for frame in scan.iter_batches()]
    assert [len(frame) for frame in frames] == [25, 25, 25, 25]
    whole = pd.concat(frames, ignore_index=True)
    assert list(whole.columns) == ["_step", "acc", "loss"]
    assert list(whole["_step"]) == list(range(100))
    assert list(whole["loss"]) == [row["loss"] for row in LOGGED]
    assert whole["acc"].isna().sum() == 100 - 34, "acc is missing where it was not logged"


async def test_closing_a_scan_early_requests_nothing_more(
    api: AsyncApi, server: LocalServer, transport: CountingTransport
) -> None:
    run = await run_with_history(api, server, LOGGED)
    transport.reset()
    async with run.scan_history(page_size=5, max_workers=2) as scan:
        async for row in scan:
            assert row == LOGGED[0]
            break
    sent = transport.requests
    assert sent <= 1 + 2, "the history keys, then at most max_workers pages"
    assert [row async for row in scan] == []
    assert transport.requests == sent
    assert scan.next_step <= 10


async def test_a_scan_checks_its_arguments_before_any_request(
    api: AsyncApi, server: LocalServer, transport: CountingTransport
) -> None:
    run = await run_with_history(api, server, LOGGED[:3])
    transport.reset()
    with pytest.raises(UsageError, match="max_step"):
        run.scan_history(min_step=5, max_step=5)
    with pytest.raises(UsageError, match="page_size"):
        run.scan_history(page_size=0)
    with pytest.raises(UsageError, match="max_workers"):
        run.scan_history(max_workers=0)
    async with run.scan_history() as scan:
        with pytest.raises(UsageError, match="format"):
            async for _ in scan.iter_batches(format="csv"):  # type: ignore[arg-type]
                pass
    assert transport.requests == 0


async def test_a_finished_runs_scan_gives_its_whole_history(
    api: AsyncApi, transport: CountingTransport
) -> None:
    run = await api.runs(PROJECT, filters={"state": "finished"}, lazy=False).at(0)
    transport.reset()
    async with run.scan_history(page_size=50, use_cache=False) as scan:
        rows = [row async for row in scan]
    # read from the run's parquet export (one file, downloaded again: use_cache=False)
    assert transport.operations == {"RunParquetHistory": 1} and transport.requests == 2
    assert [row["_step"] for row in rows] == list(range(120))
    assert as_json(rows) == as_json(await run.history(samples=1000, pandas=False))


async def test_a_scan_retries_transient_faults_without_gaps_or_repeats(
    api: AsyncApi, server: LocalServer, transport: CountingTransport
) -> None:
    run = await run_with_history(api, server, LOGGED)
    transport.reset()
    server.inject_fault("status", count=2, status=503, retry_after="0", operation="RunHistoryPage")
    async with run.scan_history(page_size=10, max_workers=3) as scan:
        rows = [row async for row in scan]
    assert rows == LOGGED
    assert transport.operations == {"RunHistoryKeys": 1, "RunHistoryPage": 10 + 2}


async def test_a_failed_scan_resumes_where_it_stopped(
    api: AsyncApi, server: LocalServer, transport: CountingTransport
) -> None:
    created = await run_with_history(api, server, LOGGED)
    run = await api.with_options(max_retries=0).run(created.path_str)
    collected = []
    async with run.scan_history(page_size=10, max_workers=1) as scan:
        async for row in scan:
            collected.append(row)
            if len(collected) == 25:
                break
        server.inject_fault("status", count=1, status=500, operation="RunHistoryPage")
        with pytest.raises(InternalServerError):
            async for row in scan:
                collected.append(row)
        assert len(collected) < 100
        async for row in scan:
            collected.append(row)
    assert collected == LOGGED, "nothing repeated, nothing skipped"


async def test_waiting_for_a_finished_run_returns_at_once(
    api: AsyncApi, transport: CountingTransport
) -> None:
    run = await api.runs(PROJECT, filters={"state": "finished"}, lazy=False).at(0)
    transport.reset()
    assert await run.wait_until_finished(poll_interval=60, timeout=1) == "finished"
    assert transport.operations == {"GetRunState": 1}
