"""The official client's sweeps (`Api.sweep`, `Project.sweeps`, `Sweep.best_run`, its runs
and agents) and runsapi's, on the same seeded LocalServer, agree."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from runsapi import Api, Sweep
from runsapi.server import LocalServer, SeedSpec
from tests.compat.conftest import server_for_the_official_client

PROJECT = "demo/demo-project"
SEED = SeedSpec(runs=24, steps=20, events=2, files=1, artifacts=False, seed=29)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with server_for_the_official_client(tmp_path_factory.mktemp("wandb-home"), SEED) as running:
        yield running


def fields(sweep: Any) -> tuple[Any, ...]:
    """What both clients' sweeps show, in the official client's names."""
    return (
        sweep.id,
        sweep.name,
        sweep.entity,
        sweep.project,
        sweep.config,
        sweep.state,
        sweep.method,
        sweep.best_loss,
        sweep.expected_run_count,
        sweep.url,
    )


def test_project_sweeps_agree(official: Any, ours: Api) -> None:
    theirs = official.project("demo-project", "demo").sweeps(per_page=2)
    mine = ours.project("demo-project", "demo").sweeps(per_page=2)

    assert len(mine) == len(theirs) == SEED.sweeps
    assert [fields(sweep) for sweep in mine] == [fields(sweep) for sweep in theirs]
    assert [sweep.run_count for sweep in mine] == [sweep.runCount for sweep in theirs]


def test_a_sweep_agrees_with_its_runs_and_best_run(official: Any, ours: Api) -> None:
    for listed in ours.project("demo-project", "demo").sweeps():
        path = f"{PROJECT}/{listed.id}"
        theirs, mine = official.sweep(path), ours.sweep(path)

        assert fields(mine) == fields(theirs)
        assert [run.id for run in mine.runs] == [run.id for run in theirs.runs]
        assert mine.run_count == theirs.runCount == len(mine.runs) > 0
        best = mine.best_run()
        assert best is not None and best.id == theirs.best_run().id
        assert theirs.agents() == []


@pytest.mark.parametrize(
    "order", ["loss", "+loss", "-acc", "+summary_metrics.best.acc", "createdAt", "-name"]
)
def test_best_run_orders_agree(official: Any, ours: Api, order: str) -> None:
    for listed in ours.project("demo-project", "demo").sweeps():
        path = f"{PROJECT}/{listed.id}"
        mine = ours.sweep(path).best_run(order)

        assert mine is not None and mine.id == official.sweep(path).best_run(order).id


def test_from_path_agrees(official: Any, ours: Api) -> None:
    listed = next(iter(ours.project("demo-project", "demo").sweeps()))
    path = f"{PROJECT}/sweeps/{listed.id}"
    mine = ours.from_path(path)

    assert isinstance(mine, Sweep)
    assert fields(mine) == fields(official.from_path(path))


@pytest.mark.parametrize("state", ["FINISHED", "RUNNING"])
def test_state_filters_agree(official: Any, ours: Api, state: str) -> None:
    theirs = official.project("demo-project", "demo").sweeps(filters={"state": state})
    mine = ours.project("demo-project", "demo").sweeps(filters={"state": state})

    assert [sweep.id for sweep in mine] == [sweep.id for sweep in theirs]
