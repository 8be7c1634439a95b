"""The Api each behaviour test gets: async here, sync in the twin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from runsapi import AsyncApi
from runsapi.server import LocalServer
from tests.behaviour.conftest import FAST_RETRIES
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
