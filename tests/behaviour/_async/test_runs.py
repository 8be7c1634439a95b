"""Runs and a run: listing, filtering, ordering, paging, tables and histories, as both
layers do them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import pytest

from runsapi import AsyncApi, AsyncRun, F, Filter, NotFoundError
from tests.behaviour.conftest import PROJECT, as_json
from tests.support.counting import CountingTransport

pytestmark = pytest.mark.anyio  # async-only

BASE_COLUMNS = ["id", "name", "state", "created_at", "tags", "group", "job_type"]


async def everything(api: AsyncApi) -> list[AsyncRun]:
    """Every seeded run with its full data, oldest first."""
    return await api.runs(PROJECT, lazy=False).load_all()


async def test_a_listing_counts_iterates_and_indexes_alike(api: AsyncApi) -> None:
    runs = api.runs(PROJECT, filters=F.state == "finished")
    count = await runs.len()
    listed = [run.id async for run in runs]
    assert count == len(listed) > 0
    assert (await runs.at(0)).id == listed[0]
    assert [run.id for run in await runs.at(slice(1, 3))] == listed[1:3]
    assert (await runs.at(-1)).id == listed[-1]


async def test_a_run_loads_with_its_config_and_summary(
    api: AsyncApi, transport: CountingTransport
) -> None:
    first = await api.runs(PROJECT).at(0)
    await first.load_full_data()  # listed lazily by the sync Api, fully by the async one
    transport.reset()
    run = await api.run(f"{PROJECT}/{first.id}")
    assert run.id == first.id and run.config == first.config
    assert run.summary.to_dict() == first.summary.to_dict()
    assert transport.operations == {"GetRunFull": 1}


async def test_an_unknown_run_is_not_found(api: AsyncApi) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        await api.run(f"{PROJECT}/nope")


FILTERS: list[tuple[dict[str, Any], Filter, Callable[[AsyncRun], bool]]] = [
    ({"state": "finished"}, F.state == "finished", lambda run: run.state == "finished"),
    ({"tags": {"$in": ["debug"]}}, F.tags.contains("debug"), lambda run: "debug" in run.tags),
    (
        {"$and": [{"config.batch_size": {"$gte": 64}}, {"state": {"$ne": "running"}}]},
        (F.config("batch_size") >= 64) & (F.state != "running"),
        lambda run: run.config["batch_size"] >= 64 and run.state != "running",
    ),
    (
        {"$or": [{"group": "baseline"}, {"config.optimizer.name": "adam"}]},
        (F.group == "baseline") | (F.config("optimizer", "name") == "adam"),
        lambda run: run.group == "baseline" or run.config["optimizer"]["name"] == "adam",
    ),
    (
        {"display_name": {"$regex": "^brisk"}},
        F.display_name.matches("^brisk"),
        lambda run: (run.name or "").startswith("brisk"),
    ),
]


@pytest.mark.parametrize(("raw", "built", "keep"), FILTERS)
async def test_built_and_raw_filters_list_the_same_runs(
    api: AsyncApi,
    transport: CountingTransport,
    raw: Mapping[str, Any],
    built: Filter,
    keep: Callable[[AsyncRun], bool],
) -> None:
    assert built.to_dict() == raw
    expected = [run.id for run in await everything(api) if keep(run)]
    assert 0 < len(expected) < 8, "the filter keeps some seeded runs, not all"
    transport.reset()
    by_dict = [run.id async for run in api.runs(PROJECT, filters=raw, lazy=False)]
    by_builder = [run.id for run in await api.runs(PROJECT, filters=built, lazy=False).load_all()]
    assert by_dict == by_builder == expected
    assert transport.operations == {"GetRunsFull": 2}


@pytest.mark.parametrize(
    ("order", "key", "descending"),
    [
        ("+created_at", lambda run: run.created_at, False),
        ("-created_at", lambda run: run.created_at, True),
        ("config.lr", lambda run: run.config["lr"], False),
        ("-summary_metrics.acc", lambda run: run.summary["acc"], True),
        ("+display_name", lambda run: run.name, False),
    ],
)
async def test_order_sorts_the_listing(
    api: AsyncApi, order: str, key: Callable[[AsyncRun], Any], descending: bool
) -> None:
    listed = await api.runs(PROJECT, order=order, lazy=False).load_all()
    assert len(listed) == 8
    assert [key(run) for run in listed] == sorted(map(key, listed), reverse=descending)
    assert {run.id for run in listed} == {run.id for run in await everything(api)}


async def test_per_page_pages_and_the_count_comes_with_the_first_page(
    api: AsyncApi, transport: CountingTransport
) -> None:
    runs = api.runs(PROJECT, per_page=3, lazy=False)
    assert transport.requests == 0, "nothing is fetched until needed"
    assert await runs.len() == 8
    assert transport.operations == {"GetRunsFull": 1}
    assert [run.id for run in await runs.load_all()] == [run.id for run in await everything(api)]
    assert transport.operations == {"GetRunsFull": 3 + 1}, "3 pages, then the whole listing"
    assert runs.pages_loaded == 3 and not runs.more


async def test_limit_stops_the_listing(api: AsyncApi, transport: CountingTransport) -> None:
    runs = api.runs(PROJECT, per_page=3, limit=5, lazy=False)
    limited = [run.id async for run in runs]
    assert limited == [run.id for run in await everything(api)][:5]
    assert transport.operations == {"GetRunsFull": 2 + 1}, "pages of 3 and 2, then the whole"
    assert await runs.len() == 5
    assert (await runs.at(slice(None))) == await runs.load_all()
    with pytest.raises(IndexError, match="out of range"):
        await runs.at(5)


async def test_a_cursor_resumes_a_listing_where_it_stopped(
    api: AsyncApi, transport: CountingTransport
) -> None:
    all_ids = [run.id for run in await everything(api)]
    first = api.runs(PROJECT, per_page=3, lazy=False)
    assert [run.id for run in await first.load_next_page()] == all_ids[:3]
    assert first.cursor is not None
    transport.reset()
    rest = api.runs(PROJECT, per_page=3, lazy=False, cursor=first.cursor)
    assert [run.id for run in await rest.load_all()] == all_ids[3:]
    assert transport.operations == {"GetRunsFull": 2}
    assert await rest.next() is (await rest.at(0))
    assert (await rest.next()).id == all_ids[4]


async def test_to_pandas_is_one_row_per_run_with_flattened_columns(
    api: AsyncApi, transport: CountingTransport
) -> None:
    frame = await api.runs(PROJECT, lazy=False).to_pandas()
    assert transport.operations == {"GetRunsFull": 1}
    runs = await everything(api)
    assert frame.shape[0] == 8
    assert list(frame.columns[: len(BASE_COLUMNS)]) == BASE_COLUMNS
    assert {"config.lr", "config.optimizer.name", "summary.loss", "summary.best.acc"} <= set(
        frame.columns
    )
    assert all(column.split(".")[0] in {"config", "summary"} for column in frame.columns[7:])
    assert list(frame["id"]) == [run.id for run in runs]
    assert list(frame["config.lr"]) == [run.config["lr"] for run in runs]
    assert list(frame["config.optimizer.name"]) == [run.config["optimizer"]["name"] for run in runs]
    assert list(frame["summary.best.acc"]) == [run.summary["best"]["acc"] for run in runs]


async def test_to_pandas_upgrades_a_lazy_listing_a_page_at_a_time(
    api: AsyncApi, transport: CountingTransport
) -> None:
    runs = api.runs(PROJECT, per_page=3, lazy=True)
    first = await runs.at(0)
    assert transport.operations == {"GetRuns": 1}
    frame = await runs.to_pandas()
    # the page listed lazily gets its full data, the rest is listed in one page of 500
    assert transport.operations == {"GetRuns": 1, "GetRunsFull": 2}
    assert frame.shape[0] == 8 and frame["id"][0] == first.id
    assert frame["config.batch_size"][0] == first.config["batch_size"]


async def test_histories_sample_every_run_in_one_request(
    api: AsyncApi, transport: CountingTransport
) -> None:
    finished = [run.id for run in await api.runs(PROJECT, filters=F.state == "finished").load_all()]
    transport.reset()
    runs = api.runs(PROJECT, filters=F.state == "finished")
    rows = await runs.histories(samples=10, keys=["loss", "acc"])
    assert transport.operations == {"RunsSampledHistory": 1}
    assert [run_id for run_id in dict.fromkeys(row["run_id"] for row in rows)] == finished
    assert all(set(row) == {"run_id", "_step", "loss", "acc"} for row in rows)
    for run_id in finished:
        steps = [row["_step"] for row in rows if row["run_id"] == run_id]
        assert len(steps) <= 10 and steps == sorted(steps)
        assert (steps[0], steps[-1]) == (0, 119), "the first and last rows are kept"
    frame = await runs.histories(samples=10, keys=["loss", "acc"], format="pandas")
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["run_id", "_step", "acc", "loss"]
    assert frame.shape == (len(rows), 4)
    assert as_json(frame["loss"].tolist()) == as_json([row["loss"] for row in rows])
    assert list(frame["run_id"]) == [row["run_id"] for row in rows]


async def test_histories_without_keys_sample_each_run(
    api: AsyncApi, transport: CountingTransport
) -> None:
    runs = api.runs(PROJECT, filters=F.tags.contains("debug"), lazy=False)
    rows = await runs.histories(samples=4)
    listed = await runs.load_all()
    assert transport.operations == {"GetRunsFull": 1, "RunHistoryPage": len(listed)}
    assert [run_id for run_id in dict.fromkeys(row["run_id"] for row in rows)] == [
        run.id for run in listed
    ]
    assert all({"run_id", "_step", "loss", "acc"} <= set(row) for row in rows)
    assert len(rows) <= 4 * len(listed)


async def test_histories_of_a_listing_begun_ask_the_listed_runs_by_name(
    api: AsyncApi, transport: CountingTransport
) -> None:
    runs = api.runs(PROJECT, per_page=3, lazy=False)
    listed = await runs.load_next_page()
    transport.reset()
    rows = await runs.histories(samples=5, keys=["acc"])
    # the 3 runs listed, by name; then the 5 others from the cursor, in pages of 3
    assert transport.operations == {"RunsSampledHistory": 1 + 2}
    order = list(dict.fromkeys(row["run_id"] for row in rows))
    assert order[:3] == [run.id for run in listed]
    assert order == [run.id for run in await everything(api)]
    polars_frame = await runs.histories(samples=5, keys=["acc"], format="polars")
    assert polars_frame.columns == ["run_id", "_step", "acc"]
    assert polars_frame["run_id"].to_list() == [row["run_id"] for row in rows]
    table = await runs.to_polars()
    assert table.height == 8 and table.columns[:7] == BASE_COLUMNS
