"""Sweeps: `Project.sweeps`, `Api.sweep`, a sweep's runs and `best_run`, replayed from
cassettes. The seed gives the project two sweeps (bayes, then random), each minimizing
`loss`, with every third run in one of them."""

from __future__ import annotations

import math

import pytest

from runsapi import NotFoundError, Sweep
from runsapi._sync.api import Api
from tests.recorded.conftest import PROJECT
from tests.support.counting import CountingTransport

pytestmark = pytest.mark.vcr


def test_sweeps_of_a_project_a_page_at_a_time(api: Api, transport: CountingTransport) -> None:
    project = api.project("demo-project")
    sweeps = project.sweeps(per_page=1)

    assert len(sweeps) == 2
    listed = list(sweeps)
    assert [sweep.method for sweep in listed] == ["bayes", "random"]
    assert all(sweep.config["metric"] == {"name": "loss", "goal": "minimize"} for sweep in listed)
    assert transport.operations == {"GetProject": 1, "GetSweeps": 2}
    finished = project.sweeps(filters={"state": "FINISHED"})
    assert [sweep.id for sweep in finished] == [sweep.id for sweep in listed]


def test_a_sweep_with_its_runs_and_best_run(api: Api, transport: CountingTransport) -> None:
    listed = next(iter(api.project("demo-project").sweeps()))
    sweep = api.sweep(f"{PROJECT}/{listed.id}")

    assert isinstance(sweep, Sweep) and sweep == listed
    assert (sweep.name, sweep.state) == (f"sweep {sweep.id}", "FINISHED")
    runs = list(sweep.runs)
    assert len(runs) == sweep.run_count > 0
    assert all(run.sweep_name == sweep.id for run in runs)
    losses = {run.id: run.summary["loss"] for run in runs}
    finite = {run: loss for run, loss in losses.items() if not math.isnan(loss)}
    transport.reset()
    best = sweep.best_run()
    assert best is not None and best.id == min(finite, key=finite.__getitem__)
    assert best.summary["loss"] == sweep.best_loss
    assert transport.operations == {"GetRunsFull": 1}
    worst = sweep.best_run("loss")  # unsigned: descending, as in the official client
    assert worst is not None and worst.id == max(finite, key=finite.__getitem__)
    assert api.from_path(sweep.url) == sweep


def test_a_missing_sweep_is_not_found(api: Api) -> None:
    with pytest.raises(NotFoundError, match=f"sweep {PROJECT}/sweeps/nosweep not found"):
        api.sweep(f"{PROJECT}/nosweep")
    with pytest.raises(NotFoundError, match="project demo/nosuchproject not found"):
        api.sweep("demo/nosuchproject/nosweep")
