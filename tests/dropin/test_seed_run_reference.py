"""Seed 001_0ecc452b6124af69.txt ("# Run", docs.wandb.ai): its four examples.

Two of them log with the official SDK first (`wandb.init`, `wandb.Artifact`,
`run.log_artifact`, `run.use_artifact`, `run.finish`): they run whole, the SDK logging to
the local server, and only `wandb.Api()` replaced by runsapi's `Api()`.

Seed 000_2bfa6d1954c60326.txt repeats three of them ("method Run.logged_artifacts",
"method Run.scan_history", "method Run.used_artifacts"), word for word.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import wandb

from runsapi import Api, Run
from runsapi.server import LocalServer
from tests.dropin.conftest import EXAMPLE_STEPS, printed

pytestmark = pytest.mark.usefixtures("server")
# `wandb.init` talks to its wandb-core service over a Unix socket in the temp directory.
SDK = pytest.mark.block_network(
    allowed_hosts=["127.0.0.1", "localhost", r".*/wandb-[\d-]+/socket$"]
)


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


@pytest.fixture
def sdk(
    server: LocalServer, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The official SDK's run process (wandb-core) set up as a user's machine would be,
    logging to the server (WANDB_BASE_URL and WANDB_API_KEY are set by `server`), quietly
    and without system metrics or console capture, its files kept in tmp."""
    work = tmp_path_factory.mktemp("sdk")
    for name, value in {
        "WANDB_DIR": str(work),
        "WANDB_DATA_DIR": str(work / "data"),
        "WANDB_SILENT": "true",
        "WANDB_CONSOLE": "off",
        "WANDB_X_DISABLE_STATS": "true",
        "WANDB_DISABLE_SENTRY": "true",
    }.items():
        monkeypatch.setenv(name, value)
    # The SDK keeps its settings in a process-wide singleton, made by whichever test used
    # wandb first: start from a fresh one, which reads this environment.
    wandb.teardown()
    yield
    wandb.teardown()


@SDK
def test_logged_artifacts_example(sdk: None, capsys: pytest.CaptureFixture[str]) -> None:
    """001_0ecc452b6124af69.txt, "method `Run.logged_artifacts`", "Example:", whole: the
    SDK logs the artifact, runsapi's Api reads the run back."""
    with tempfile.NamedTemporaryFile(mode="w", delete=False, suffix=".txt") as tmp:
        tmp.write("This is a test artifact")
        tmp_path = tmp.name
    run = wandb.init(project="artifact-example")
    artifact = wandb.Artifact("test_artifact", type="dataset")
    artifact.add_file(tmp_path)
    run.log_artifact(artifact)
    run.finish()

    api = Api()

    finished_run = api.run(f"{run.entity}/{run.project}/{run.id}")

    for logged_artifact in finished_run.logged_artifacts():
        print(logged_artifact.name)

    assert printed(capsys) == ["test_artifact:v0"]
    Path(tmp_path).unlink()


@SDK
def test_used_artifacts_example(sdk: None, capsys: pytest.CaptureFixture[str]) -> None:
    """001_0ecc452b6124af69.txt, "method `Run.used_artifacts`", "Example:", whole (after
    the logged_artifacts example, which logs `test_artifact`)."""
    run = wandb.init(project="artifact-example")
    run.use_artifact("test_artifact:latest")
    run.finish()

    api = Api()
    finished_run = api.run(f"{run.entity}/{run.project}/{run.id}")
    for used_artifact in finished_run.used_artifacts():
        print(used_artifact.name)

    assert printed(capsys) == ["test_artifact:v0"]


def test_scan_history_example() -> None:
    """001_0ecc452b6124af69.txt, "method `Run.scan_history`", "Example:" ("Export all
    the loss values for an example run")."""
    api = Api()

    run = api.run("demo/demo-project/example1")
    history = run.scan_history(keys=["Loss"])
    losses = [row["Loss"] for row in history]

    assert losses == [1 / (step + 1) for step in range(EXAMPLE_STEPS)]
