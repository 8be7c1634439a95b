"""The Api's other members and a run's loading: who the user is, projects, paths,
sweeps, lazily listed runs loading a page at a time, `next()`."""

from __future__ import annotations

import pytest

from runsapi import AsyncApi, AsyncProject, AsyncRun, AsyncSweep, NotFoundError
from runsapi.server import LocalServer
from tests.behaviour.conftest import FAST_RETRIES, PROJECT
from tests.support.counting import CountingTransport

pytestmark = pytest.mark.anyio  # async-only


async def test_the_viewer_and_the_default_entity(server: LocalServer) -> None:
    transport = CountingTransport()
    async with AsyncApi(
        {"base_url": server.base_url},
        api_key=server.api_key,
        retry_policy=FAST_RETRIES,
        transport=transport,
    ) as api:
        viewer = await api.viewer
        assert (viewer.username, viewer.entity) == ("demo", "demo")
        assert await api.default_entity == "demo"
        assert await api.default_entity == "demo"
        assert transport.operations == {"GetViewer": 1, "GetDefaultEntity": 1}, "asked once"
        assert api.runs("demo-project").path.entity == "demo"
        assert server.seeded is not None
        run = await api.run(f"demo-project/{server.seeded.run_names[0]}")
        assert (run.entity, run.project) == ("demo", "demo-project")


async def test_projects_and_paths(api: AsyncApi) -> None:
    project = await api.project("demo-project")
    assert (project.entity, project.name, str(project.path)) == ("demo", "demo-project", PROJECT)
    assert "demo-project" in [listed.name async for listed in api.projects(per_page=1)]
    found = await api.from_path(PROJECT)
    assert isinstance(found, AsyncProject) and found.id == project.id
    first = await api.runs(PROJECT, lazy=False).at(0)
    by_url = await api.from_path(first.url)
    assert isinstance(by_url, AsyncRun) and by_url.id == first.id
    assert (await api.run(f"{PROJECT}/runs/{first.id}")).id == first.id
    assert (await api.run(f"demo/demo-project:{first.id}")).id == first.id


async def test_a_runs_sweep_is_read_once(api: AsyncApi, transport: CountingTransport) -> None:
    runs = await api.runs(PROJECT, lazy=False).load_all()
    swept = next(run for run in runs if run.sweep_name)
    unswept = next(run for run in runs if not run.sweep_name)
    transport.reset()
    sweep = await swept.sweep
    assert sweep is not None and sweep.id == swept.sweep_name
    assert await swept.sweep is sweep
    assert await unswept.sweep is None
    assert transport.operations == {"GetSweep": 1}
    found = await api.sweep(f"{PROJECT}/{sweep.id}")
    assert isinstance(found, AsyncSweep) and found == sweep
    members = [run.id for run in await sweep.runs.load_all()]
    assert swept.id in members
    assert members == [run.id for run in runs if run.sweep_name == sweep.id]
    best = await sweep.best_run(order="-acc")
    assert best is not None and best.id in members
    with pytest.raises(NotFoundError, match="sweep"):
        await api.sweep(f"{PROJECT}/nosweep")


async def test_lazy_runs_load_their_full_data_a_page_at_a_time(
    api: AsyncApi, transport: CountingTransport
) -> None:
    runs = await api.runs(PROJECT, per_page=4, lazy=True).load_all()
    assert transport.operations == {"GetRuns": 2}
    await runs[0].load_full_data()
    assert transport.operations == {"GetRuns": 2, "GetRunsFull": 1}
    await runs[3].load_full_data()
    assert runs[3].config["lr"] > 0, "loaded with its page"
    assert transport.operations == {"GetRuns": 2, "GetRunsFull": 1}
    for run in runs:
        await run.load_full_data()
    assert transport.operations == {"GetRuns": 2, "GetRunsFull": 2}
    assert await runs[0].load(force=True) is runs[0]
    assert transport.operations == {"GetRuns": 2, "GetRunsFull": 2, "GetRunFull": 1}


async def test_upgrade_to_full_loads_the_listed_pages(
    api: AsyncApi, transport: CountingTransport
) -> None:
    async with api.runs(PROJECT, per_page=3, lazy=True) as runs:
        await runs.load_next_page()
        await runs.load_next_page()
        await runs.upgrade_to_full()
        assert not runs.lazy
        assert all(run.summary.to_dict() for run in runs.loaded)
        assert transport.operations == {"GetRuns": 2, "GetRunsFull": 2}
        rest = await runs.load_next_page()
        assert [run.config["lr"] > 0 for run in rest] == [True, True]
        assert transport.operations == {"GetRuns": 2, "GetRunsFull": 3}


async def test_next_walks_the_listing_then_stops(api: AsyncApi) -> None:
    runs = api.runs(PROJECT, per_page=5, limit=7, lazy=False)
    walked = [(await runs.next()).id for _ in range(7)]
    assert walked == [run.id for run in await runs.load_all()]
    with pytest.raises(StopAsyncIteration):
        await runs.next()


async def test_the_last_history_step_is_asked_each_time(
    api: AsyncApi, transport: CountingTransport
) -> None:
    run = await api.runs(PROJECT, lazy=False).at(0)
    transport.reset()
    assert await run.last_history_step == 119
    assert await run.lastHistoryStep == 119
    assert transport.operations == {"RunHistoryKeys": 2}
    assert run.history_line_count == 120
