"""Mutations against recorded responses (the live suite covers concurrent writers)."""

from __future__ import annotations

import pytest

from runsapi import NotFoundError, Project, Run
from runsapi._sync.api import Api
from tests.support.counting import CountingTransport

pytestmark = pytest.mark.vcr


def test_create_update_state_and_delete(api: Api, transport: CountingTransport) -> None:
    run = api.create_run(
        run_id="recorded1", project="scratch", name="first", tags=["a"], config={"lr": 0.5}
    )
    assert (run.id, run.state, run.name, run.tags) == ("recorded1", "running", "first", ["a"])
    run.tags.append("b")
    run.notes = "notes"
    run.config["lr"] = 0.25
    run.summary["loss"] = 1.5
    run.update()
    assert (run.tags, run.notes, run.config["lr"], run.summary["loss"]) == (
        ["a", "b"],
        "notes",
        0.25,
        1.5,
    )
    run.summary.update({"acc": 0.5})
    assert api.run("demo/scratch/recorded1").summary.to_dict() == {"loss": 1.5, "acc": 0.5}
    assert run.update_state("failed") and run.state == "failed"
    assert run.wait_until_finished(poll_interval=0.01) == "failed"
    assert run.stop() is True
    run.delete()
    with pytest.raises(NotFoundError):
        api.run("demo/scratch/recorded1")
    # The server merges the changes (MERGE_RUN_CHANGES, asked once): no re-reads.
    assert transport.operations == {
        "CreateRun": 1,
        "ServerFeaturesQuery": 1,
        "MergeRunChanges": 2,
        "GetRunFull": 2,
        "UpdateRunState": 1,
        "GetRunState": 1,
        "StopRun": 1,
        "DeleteRun": 1,
    }


def test_run_create_is_api_create_run(api: Api) -> None:
    run = Run.create(api, run_id="recorded2", project="scratch", state="pending")
    assert (run.path_str, run.state) == ("demo/scratch/recorded2", "pending")


def test_from_path(api: Api) -> None:
    project = api.from_path("demo/demo-project")
    assert isinstance(project, Project) and project.name == "demo-project"
    run_id = api.runs("demo/demo-project", per_page=1)[0].id
    for path in (f"demo/demo-project/{run_id}", f"demo/demo-project/runs/{run_id}"):
        run = api.from_path(path)
        assert isinstance(run, Run) and run.id == run_id
