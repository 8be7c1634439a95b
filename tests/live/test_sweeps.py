"""Sweeps against a LocalServer: every path form, the fields, `best_run` in each order,
the runs listing, project listings and filters, reloading, and the checks made before
any request."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator
from datetime import timezone
from typing import Any

import pytest

from runsapi import (
    InvalidFilterError,
    InvalidOrderError,
    InvalidPathError,
    NotFoundError,
    Run,
    Sweep,
    UsageError,
)
from runsapi._sync.api import Api
from runsapi.server import LocalServer
from runsapi.server._sweeps import insert_sweep
from tests.live.conftest import PROJECT
from tests.support.counting import CountingTransport
from tests.support.offline import offline_api

# A project of hand-made sweeps, so that PROJECT keeps its seeded ones only.
SWEEPS_PROJECT = "sweeps-scratch"


def seeded_sweeps(server: LocalServer) -> dict[str, dict[str, float]]:
    """Each seeded sweep of PROJECT (oldest first) with its runs' summary losses."""
    conn = server.store.connection()
    sweeps: dict[str, dict[str, float]] = {
        name: {}
        for (name,) in conn.execute(
            "SELECT sweeps.name FROM sweeps JOIN projects ON projects.id = sweeps.project_id"
            " WHERE projects.name = 'demo-project' ORDER BY sweeps.id"
        )
    }
    for run, sweep, summary in conn.execute(
        "SELECT name, sweep_name, summary FROM runs WHERE sweep_name IS NOT NULL"
    ):
        if sweep in sweeps:
            sweeps[sweep][run] = json.loads(summary)["loss"]
    return sweeps


@pytest.fixture
def first_sweep(server: LocalServer) -> str:
    return next(iter(seeded_sweeps(server)))


def lowest(losses: dict[str, float]) -> str:
    return min((run for run in losses if not math.isnan(losses[run])), key=losses.__getitem__)


def test_every_path_form_finds_the_sweep(
    server: LocalServer, first_sweep: str, transport: CountingTransport
) -> None:
    with Api(
        {"base_url": server.base_url, "entity": "demo", "project": "demo-project"},
        api_key=server.api_key,
        transport=transport,
    ) as api:
        forms = [
            f"{PROJECT}/{first_sweep}",
            f"demo-project/{first_sweep}",
            first_sweep,
            f"{PROJECT}/sweeps/{first_sweep}",
            f"{server.base_url}/{PROJECT}/sweeps/{first_sweep}/overview?workspace=x",
        ]
        found = [api.sweep(form) for form in forms]

    assert {sweep.sweep_path for sweep in found} == {found[0].sweep_path}
    assert str(found[0].sweep_path) == f"{PROJECT}/sweeps/{first_sweep}"
    assert transport.operations == {"GetSweep": len(forms)}


def test_the_fields_read_the_seeded_sweep(api: Api, server: LocalServer, first_sweep: str) -> None:
    losses = seeded_sweeps(server)[first_sweep]
    sweep = api.sweep(f"{PROJECT}/{first_sweep}")

    assert (sweep.id, sweep.entity, sweep.project) == (first_sweep, "demo", "demo-project")
    assert sweep.path == ["demo", "demo-project", first_sweep]
    assert sweep.name == sweep.display_name == f"sweep {first_sweep}"
    assert (sweep.method, sweep.state, sweep.expected_run_count) == ("bayes", "FINISHED", 10)
    assert sweep.config["method"] == "bayes"
    assert sweep.config["metric"] == {"name": "loss", "goal": "minimize"}
    assert sweep.config["parameters"]["batch_size"] == {"values": [16, 32, 64, 128]}
    assert sweep.best_loss == losses[lowest(losses)]
    assert sweep.run_count == len(losses)
    assert sweep.url == f"{api.settings.app_url}/{PROJECT}/sweeps/{first_sweep}"
    assert sweep.created_at.tzinfo == timezone.utc
    assert repr(sweep) == f"<Sweep {PROJECT}/sweeps/{first_sweep} (FINISHED)>"
    assert sweep == api.sweep(sweep.url) and hash(sweep) == hash(api.sweep(sweep.url))


def test_config_is_a_copy(api: Api, first_sweep: str) -> None:
    sweep = api.sweep(f"{PROJECT}/{first_sweep}")
    sweep.config["metric"]["goal"] = "maximize"

    assert sweep.config["metric"]["goal"] == "minimize"


def test_the_runs_are_the_sweeps_runs_oldest_first(
    api: Api, server: LocalServer, first_sweep: str
) -> None:
    sweep = api.sweep(f"{PROJECT}/{first_sweep}")
    expected = [run.id for run in api.runs(PROJECT) if run.sweep_name == first_sweep]

    assert [run.id for run in sweep.runs] == expected == list(seeded_sweeps(server)[first_sweep])
    assert len(sweep.runs) == sweep.run_count


def test_a_run_reads_its_sweep_once(
    api: Api, first_sweep: str, transport: CountingTransport
) -> None:
    runs = list(api.runs(PROJECT))
    member = next(run for run in runs if run.sweep_name == first_sweep)
    loner = next(run for run in runs if run.sweep_name is None)
    transport.reset()

    assert loner.sweep is None and transport.requests == 0
    sweep = member.sweep
    assert sweep is not None and sweep.id == first_sweep
    assert member.id in [run.id for run in sweep.runs]
    assert member.sweep is sweep
    assert transport.operations["GetSweep"] == 1


def test_best_run_follows_the_metric_in_one_request(
    api: Api, server: LocalServer, first_sweep: str, transport: CountingTransport
) -> None:
    losses = seeded_sweeps(server)[first_sweep]
    sweep = api.sweep(f"{PROJECT}/{first_sweep}")
    transport.reset()
    best = sweep.best_run()

    assert isinstance(best, Run) and best.id == lowest(losses)
    assert best.summary["loss"] == sweep.best_loss and best.config["lr"] > 0
    assert transport.operations == {"GetRunsFull": 1}


@pytest.mark.parametrize(
    ("order", "pick"),
    [
        ("loss", "highest"),  # unsigned means descending
        ("-loss", "highest"),
        ("+loss", "lowest"),
        ("+summary_metrics.loss", "lowest"),
        ("createdAt", "oldest"),  # the official client gives up on run columns
        ("-name", "oldest"),
    ],
)
def test_best_run_reads_an_order_as_the_official_client(
    api: Api, server: LocalServer, order: str, pick: str
) -> None:
    losses = seeded_sweeps(server)
    name = max(losses, key=lambda sweep: len(losses[sweep]))
    finite = {run: loss for run, loss in losses[name].items() if not math.isnan(loss)}
    expected = {
        "lowest": min(finite, key=finite.__getitem__),
        "highest": max(finite, key=finite.__getitem__),
        "oldest": next(iter(losses[name])),
    }[pick]
    best = api.sweep(f"{PROJECT}/{name}").best_run(order)

    assert best is not None and best.id == expected


def test_project_sweeps_list_every_sweep_a_page_at_a_time(
    api: Api, server: LocalServer, transport: CountingTransport
) -> None:
    project = api.project("demo-project")
    transport.reset()
    sweeps = project.sweeps(per_page=1)

    assert len(sweeps) == 2 and transport.operations == {"GetSweeps": 1}
    assert [sweep.id for sweep in sweeps] == list(seeded_sweeps(server))
    assert transport.operations == {"GetSweeps": 2}
    assert all(isinstance(sweep, Sweep) and sweep.method for sweep in sweeps)
    assert [sweep.method for sweep in sweeps] == ["bayes", "random"]


@pytest.mark.parametrize(("state", "count"), [("FINISHED", 2), ("RUNNING", 0)])
def test_project_sweeps_filter_on_state(api: Api, state: str, count: int) -> None:
    sweeps = api.project("demo-project").sweeps(filters={"state": state})

    assert len(sweeps) == len(list(sweeps)) == count
    assert all(sweep.state == state for sweep in sweeps)


def test_from_path_gives_the_sweep(api: Api, first_sweep: str) -> None:
    sweep = api.from_path(f"{PROJECT}/sweeps/{first_sweep}")

    assert isinstance(sweep, Sweep) and sweep.id == first_sweep


@pytest.mark.parametrize("path", [f"{PROJECT}/nosweep", "demo/no-such-project/abc"])
def test_an_unknown_sweep_or_project_is_not_found(api: Api, path: str) -> None:
    with pytest.raises(NotFoundError, match="not found") as caught:
        api.sweep(path)

    assert caught.value.path is not None


def test_an_unknown_project_has_no_sweeps(api: Api) -> None:
    gone = dataclasses.replace(api.project("demo-project"), name="no-such-project")

    with pytest.raises(NotFoundError, match="no-such-project"):
        list(gone.sweeps())


# -- hand-made sweeps ------------------------------------------------------------------


@pytest.fixture(scope="module")
def made(server: LocalServer) -> Iterator[dict[str, str]]:
    """Sweeps of SWEEPS_PROJECT, by what they show: names and configs, and runs (with
    their `acc`, oldest first) for `max` and `nometric`."""
    members = {
        "max": {"max-low": 0.1, "max-high": 0.9, "max-nan": math.nan},
        "nometric": {"nometric-a": 0.5, "nometric-b": 0.2},
    }
    with Api({"base_url": server.base_url, "entity": "demo"}, api_key=server.api_key) as api:
        api.create_project(SWEEPS_PROJECT)
        for runs in members.values():
            for run_id, acc in runs.items():
                api.create_run(run_id, SWEEPS_PROJECT).summary.update({"acc": acc})
    configs: dict[str, tuple[str | None, str]] = {
        "named": (None, "name: from-config\nmethod: grid\n"),
        "bare": (None, "method: grid\n"),
        "json": ("json one", json.dumps({"method": "random", "metric": {"name": "acc"}})),
        "max": (None, "method: bayes\nmetric:\n  name: acc\n  goal: maximize\n"),
        "nometric": (None, "method: grid\n"),
    }
    with server.store.write() as conn:
        (project_id,) = conn.execute(
            "SELECT id FROM projects WHERE name = ?", (SWEEPS_PROJECT,)
        ).fetchone()
        for name, (display, config) in configs.items():
            insert_sweep(
                conn,
                project_id,
                name,
                display_name=display,
                method="grid",
                state="RUNNING",
                config=config,
                run_count_expected=None,
                created_at="2024-02-01T00:00:00",
            )
        conn.executemany(
            "UPDATE runs SET sweep_name = ? WHERE project_id = ? AND name = ?",
            [(sweep, project_id, run) for sweep, runs in members.items() for run in runs],
        )
    yield {name: f"demo/{SWEEPS_PROJECT}/{name}" for name in configs}


def test_the_name_falls_back_to_the_config_then_the_id(api: Api, made: dict[str, str]) -> None:
    assert api.sweep(made["named"]).name == "from-config"
    assert api.sweep(made["bare"]).name == "bare"
    assert api.sweep(made["json"]).name == "json one"
    assert api.sweep(made["json"]).config == {"method": "random", "metric": {"name": "acc"}}
    assert api.sweep(made["bare"]).expected_run_count is None


def test_best_run_follows_the_goal_and_falls_back_to_the_oldest(
    api: Api, made: dict[str, str]
) -> None:
    maximized = api.sweep(made["max"]).best_run()
    oldest = api.sweep(made["nometric"]).best_run()

    assert maximized is not None and maximized.id == "max-high"
    assert oldest is not None and oldest.id == "nometric-a"
    assert api.sweep(made["bare"]).best_run() is None


def test_load_force_reads_the_sweep_again(
    api: Api, server: LocalServer, made: dict[str, str]
) -> None:
    sweep = api.sweep(made["named"])
    with server.store.write() as conn:
        conn.execute("UPDATE sweeps SET state = 'PAUSED' WHERE name = 'named'")

    assert sweep.load().state == "RUNNING"
    assert sweep.load(force=True) is sweep and sweep.state == "PAUSED"


# -- checks before any request ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "invalid sweep path"),
        ("e/p/x/y/z", "invalid sweep path"),
        ("e/p/sweeps/", "invalid sweep path"),
        ("e/ /s", "invalid sweep path"),
        (7, "must be a string"),
    ],
)
def test_malformed_sweep_paths_are_refused_offline(path: Any, message: str) -> None:
    with offline_api() as api, pytest.raises(InvalidPathError, match=message) as caught:
        api.sweep(path)

    if message == "invalid sweep path":
        assert "entity/project/sweep_id" in str(caught.value)


def test_a_missing_default_project_is_named_offline() -> None:
    with (
        offline_api({"base_url": "http://127.0.0.1:1", "entity": "e"}) as api,
        pytest.raises(InvalidPathError, match="project missing"),
    ):
        api.sweep("abc")


@pytest.mark.parametrize("order", [7, "tags.x", "+", "-config."])
def test_bad_best_run_orders_are_refused_before_any_request(
    api: Api, first_sweep: str, transport: CountingTransport, order: Any
) -> None:
    sweep = api.sweep(f"{PROJECT}/{first_sweep}")
    transport.reset()

    with pytest.raises(InvalidOrderError):
        sweep.best_run(order)
    assert transport.requests == 0


@pytest.mark.parametrize(
    ("filters", "error"),
    [
        ({"name": "x"}, InvalidFilterError),
        ({"state": ["RUNNING"]}, InvalidFilterError),
        ("state=RUNNING", InvalidFilterError),
    ],
)
def test_bad_sweep_filters_are_refused_before_any_request(
    api: Api, transport: CountingTransport, filters: Any, error: type[UsageError]
) -> None:
    project = api.project("demo-project")
    transport.reset()

    with pytest.raises(error):
        project.sweeps(filters=filters)
    with pytest.raises(UsageError, match="per_page"):
        project.sweeps(per_page=0)
    assert transport.requests == 0
