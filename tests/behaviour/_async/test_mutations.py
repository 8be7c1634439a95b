"""Changing runs: edits saved by `update()`, the summary saved by itself, creating,
deleting, setting the state. Each test works on runs of its own, in SCRATCH."""

from __future__ import annotations

import math

import pytest

from runsapi import AsyncApi, AsyncRun, NotFoundError, UsageError
from tests.behaviour.conftest import SCRATCH, as_json
from tests.support.counting import CountingTransport

pytestmark = pytest.mark.anyio  # async-only


async def test_create_run_returns_the_run_as_created(
    api: AsyncApi, transport: CountingTransport
) -> None:
    run = await api.create_run(
        project=SCRATCH,
        state="pending",
        name="fresh",
        group="g",
        job_type="train",
        tags=["a"],
        notes="n",
        config={"lr": 0.1, "nested": {"depth": 2}},
    )
    assert transport.operations == {"CreateRun": 1}
    assert len(run.id) == 8 and run.id.isalnum()
    assert (run.entity, run.project) == tuple(SCRATCH.split("/"))
    assert (run.state, run.name, run.group, run.job_type, run.tags, run.notes) == (
        "pending",
        "fresh",
        "g",
        "train",
        ["a"],
        "n",
    )
    again = await api.run(run.path_str)
    assert again.config.to_dict() == {"lr": 0.1, "nested": {"depth": 2}}
    assert again.rawconfig["lr"] == {"value": 0.1, "desc": None}
    assert again.summary.to_dict() == {}
    with pytest.raises(UsageError, match="'running' or 'pending'"):
        await api.create_run(project=SCRATCH, state="finished")
    assert transport.operations == {"CreateRun": 1, "GetRunFull": 1}


async def test_run_create_is_create_run(api: AsyncApi, transport: CountingTransport) -> None:
    run = await AsyncRun.create(api, project=SCRATCH, state="pending")
    assert isinstance(run, AsyncRun) and run.state == "pending"
    assert (await api.run(run.path_str)).id == run.id
    assert transport.operations == {"CreateRun": 1, "GetRunFull": 1}


async def test_update_saves_every_edit_and_a_new_read_sees_them(
    api: AsyncApi, transport: CountingTransport
) -> None:
    run = await api.create_run(project=SCRATCH, tags=["old"], config={"lr": 0.1, "keep": 1})
    run.tags.append("edited")
    run.notes = "some notes"
    run.name = "renamed"
    run.config["lr"] = 0.2
    run.config["new"] = {"a": [1, 2]}
    del run.config["keep"]
    run.summary["loss"] = 0.5
    run.summary["best"] = {"acc": 0.9}
    transport.reset()
    assert await run.update() is run
    # one atomic merge; whether the server offers it is asked once per Api
    assert transport.operations == {"ServerFeaturesQuery": 1, "MergeRunChanges": 1}
    assert run.config.changes == [] and run.summary.changes == []
    fresh = await api.run(run.path_str)
    assert fresh.tags == ["old", "edited"]
    assert (fresh.notes, fresh.name) == ("some notes", "renamed")
    assert fresh.config.to_dict() == {"lr": 0.2, "new": {"a": [1, 2]}}
    assert fresh.summary.to_dict() == {"loss": 0.5, "best": {"acc": 0.9}}
    transport.reset()
    await fresh.update()
    assert transport.requests == 0, "nothing edited, nothing sent"
    fresh.notes = None
    await fresh.update()
    assert transport.operations == {"UpdateRun": 1}
    assert (await api.run(run.path_str)).notes in (None, "")


async def test_summary_update_saves_at_once_and_keeps_other_edits_pending(
    api: AsyncApi, scratch_run: AsyncRun, transport: CountingTransport
) -> None:
    scratch_run.notes = "pending notes"
    scratch_run.config["c"] = 1
    transport.reset()
    await scratch_run.summary.update({"metric": 3, "nan": math.nan, "inf": math.inf})
    assert transport.operations == {"ServerFeaturesQuery": 1, "MergeRunChanges": 1}
    stored = await api.run(scratch_run.path_str)
    assert as_json(stored.summary.to_dict()) == as_json(
        {"metric": 3, "nan": math.nan, "inf": math.inf}
    )
    assert stored.notes is None and stored.config.to_dict() == {}
    assert scratch_run.notes == "pending notes" and scratch_run.config.changes
    await scratch_run.update()
    stored = await api.run(scratch_run.path_str)
    assert (stored.notes, stored.config.to_dict()) == ("pending notes", {"c": 1})
    assert stored.summary["metric"] == 3


async def test_update_state_sets_the_state(api: AsyncApi, transport: CountingTransport) -> None:
    run = await api.create_run(project=SCRATCH)
    assert run.state == "running"
    transport.reset()
    assert await run.update_state("finished") is True
    assert transport.operations == {"UpdateRunState": 1}
    assert run.state == "finished"
    assert (await api.run(run.path_str)).state == "finished"
    with pytest.raises(UsageError, match="state must be one of"):
        await run.update_state("exploded")
    assert transport.operations == {"UpdateRunState": 1, "GetRunFull": 1}


async def test_a_deleted_run_is_not_found(api: AsyncApi, transport: CountingTransport) -> None:
    run = await api.create_run(project=SCRATCH)
    listed = [listed.id async for listed in api.runs(SCRATCH, filters={"name": run.id})]
    assert listed == [run.id]
    transport.reset()
    await run.delete()
    assert transport.operations == {"DeleteRun": 1}
    with pytest.raises(NotFoundError, match=f"run {run.path_str} not found"):
        await api.run(run.path_str)
    assert await api.runs(SCRATCH, filters={"name": run.id}).len() == 0
