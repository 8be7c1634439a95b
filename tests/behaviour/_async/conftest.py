"""The Api each behaviour test gets: async here, sync in the twin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from runsapi import AsyncApi, AsyncRun
from runsapi.server import LocalServer
from tests.behaviour.conftest import FAST_RETRIES, SCRATCH, log_history
from tests.support.counting import CountingTransport


@pytest.fixture
def transport() -> CountingTransport:
    return CountingTransport()


@pytest.fixture
async def api(server: LocalServer, transport: CountingTransport) -> AsyncIterator[AsyncApi]:
    server.clear_faults()
    async with AsyncApi(
        {"base_url": server.base_url, "entity": "demo"},
        api_key=server.api_key,
        retry_policy=FAST_RETRIES,
        transport=transport,
    ) as client:
        yield client
    server.clear_faults()


@pytest.fixture
async def scratch_run(api: AsyncApi) -> AsyncRun:
    """A new run of this test's own in SCRATCH (running, empty)."""
    return await api.create_run(project=SCRATCH)


async def run_with_history(
    api: AsyncApi, server: LocalServer, rows: list[dict[str, Any]]
) -> AsyncRun:
    """A new run in SCRATCH that logged `rows`, loaded again so that it counts them."""
    created = await api.create_run(project=SCRATCH)
    log_history(server, created.id, rows)
    return await api.run(created.path_str)
