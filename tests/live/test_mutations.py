"""Mutations round-trip through a LocalServer, and concurrent writers keep their changes."""

from __future__ import annotations

import itertools
import math

import pytest

from runsapi import GraphQLError, NotFoundError, UsageError
from runsapi._sync.api import Api
from runsapi.server import LocalServer
from tests.live.conftest import PROJECT, SCRATCH, second_api
from tests.support.counting import CountingTransport

_ids = itertools.count()


def new_run(api: Api, **kwargs: object) -> str:
    run = api.create_run(run_id=f"live{next(_ids):04d}", project=SCRATCH, **kwargs)  # type: ignore[arg-type]
    return run.path_str


def test_create_run_returns_the_created_run(api: Api) -> None:
    run = api.create_run(
        project=SCRATCH,
        state="pending",
        name="fresh",
        group="g",
        job_type="train",
        tags=["a"],
        notes="n",
        config={"lr": 0.1, "nested": {"depth": 2}},
    )
    assert len(run.id) == 8 and run.id.isalnum()
    assert (run.state, run.name, run.group, run.job_type, run.tags, run.notes) == (
        "pending",
        "fresh",
        "g",
        "train",
        ["a"],
        "n",
    )
    again = api.run(run.path_str)
    assert again.config.to_dict() == {"lr": 0.1, "nested": {"depth": 2}}
    assert again.rawconfig["lr"] == {"value": 0.1, "desc": None}
    with pytest.raises(UsageError, match="'running' or 'pending'"):
        api.create_run(project=SCRATCH, state="finished")


def test_update_round_trips_every_editable_field(api: Api, server: LocalServer) -> None:
    run = api.run(new_run(api, config={"lr": 0.1, "keep": 1}))
    run.tags.append("edited")
    run.notes = "some notes"
    run.name = "renamed"
    run.description = "described"
    run.group = "group-x"
    run.job_type = "eval"
    run.config["lr"] = 0.2
    run.config["new"] = {"a": [1, 2]}
    run.summary["loss"] = 0.5
    run.summary["best"] = {"acc": 0.9}
    assert run.update() is run
    assert run.summary.changes == [] and run.config.changes == []

    with second_api(server) as other:
        fresh = other.run(run.path_str)
        assert fresh.tags == ["edited"]
        assert (fresh.notes, fresh.name, fresh.description) == (
            "some notes",
            "renamed",
            "described",
        )
        assert (fresh.group, fresh.job_type) == ("group-x", "eval")
        assert fresh.config.to_dict() == {"lr": 0.2, "keep": 1, "new": {"a": [1, 2]}}
        assert fresh.rawconfig["lr"] == {"value": 0.2, "desc": None}
        assert fresh.summary.to_dict() == {"loss": 0.5, "best": {"acc": 0.9}}


def test_update_without_edits_sends_nothing(api: Api, transport: object) -> None:
    run = api.run(new_run(api))
    before = dict(transport.operations)  # type: ignore[attr-defined]
    run.update()
    assert transport.operations == before  # type: ignore[attr-defined]


def test_two_writers_changing_different_summary_keys_both_survive(
    api: Api, server: LocalServer
) -> None:
    path = new_run(api)
    api.run(path).summary.update({"shared": 1, "nested": {"x": 1}})
    with second_api(server) as other:
        mine, theirs = api.run(path), other.run(path)
        mine.summary["mine"] = "a"
        mine.summary["nested"]["y"] = 2
        theirs.summary["theirs"] = "b"
        del theirs.summary["shared"]
        mine.summary.update()
        theirs.summary.update()
        assert other.run(path).summary.to_dict() == {
            "mine": "a",
            "theirs": "b",
            "nested": {"x": 1, "y": 2},
        }
    # The first writer's view was refreshed by its own write only; a reload sees both.
    assert api.run(path).summary["theirs"] == "b"


def test_two_writers_changing_different_config_keys_both_survive(
    api: Api, server: LocalServer
) -> None:
    path = new_run(api, config={"a": 1, "b": 1})
    with second_api(server) as other:
        mine, theirs = api.run(path), other.run(path)
        mine.config["a"] = 2
        theirs.config["b"] = 3
        mine.update()
        theirs.update()
        assert other.run(path).config.to_dict() == {"a": 2, "b": 3}


def test_summary_deletion_and_non_finite_values_persist(api: Api) -> None:
    run = api.run(new_run(api))
    run.summary.update({"gone": 1, "nan": math.nan, "inf": math.inf, "ninf": -math.inf})
    del run.summary["gone"]
    run.update()
    fresh = api.run(run.path_str).summary
    assert "gone" not in fresh
    assert math.isnan(fresh["nan"]) and fresh["inf"] == math.inf and fresh["ninf"] == -math.inf


def test_saving_the_summary_keeps_other_edits_pending(api: Api) -> None:
    run = api.run(new_run(api))
    run.notes = "pending notes"
    run.config["c"] = 1
    run.summary.update({"metric": 3})
    assert run.notes == "pending notes"
    assert run.config.changes
    assert api.run(run.path_str).notes is None
    run.update()
    assert api.run(run.path_str).notes == "pending notes"
    assert api.run(run.path_str).config["c"] == 1


def test_state_changes(api: Api) -> None:
    run = api.run(new_run(api))
    assert run.state == "running"
    assert run.update_state("failed") is True
    assert run.state == "failed" and api.run(run.path_str).state == "failed"
    assert run.wait_until_finished(poll_interval=0.01, timeout=5) == "failed"
    assert run.update_state("pending") is True
    with pytest.raises(UsageError, match="state must be one of"):
        run.update_state("paused")
    with pytest.raises(TimeoutError, match="still 'pending'"):
        run.wait_until_finished(poll_interval=0.01, timeout=0.05)


def test_invalid_state_transition_is_a_graphql_error(api: Api) -> None:
    run = api.run(new_run(api))
    run.update_state("failed")
    with pytest.raises(GraphQLError, match="invalid state transition"):
        run.update_state("failed")


def test_delete(api: Api) -> None:
    path = new_run(api)
    api.run(path).delete()
    with pytest.raises(NotFoundError, match=f"run {path} not found"):
        api.run(path)


def test_stop(api: Api) -> None:
    run = api.run(new_run(api))
    assert run.stop() is True


def test_a_stale_run_object_reports_not_found(api: Api) -> None:
    path = new_run(api)
    run = api.run(path)
    api.run(path).delete()
    run.notes = "too late"
    with pytest.raises(GraphQLError, match="not found") as caught:
        run.update()
    assert caught.value.operation == "UpdateRun"


def test_listing_finds_created_runs(api: Api) -> None:
    path = new_run(api, tags=["findme"])
    found = [
        run.path_str for run in api.runs(f"demo/{SCRATCH}", filters={"tags": {"$in": ["findme"]}})
    ]
    assert found == [path]


def test_one_api_is_safe_to_share_between_threads(api: Api) -> None:
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    runs = api.runs(PROJECT, per_page=2)
    expected = [run.id for run in api.runs(PROJECT, per_page=100)]

    def work(_: int) -> tuple[list[str], list[float]]:
        listed = [run.id for run in runs]
        losses = [float(run.summary.get("loss", 0.0)) for run in runs]
        return listed, losses

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(16)))
    assert all(listed == expected for listed, _ in results)
    assert all(len(losses) == len(expected) for _, losses in results)


def test_runs_table_in_polars_matches_pandas(api: Api) -> None:
    runs = api.runs(PROJECT, per_page=3)
    frame = runs.to_pandas()
    polars_frame = runs.to_polars()
    assert polars_frame.columns == list(frame.columns)
    assert polars_frame["id"].to_list() == frame["id"].tolist()
    assert polars_frame["tags"].to_list() == frame["tags"].tolist()


def test_config_and_summary_objects_stay_the_same_across_reloads(
    api: Api, server: LocalServer
) -> None:
    run = api.run(new_run(api, config={"lr": 0.1}))
    config, summary = run.config, run.summary
    with second_api(server) as other:
        theirs = other.run(run.path_str)
        theirs.config["lr"] = 0.3
        theirs.summary["loss"] = 1.5
        theirs.update()
    assert run.load(force=True) is run
    assert run.config is config and run.summary is summary
    assert config["lr"] == 0.3 and summary["loss"] == 1.5


def test_runs_table_shows_unsaved_local_edits_and_server_values_otherwise(
    api: Api, transport: CountingTransport
) -> None:
    first, second = new_run(api, config={"lr": 0.1}), new_run(api, config={"lr": 0.2})
    runs = api.runs(
        SCRATCH, filters={"name": {"$in": [first.split("/")[-1], second.split("/")[-1]]}}
    )
    edited = next(run for run in runs if run.path_str == first)
    edited.config["lr"] = 0.5  # not saved
    transport.reset()
    frame = runs.to_pandas().set_index("id")
    assert transport.requests == 0  # the page's full data came with the edit
    assert frame.loc[first.split("/")[-1], "config.lr"] == 0.5
    assert frame.loc[second.split("/")[-1], "config.lr"] == 0.2
    assert api.run(first).config["lr"] == 0.1
