"""The official `wandb` client and runsapi, on the same seeded LocalServer, agree.

`wandb` is in the `test` extra.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import wandb

from runsapi import Api
from runsapi.server import LocalServer, SeedSpec
from tests.compat.conftest import server_for_the_official_client

PROJECT = "demo/demo-project"
SEED = SeedSpec(runs=24, steps=400, events=5, files=3, seed=23)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with server_for_the_official_client(tmp_path_factory.mktemp("wandb-home"), SEED) as running:
        yield running


CASES: list[tuple[dict[str, Any], str]] = [
    ({}, "+created_at"),
    ({}, "-created_at"),
    ({"state": "finished"}, "+created_at"),
    ({"state": {"$ne": "finished"}}, "-created_at"),
    ({"$or": [{"state": "crashed"}, {"state": "failed"}]}, "+created_at"),
    ({"tags": {"$in": ["best"]}}, "+created_at"),
    ({"tags": {"$nin": ["cpu", "gpu"]}}, "+display_name"),
    ({"display_name": {"$regex": "^(amber|calm)"}}, "-display_name"),
    ({"config.batch_size": 32}, "+created_at"),
    ({"config.batch_size.value": {"$in": [16, 64]}}, "+config.lr.value"),
    ({"config.lr": {"$gt": 0.001}}, "-config.lr.value"),
    ({"config.optimizer.name": "adam"}, "+created_at"),
    ({"summary_metrics.acc": {"$gte": 0.5}}, "-summary_metrics.acc"),
    ({"summary_metrics.best.acc": {"$lt": 0.8}}, "+summary_metrics.loss"),
    ({"$and": [{"group": "baseline"}, {"jobType": "train"}]}, "+heartbeat_at"),
    ({"$nor": [{"group": "ablation"}]}, "+created_at"),
    ({"sweep": {"$exists": True}}, "+created_at"),
    ({"createdAt": {"$gt": "2024-01-01T10:00:00"}}, "-created_at"),
]


@pytest.mark.parametrize(("filters", "order"), CASES)
def test_listing_agrees(official: Any, ours: Api, filters: dict[str, Any], order: str) -> None:
    theirs = official.runs(PROJECT, filters=filters, order=order, per_page=7)
    mine = ours.runs(PROJECT, filters=filters, order=order, per_page=7)
    assert [run.id for run in mine] == [run.id for run in theirs]
    assert len(mine) == len(theirs)


# The official client hands out non-finite values of sampled rows as the strings they
# travel as; runsapi decodes them to floats (see README, differences).
_AS_STRING = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _same(a: Any, b: Any) -> bool:
    if isinstance(b, str) and b in _AS_STRING and isinstance(a, float):
        b = _AS_STRING[b]
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def test_runs_agree(official: Any, ours: Api) -> None:
    theirs = {run.id: run for run in official.runs(PROJECT, lazy=False)}
    mine = list(ours.runs(PROJECT, lazy=False))
    assert [run.id for run in mine] == list(theirs)
    for run in mine:
        other = theirs[run.id]
        assert run.config.to_dict() == dict(other.config)
        assert _same(run.summary.to_dict(), dict(other.summary_metrics))
        assert run.tags == list(other.tags)
        assert run.state == other.state
        assert run.name == other.name


def test_config_as_json_agrees(official: Any, ours: Api) -> None:
    """`json_config` (W&B's stored form, `_wandb` included), and the config itself, to json."""
    for run in ours.runs(PROJECT, limit=5):
        other = official.run(f"{PROJECT}/{run.id}")
        assert "_wandb" in json.loads(run.json_config)
        assert json.loads(run.json_config) == json.loads(other.json_config)
        assert json.dumps(run.config) == json.dumps(other.config)


def test_sampled_history_agrees(official: Any, ours: Api) -> None:
    for run_id in [run.id for run in ours.runs(PROJECT, limit=5)]:
        theirs = official.run(f"{PROJECT}/{run_id}").history(
            keys=["loss", "acc"], samples=50, pandas=False
        )
        mine = ours.run(f"{PROJECT}/{run_id}").history(
            keys=["loss", "acc"], samples=50, pandas=False
        )
        assert len(mine) == len(theirs)
        assert all(_same(a, b) for a, b in zip(mine, theirs, strict=True))


@pytest.mark.parametrize("keys", [None, ["loss"], ["loss", "acc"], ["eval/loss"]])
def test_scans_agree(official: Any, ours: Api, keys: list[str] | None) -> None:
    for run_id in [run.id for run in ours.runs(PROJECT, limit=3)]:
        scanned = official.run(f"{PROJECT}/{run_id}").scan_history(keys=keys, page_size=100)
        # A finished run's scan reads its parquet exports: there a key a row lacks is None,
        # and with keys, rows that lack some are kept (wandb-core's reader).
        theirs = [
            {key: value for key, value in row.items() if value is not None}
            for row in scanned
            if keys is None or all(row.get(key) is not None for key in keys)
        ]
        mine = list(ours.run(f"{PROJECT}/{run_id}").scan_history(keys=keys, page_size=100))
        assert len(mine) == len(theirs) > 0
        assert all(_same(a, b) for a, b in zip(mine, theirs, strict=True))


def test_files_and_artifacts_agree(official: Any, ours: Api, tmp_path: Path) -> None:
    for run in ours.runs(PROJECT, limit=3):
        other = official.run(f"{PROJECT}/{run.id}")
        assert sorted((f.name, f.size) for f in run.files()) == sorted(
            (f.name, f.size) for f in other.files()
        )
        assert sorted(a.name for a in run.logged_artifacts()) == sorted(
            a.name for a in other.logged_artifacts()
        )


def test_the_official_client_reads_the_feature_list(server: LocalServer) -> None:
    """Its wandb-core process sends ServerFeaturesQuery itself (once per Api); the runsapi
    extension in the list (MERGE_RUN_CHANGES) must not upset it."""
    fresh = wandb.Api(api_key=server.api_key, overrides={"base_url": server.base_url}, timeout=60)
    server.reset_request_counts()
    service = fresh._service_api  # where wandb.Api asks for features
    assert service.feature_enabled("TOTAL_COUNT_IN_FILE_CONNECTION") is True
    assert server.request_counts["ServerFeaturesQuery"] == 1


def test_artifact_lookups_agree(official: Any, ours: Api) -> None:
    model = f"{PROJECT}/{ours.runs(PROJECT)[1].logged_artifacts()[0].collection}"
    for name in (f"{model}:v1", f"{model}:v0", model):
        theirs, mine = official.artifact(name), ours.artifact(name)
        assert (theirs.id, theirs.version, theirs.type, theirs.digest, theirs.size) == (
            mine.id,
            mine.version,
            mine.type,
            mine.digest,
            mine.size,
        )
        assert official.artifact_exists(name) and ours.artifact_exists(name)
    assert not official.artifact_exists(f"{model}:v9") and not ours.artifact_exists(f"{model}:v9")
    assert [t.name for t in official.artifact_types(PROJECT)] == [
        t.name for t in ours.artifact_types(PROJECT)
    ]
    assert (
        official.artifact_type("model", PROJECT).name == ours.artifact_type("model", PROJECT).name
    )
    assert [c.name for c in official.artifact_collections(PROJECT, "model")] == [
        c.name for c in ours.artifact_collections(PROJECT, "model")
    ]
    assert (
        official.artifact_collection("model", model).id
        == ours.artifact_collection("model", model).id
    )
    assert official.artifact_collection_exists(model, "model")
    assert ours.artifact_collection_exists(model, "model")
    assert [a.id for a in official.artifacts("model", model)] == [
        a.id for a in ours.artifacts("model", model)
    ]
