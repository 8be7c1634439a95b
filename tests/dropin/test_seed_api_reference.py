"""Seed 002_cbad5abf091106ed.txt ("class Api"): the `from_path` examples and the
`Api.runs` filter and order examples, each compared with what the server holds."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from runsapi import Api, InvalidPathError, Project, Run, Runs, Sweep
from runsapi.server import LocalServer
from tests.dropin.conftest import project_runs, seeded_sweep

pytestmark = pytest.mark.usefixtures("server")


def test_from_path_project_and_run_examples() -> None:
    """002_cbad5abf091106ed.txt, "method Api.from_path", "Examples:" (the project and run
    lines; `api` as the page's "Most common way to initialize wandb.Api()")."""
    api = Api()
    project = api.from_path("demo-project")
    team_project = api.from_path("demo/demo-project")
    run = api.from_path("demo/demo-project/runs/example1")

    assert isinstance(project, Project) and isinstance(team_project, Project)
    assert project == team_project and str(team_project.path) == "demo/demo-project"
    assert isinstance(run, Run) and run.path == ["demo", "demo-project", "example1"]
    assert run.config["experiment_name"] == "foo"


def test_from_path_sweep_example(server: LocalServer) -> None:
    """002_cbad5abf091106ed.txt, "method Api.from_path", "Examples:" (the sweep line)."""
    sweep_id = seeded_sweep(server)
    api = Api()
    sweep = api.from_path(f"demo/demo-project/sweeps/{sweep_id}")

    assert isinstance(sweep, Sweep) and sweep.id == sweep_id
    assert sweep.entity == "demo" and sweep.project == "demo-project"


def test_from_path_report_example() -> None:
    """002_cbad5abf091106ed.txt, "method Api.from_path", "Examples:" (the report line).

    The line itself is malformed: a report path ends in `Title--ID`, and the official
    client refuses `My-Report-Vm11dsdf` ("Invalid report path, should be
    team/project/reports/Name--XXXX"); runsapi refuses it the same way, before any
    request (a well-formed report path returns the Report: tests/live/test_reports.py)."""
    api = Api()
    with pytest.raises(InvalidPathError, match="Title--report_id"):
        report = api.from_path("demo/demo-project/reports/My-Report-Vm11dsdf")  # noqa: F841


def selected(runs: Runs, api: Api, predicate: Callable[[Run], Any]) -> list[str]:
    """The ids `runs` lists, after checking that they are those the predicate picks from
    the project's runs as the server holds them (in the default order, oldest first)."""
    ids = [run.id for run in runs]
    assert ids == [run.id for run in project_runs(api) if predicate(run)]
    return ids


def test_runs_filter_on_a_config_value() -> None:
    """002_cbad5abf091106ed.txt, "method Api.runs", "Find runs in my_project where
    config.experiment_name has been set to “foo”"."""
    api = Api()
    runs = api.runs(
        path="demo/demo-project",
        filters={"config.experiment_name": "foo"},
    )

    assert selected(runs, api, lambda run: run.config.get("experiment_name") == "foo") == [
        "example1"
    ]


def test_runs_filter_with_or() -> None:
    """002_cbad5abf091106ed.txt, "method Api.runs", "Find runs in my_project where
    config.experiment_name has been set to “foo” or “bar”"."""
    api = Api()
    runs = api.runs(
        path="demo/demo-project",
        filters={
            "$or": [
                {"config.experiment_name": "foo"},
                {"config.experiment_name": "bar"},
            ]
        },
    )

    assert selected(runs, api, lambda run: run.config.get("experiment_name") in {"foo", "bar"}) == [
        "example1",
        "example2",
    ]


def test_runs_filter_with_a_config_regex() -> None:
    """002_cbad5abf091106ed.txt, "method Api.runs", "Find runs in my_project where
    config.experiment_name matches a regex (anchors are not supported)"."""
    api = Api()
    runs = api.runs(
        path="demo/demo-project",
        filters={"config.experiment_name": {"$regex": "b.*"}},
    )

    ids = selected(
        runs, api, lambda run: re.search("b.*", str(run.config.get("experiment_name", "")))
    )
    assert "example2" in ids and "example1" not in ids


def test_runs_filter_with_a_name_regex() -> None:
    """002_cbad5abf091106ed.txt, "method Api.runs", "Find runs in my_project where the run
    name matches a regex (anchors are not supported)" (the local server, RE2 like W&B's
    documentation says, takes the anchor)."""
    api = Api()
    runs = api.runs(
        path="demo/demo-project",
        filters={"display_name": {"$regex": "^foo.*"}},
    )

    assert selected(runs, api, lambda run: re.search("^foo.*", run.name or "")) == ["example1"]


def test_runs_filter_on_a_nested_config_value() -> None:
    """002_cbad5abf091106ed.txt, "method Api.runs", "Find runs in my_project where
    config.experiment contains a nested field “category” with value “testing”"."""
    api = Api()
    runs = api.runs(
        path="demo/demo-project",
        filters={"config.experiment.category": "testing"},
    )

    assert [run.id for run in runs] == ["example1"]
    assert runs[0].config["experiment"] == {"category": "testing"}


def test_runs_filter_on_a_nested_summary_value() -> None:
    """002_cbad5abf091106ed.txt, "method Api.runs", "Find runs in my_project with a loss
    value of 0.5 nested in a dictionary under model1 in the summary metrics"."""
    api = Api()
    runs = api.runs(
        path="demo/demo-project",
        filters={"summary_metrics.model1.loss": 0.5},
    )

    assert [run.id for run in runs] == ["example1"]
    assert runs[0].summary["model1"]["loss"] == 0.5


def test_runs_order_by_a_summary_value() -> None:
    """002_cbad5abf091106ed.txt, "method Api.runs", "Find runs in my_project sorted by
    ascending loss"."""
    api = Api()
    runs = api.runs(path="demo/demo-project", order="+summary_metrics.loss")

    losses = [run.summary["loss"] for run in runs]
    assert len(losses) == len(project_runs(api))
    assert losses == sorted(losses) and {0.5, 0.7} <= set(losses)
