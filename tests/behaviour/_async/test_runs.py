"""Runs and a run: listing, counting, indexing, loading, as both layers do them."""

from __future__ import annotations

import pytest

from runsapi import AsyncApi, F, NotFoundError
from tests.behaviour.conftest import PROJECT
from tests.support.counting import CountingTransport

pytestmark = pytest.mark.anyio  # async-only


async def test_a_listing_counts_iterates_and_indexes_alike(api: AsyncApi) -> None:
    runs = api.runs(PROJECT, filters=F.state == "finished")
    count = await runs.len()
    listed = [run.id async for run in runs]
    assert count == len(listed) > 0
    assert (await runs.at(0)).id == listed[0]
    assert [run.id for run in await runs.at(slice(1, 3))] == listed[1:3]


async def test_a_run_loads_with_its_config_and_summary(
    api: AsyncApi, transport: CountingTransport
) -> None:
    first = await api.runs(PROJECT).at(0)
    await first.load_full_data()  # listed lazily by the sync Api, fully by the async one
    transport.reset()
    run = await api.run(f"{PROJECT}/{first.id}")
    assert run.id == first.id and run.config == first.config
    assert transport.operations == {"GetRunFull": 1}


async def test_an_unknown_run_is_not_found(api: AsyncApi) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        await api.run(f"{PROJECT}/nope")
