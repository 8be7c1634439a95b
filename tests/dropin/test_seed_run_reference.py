"""Seed 001_0ecc452b6124af69.txt ("# Run", docs.wandb.ai): its four examples.

Two of them log with the SDK first (`wandb.init`, `wandb.Artifact`, `run.log_artifact`,
`run.use_artifact`, `run.finish`), which is not the public API: here the run those lines
leave behind is a seeded run (or one that used a seeded artifact through runsapi), and
the public-API lines after `api = wandb.Api()` run unchanged.

Seed 000_2bfa6d1954c60326.txt repeats three of them ("method Run.logged_artifacts",
"method Run.scan_history", "method Run.used_artifacts"), word for word.
"""

from __future__ import annotations

import pytest

from runsapi import Api, Run
from runsapi.server import LocalServer
from tests.dropin.conftest import EXAMPLE_STEPS, PROJECT, printed

pytestmark = pytest.mark.usefixtures("server")


def test_run_create_example() -> None:
    """001_0ecc452b6124af69.txt, "classmethod `Run.create`", "Example:" (the pending run
    goes to a scratch project of the same entity, so that the others keep their runs)."""
    api = Api()

    run_name = "my-pending-run"

    run = Run.create(
        api=api,
        project="scratch",
        entity="demo",
        state="pending",
        run_id=run_name,
    )

    assert (run.id, run.state, run.path) == (run_name, "pending", ["demo", "scratch", run_name])
    assert api.run(f"demo/scratch/{run_name}").state == "pending"


def test_logged_artifacts_example(server: LocalServer, capsys: pytest.CaptureFixture[str]) -> None:
    """001_0ecc452b6124af69.txt, "method `Run.logged_artifacts`", "Example:" (from
    `api = wandb.Api()` on; `run` is a seeded run, which logged one artifact)."""
    run = Api().run(f"demo/{PROJECT}/{server.seeded.run_names[0]}")

    api = Api()

    finished_run = api.run(f"{run.entity}/{run.project}/{run.id}")

    for logged_artifact in finished_run.logged_artifacts():
        print(logged_artifact.name)

    names = printed(capsys)
    assert names and names == [artifact.name for artifact in run.logged_artifacts()]
    assert all(":v" in name for name in names)


def test_used_artifacts_example(server: LocalServer, capsys: pytest.CaptureFixture[str]) -> None:
    """001_0ecc452b6124af69.txt, "method `Run.used_artifacts`", "Example:" (from
    `api = wandb.Api()` on; `run` used a seeded run's artifact)."""
    seeded = Api().run(f"demo/{PROJECT}/{server.seeded.run_names[1]}")
    used = next(iter(seeded.logged_artifacts()))
    run = Api().run(f"demo/{PROJECT}/example2")
    run.use_artifact(used)

    api = Api()
    finished_run = api.run(f"{run.entity}/{run.project}/{run.id}")
    for used_artifact in finished_run.used_artifacts():
        print(used_artifact.name)

    assert printed(capsys) == [used.name]


def test_scan_history_example() -> None:
    """001_0ecc452b6124af69.txt, "method `Run.scan_history`", "Example:" ("Export all
    the loss values for an example run")."""
    api = Api()

    run = api.run("demo/demo-project/example1")
    history = run.scan_history(keys=["Loss"])
    losses = [row["Loss"] for row in history]

    assert losses == [1 / (step + 1) for step in range(EXAMPLE_STEPS)]
