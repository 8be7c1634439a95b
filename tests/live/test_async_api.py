"""What only the async layer does: it never blocks the event loop on a slow answer, runs
its concurrent work as bounded tasks (no threads), and says what to await where the sync
layer would send a request from a property."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from runsapi import AsyncApi, NotLoadedError
from runsapi.server import LocalServer
from tests.live.conftest import FAST_RETRIES, PROJECT

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class InFlight(httpx.AsyncBaseTransport):
    """Counts the requests on the wire at once (the most of them: `peak`)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.now = 0
        self.peak = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.now -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


def async_api(server: LocalServer, transport: httpx.AsyncBaseTransport | None = None) -> AsyncApi:
    return AsyncApi(
        {"base_url": server.base_url, "entity": "demo"},
        api_key=server.api_key,
        retry_policy=FAST_RETRIES,
        transport=transport,
    )


@pytest.fixture
async def api(server: LocalServer) -> AsyncIterator[AsyncApi]:
    server.clear_faults()
    async with async_api(server) as client:
        yield client


async def test_a_slow_response_does_not_block_other_coroutines(
    server: LocalServer, api: AsyncApi
) -> None:
    run_id = (await api.runs(PROJECT).at(0)).id
    server.inject_fault("hang", seconds=5, operation="GetRunFull")
    slow = asyncio.create_task(api.run(f"{PROJECT}/{run_id}"))
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while not slow.done():
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    # Other requests go and come back while the slow one is held by the server.
    assert await api.runs(PROJECT).len() > 0
    assert (await api.project("demo-project")).name == "demo-project"
    assert not slow.done() and ticks > 0
    slow.cancel()
    await asyncio.gather(slow, ticker, return_exceptions=True)
    assert slow.cancelled()


async def test_concurrent_work_is_bounded_tasks_not_threads(
    server: LocalServer, tmp_path: Path
) -> None:
    wire = InFlight()
    before = {thread.ident for thread in threading.enumerate()}
    async with async_api(server, wire) as api:
        runs = api.runs(PROJECT)
        histories = await runs.histories(samples=20, max_workers=3)
        assert len({row["run_id"] for row in histories}) == await runs.len()
        assert 1 < wire.peak <= 3
        wire.peak = 0
        # A running run: its history is read by pages (a finished one's from its export).
        run = await api.runs(PROJECT, filters={"state": "running"}).at(0)
        scan = run.scan_history(page_size=10, max_workers=4)
        rows = [row async for row in scan]
        assert [row["_step"] for row in rows] == sorted(row["_step"] for row in rows)
        assert len(rows) == run.history_line_count
        assert 1 < wire.peak <= 4
        wire.peak = 0
        paths = await run.files().download_all(tmp_path, max_workers=2)
        assert all(path.is_file() for path in paths) and len(paths) > 1
        assert wire.peak <= 2
    started = [t.name for t in threading.enumerate() if t.ident not in before]
    assert not [name for name in started if name.startswith("runsapi")], started


async def test_a_lazy_listing_says_what_to_await(api: AsyncApi) -> None:
    listed = await api.runs(PROJECT).at(0)
    assert listed.config  # listed with full data by default: nothing to await
    lazy = await api.runs(PROJECT, lazy=True).at(0)
    with pytest.raises(NotLoadedError, match=r"await run\.load_full_data\(\)"):
        _ = lazy.summary
    await lazy.load_full_data()
    assert lazy.config == listed.config


async def test_the_default_entity_is_asked_when_an_awaited_call_needs_it(
    server: LocalServer,
) -> None:
    async with AsyncApi({"base_url": server.base_url}, api_key=server.api_key) as api:
        with pytest.raises(NotLoadedError, match=r"await api\.default_entity"):
            api.runs("demo-project")  # a listing is not awaited: it cannot ask
        run_id = server.seeded.run_names[0] if server.seeded else ""
        run = await api.run(f"demo-project/{run_id}")  # awaited: it asks, once
        assert run.entity == "demo" == await api.default_entity
        assert await api.runs("demo-project").len() > 0
