"""Api, Runs and Run against recorded responses of a seeded LocalServer."""

from __future__ import annotations

import math
import os
from datetime import timezone

import pytest

from runsapi import F, NotFoundError
from runsapi._sync.api import Api
from tests.conftest import SECRET_ENV
from tests.recorded.conftest import PROJECT, RECORD_URL_ENV, REPLAY_KEY, REPLAY_URL
from tests.support.counting import CountingTransport

pytestmark = pytest.mark.vcr


def test_viewer_and_default_entity(transport: CountingTransport) -> None:
    base_url = os.environ.get(RECORD_URL_ENV, REPLAY_URL)
    key = os.environ.get(SECRET_ENV, REPLAY_KEY)
    with Api({"base_url": base_url}, api_key=key, transport=transport) as api:
        viewer = api.viewer
        assert viewer.username == "demo"
        assert api.default_entity == viewer.entity == "demo"
        assert api.default_entity == "demo"
        runs = api.runs("demo-project", per_page=2)
        assert runs.path.entity == "demo"
    assert transport.operations == {"GetViewer": 1, "GetDefaultEntity": 1}


def test_projects(api: Api) -> None:
    project = api.project("demo-project")
    assert (project.entity, project.name) == ("demo", "demo-project")
    assert project.created_at.tzinfo is timezone.utc
    names = [p.name for p in api.projects(per_page=1)]
    assert "demo-project" in names
    created = api.create_project("made-by-test", description="from a test")
    assert (created.name, created.description) == ("made-by-test", "from a test")
    assert api.project("made-by-test", entity="demo").id == created.id


def test_missing_things_raise_not_found_naming_the_path(api: Api) -> None:
    with pytest.raises(NotFoundError, match="run demo/demo-project/nosuchrun not found") as caught:
        api.run("demo/demo-project/nosuchrun")
    assert caught.value.path == "demo/demo-project/nosuchrun"
    with pytest.raises(NotFoundError, match="project demo/nosuchproject not found"):
        api.run("demo/nosuchproject/abc")
    with pytest.raises(NotFoundError, match="project demo/nosuchproject not found"):
        len(api.runs("demo/nosuchproject"))
    with pytest.raises(NotFoundError, match="project demo/nosuchproject not found"):
        api.project("nosuchproject")


def test_listing_len_indexing_and_slicing(api: Api, transport: CountingTransport) -> None:
    runs = api.runs(PROJECT, per_page=5)
    assert transport.requests == 0, "nothing is fetched until needed"
    assert len(runs) == 12
    assert transport.operations == {"GetRuns": 1}
    seventh = runs[7]
    assert transport.operations == {"GetRuns": 2}
    everything = list(runs)
    assert transport.operations == {"GetRuns": 3}
    assert everything[7] is seventh
    assert runs[-1] is everything[-1]
    assert runs[2:4] == everything[2:4]
    assert runs[10:] == everything[10:]
    assert runs[::5] == everything[::5]
    assert len({run.id for run in everything}) == 12
    assert [run.created_at for run in everything] == sorted(run.created_at for run in everything)
    assert transport.operations == {"GetRuns": 3}, "re-reading loads nothing again"
    assert not runs.more


def test_lazy_runs_load_full_data_one_request_per_page(
    api: Api, transport: CountingTransport
) -> None:
    runs = api.runs(PROJECT, per_page=5)
    configs = [run.config.to_dict() for run in runs]
    assert transport.operations == {"GetRuns": 3, "GetRunsFull": 3}
    assert all("lr" in config and "_wandb" not in config for config in configs)
    summaries = [run.summary["loss"] for run in runs]
    assert len(summaries) == 12
    assert transport.operations == {"GetRuns": 3, "GetRunsFull": 3}


def test_lazy_false_lists_full_data(api: Api, transport: CountingTransport) -> None:
    runs = api.runs(PROJECT, per_page=5, lazy=False)
    assert all(isinstance(run.config["batch_size"], int) for run in runs)
    assert transport.operations == {"GetRunsFull": 3}


def test_raw_and_built_filters_agree_with_the_listing(api: Api) -> None:
    everything = list(api.runs(PROJECT, lazy=False))
    cases = [
        ({"state": "finished"}, F.state == "finished", lambda r: r.state == "finished"),
        (
            {"tags": {"$in": ["best"]}},
            F.tags.contains("best"),
            lambda r: "best" in r.tags,
        ),
        (
            {"$and": [{"config.batch_size": {"$gte": 32}}, {"state": {"$ne": "running"}}]},
            (F.config("batch_size") >= 32) & (F.state != "running"),
            lambda r: r.config["batch_size"] >= 32 and r.state != "running",
        ),
        (
            {"$or": [{"group": "baseline"}, {"config.optimizer.name": "adam"}]},
            (F.group == "baseline") | (F.config("optimizer", "name") == "adam"),
            lambda r: r.group == "baseline" or r.config["optimizer"]["name"] == "adam",
        ),
        (
            {"display_name": {"$regex": "^amber"}},
            F.display_name.matches("^amber"),
            lambda r: (r.name or "").startswith("amber"),
        ),
    ]
    for raw, built, predicate in cases:
        assert built.to_dict() == raw
        expected = [run.id for run in everything if predicate(run)]
        assert [run.id for run in api.runs(PROJECT, filters=raw)] == expected, raw
        assert [run.id for run in api.runs(PROJECT, filters=built)] == expected, raw
        assert len(api.runs(PROJECT, filters=raw)) == len(expected)


def test_order(api: Api) -> None:
    by_lr = list(api.runs(PROJECT, order=F.config("lr").desc(), lazy=False))
    lrs = [run.config["lr"] for run in by_lr]
    assert lrs == sorted(lrs, reverse=True)
    by_name = [run.name for run in api.runs(PROJECT, order="-display_name")]
    assert by_name == sorted(by_name, reverse=True)
    newest_first = [run.created_at for run in api.runs(PROJECT, order="-created_at")]
    assert newest_first == sorted(newest_first, reverse=True)


def test_limit_and_resuming_from_a_cursor(api: Api, transport: CountingTransport) -> None:
    first = api.runs(PROJECT, per_page=4, limit=6)
    head = list(first)
    assert len(head) == 6 and len(first) == 6
    assert transport.operations == {"GetRuns": 2}
    rest = list(api.runs(PROJECT, per_page=4, cursor=first.cursor))
    everything = [run.id for run in api.runs(PROJECT, per_page=50)]
    assert [run.id for run in head + rest] == everything


def test_run_properties(api: Api, transport: CountingTransport) -> None:
    listed = api.runs(PROJECT, per_page=3)[1]
    for path in (
        listed.path_str,
        f"demo/demo-project/runs/{listed.id}",
        f"demo/demo-project:{listed.id}",
        f"https://wandb.example/demo/demo-project/runs/{listed.id}/overview",
    ):
        run = api.run(path)
        assert run.id == listed.id
    assert transport.operations == {"GetRuns": 1, "GetRunFull": 4}
    assert run.storage_id == listed.storage_id
    assert run.path == ["demo", "demo-project", listed.id]
    assert run.url.endswith(f"/demo/demo-project/runs/{listed.id}")
    assert run.created_at.tzinfo is timezone.utc
    assert run.heartbeat_at is None or run.heartbeat_at >= run.created_at
    assert run.name == listed.name
    assert run.username == "demo"
    assert "_wandb" in run.rawconfig and "_wandb" not in run.config
    assert run.rawconfig["lr"]["value"] == run.config["lr"]
    assert isinstance(run.summary["loss"], float)
    assert run.summary_metrics == run.summary.to_dict()
    assert isinstance(run.system_metrics, dict)
    assert run.history_keys["lastStep"] == run.last_history_step == run.lastHistoryStep
    assert run.history_keys["keys"]["loss"]["typeCounts"][0]["count"] == run.history_line_count
    metadata = run.metadata
    assert metadata is not None and "python" in metadata
    assert repr(run) == f"<Run demo/demo-project/{run.id} ({run.state})>"
    assert f"demo/demo-project/runs/{run.id}?jupyter=true" in run._repr_html_()


def test_runs_table(api: Api, transport: CountingTransport) -> None:
    runs = api.runs(PROJECT, per_page=5)
    runs[0]  # one lazy page listed: upgraded in one request, the rest in one large page
    frame = runs.to_pandas()
    assert transport.operations == {"GetRuns": 1, "GetRunsFull": 2}, "from listing pages alone"
    assert list(frame["id"]) == [run.id for run in runs]
    assert list(frame.columns[:7]) == [
        "id",
        "name",
        "state",
        "created_at",
        "tags",
        "group",
        "job_type",
    ]
    assert str(frame["created_at"].dtype) == "datetime64[us, UTC]"
    assert "config.optimizer.name" in frame.columns and "summary.best.acc" in frame.columns
    assert frame["config.batch_size"].dtype.kind == "i"
    losses = [run.summary["loss"] for run in runs]
    assert all(
        (math.isnan(a) and math.isnan(b)) or a == b
        for a, b in zip(frame["summary.loss"], losses, strict=True)
    )
