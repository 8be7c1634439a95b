"""`run.config` and `run.summary` are dicts to json and pandas, and their nested edits are
saved, whether the server merges changes (MERGE_RUN_CHANGES) or the client replays them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pandas as pd
import pytest

from runsapi._sync.api import Api
from runsapi.server import MERGE_RUN_CHANGES, SERVER_FEATURES, LocalServer
from tests.live.conftest import PROJECT, SCRATCH


@pytest.fixture(params=["merge", "replay"])
def saving_api(request: pytest.FixtureRequest, api: Api) -> Iterator[Api]:
    if request.param == "merge":
        yield api
        return
    with (
        LocalServer(features=SERVER_FEATURES - {MERGE_RUN_CHANGES}) as server,
        Api({"base_url": server.base_url, "entity": "demo"}, api_key=server.api_key) as replaying,
    ):
        yield replaying


def test_nested_edits_round_trip(saving_api: Api) -> None:
    run = saving_api.create_run(project=SCRATCH, config={"opt": {"lr": 0.1, "beta": 0.9}})
    run.summary.update({"best": {"acc": 0.5, "loss": 1.0}})
    run.config["opt"]["lr"] = 0.2
    del run.config["opt"]["beta"]
    run.summary["best"]["acc"] = 1
    run.summary["best"].pop("loss")
    run.summary.setdefault("epochs", {})["last"] = 3
    run.update()
    fresh = saving_api.run(run.path_str)
    assert fresh.config == {"opt": {"lr": 0.2}}
    assert fresh.summary == {"best": {"acc": 1}, "epochs": {"last": 3}}
    assert fresh.config.changes == fresh.summary.changes == []
    fresh.summary["best"].update({"acc": 2})  # saves, as in the official client
    assert saving_api.run(run.path_str).summary["best"] == {"acc": 2}


def test_lazily_listed_runs_hand_out_loaded_dicts(api: Api) -> None:
    runs = list(api.runs(PROJECT))
    rows = [{**run.config, **run.summary} for run in runs]
    frame = pd.DataFrame(rows)
    assert len(frame) == len(runs) and "lr" in frame.columns
    for run in runs[:2]:
        assert json.loads(json.dumps(run.config)) == run.config.to_dict()
        assert len(pd.json_normalize(run.summary)) == 1


def test_json_config_is_the_stored_form_with_local_edits(api: Api) -> None:
    run = api.create_run(project=SCRATCH, config={"lr": 0.1, "opt": {"name": "adam"}})
    run.config["lr"] = 0.2
    assert json.loads(run.json_config) == {
        "lr": {"value": 0.2, "desc": None},
        "opt": {"value": {"name": "adam"}, "desc": None},
    }
