"""mergeRunChanges (a runsapi extension): change sets merged atomically into a run's config
and summary, offered as the MERGE_RUN_CHANGES server feature."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from runsapi.server import MERGE_RUN_CHANGES, SERVER_FEATURES, LocalServer, create_app
from tests.server.conftest import Client

FEATURES = "query ServerFeaturesQuery { serverInfo { features { name isEnabled } } }"
MERGE = """
mutation($input: MergeRunChangesInput!) {
  mergeRunChanges(input: $input) { bucket { notes tags config summaryMetrics } clientMutationId }
}
"""
CREATE = """
mutation($name: String!, $config: JSONString, $summary: JSONString) {
  upsertBucket(input: {name: $name, modelName: "merging", config: $config, summaryMetrics: $summary}) {
    bucket { id }
  }
}
"""
RUN = 'query($n: String!) { project(name: "merging", entityName: "demo") { run(name: $n) { config summaryMetrics } } }'
COUNT = 'query($f: JSONString) { project(name: "merging", entityName: "demo") { runCount(filters: $f) } }'


def _set(*path: str, value: Any) -> dict[str, Any]:
    return {"path": list(path), "value": json.dumps(value)}


def _delete(*path: str) -> dict[str, Any]:
    return {"path": list(path)}


def _create(client: Client, name: str, *, config: Any = None, summary: Any = None) -> str:
    variables = {
        "name": name,
        "config": None if config is None else json.dumps(config),
        "summary": None if summary is None else json.dumps(summary),
    }
    run_id: str = client.data(CREATE, variables)["upsertBucket"]["bucket"]["id"]
    return run_id


def _stored(client: Client, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    run = client.data(RUN, {"n": name})["project"]["run"]
    return json.loads(run["config"]), json.loads(run["summaryMetrics"])


@pytest.fixture
def without_merge() -> Iterator[LocalServer]:
    with LocalServer(features=SERVER_FEATURES - {MERGE_RUN_CHANGES}) as server:
        yield server


def test_the_feature_is_advertised_in_w_and_b_shape(client: Client) -> None:
    features = client.data(FEATURES)["serverInfo"]["features"]
    assert {feature["name"] for feature in features} == SERVER_FEATURES
    assert all(feature["isEnabled"] is True for feature in features)


def test_a_server_can_run_without_it(without_merge: LocalServer) -> None:
    with httpx.Client(timeout=30) as http:
        client = Client(without_merge, http)
        features = {
            f["name"]: f["isEnabled"] for f in client.data(FEATURES)["serverInfo"]["features"]
        }
        assert features[MERGE_RUN_CHANGES] is False
        assert sum(features.values()) == len(SERVER_FEATURES) - 1
        run_id = _create(client, "off", summary={"a": 1})
        (message,) = client.errors(MERGE, {"input": {"id": run_id}})
        assert f"{MERGE_RUN_CHANGES} is disabled" in message
        assert _stored(client, "off")[1] == {"a": 1}


def test_unknown_feature_names_are_refused(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="unknown server features \\['NOPE'\\]"):
        create_app(tmp_path / "db", features={"NOPE"})


def test_sets_nested_sets_deletions_and_plain_fields(fresh_client: Client) -> None:
    config = {
        "_wandb": {"value": {"t": 1}},
        "lr": {"value": 0.1, "desc": "learning rate"},
        "opt": {"value": {"beta": 0.9, "eps": 1e-8}, "desc": None},
        "gone": {"value": 1, "desc": None},
    }
    summary = {"best": {"acc": 0.5, "loss": 2.0}, "old": 1, "keep": "k"}
    run_id = _create(fresh_client, "m1", config=config, summary=summary)
    changes = {
        "id": run_id,
        "notes": "merged",
        "tags": ["t"],
        "clientMutationId": "c1",
        "config": [
            _set("lr", value=0.2),
            _set("opt", "beta", value=0.95),
            _set("new", "deep", value=[1, 2]),
            _delete("gone"),
            _delete("never", "there"),
        ],
        "summaryMetrics": [
            _set("best", "acc", value=0.75),
            _delete("best", "loss"),
            _delete("old"),
            _set("none", value=None),
            _set("keep", "under", value=1),  # a set below a non-object replaces it
            {"path": ["nan"], "value": "NaN"},
        ],
    }
    result = fresh_client.data(MERGE, {"input": changes})["mergeRunChanges"]
    assert result["clientMutationId"] == "c1"
    assert (result["bucket"]["notes"], result["bucket"]["tags"]) == ("merged", ["t"])
    stored_config, stored_summary = _stored(fresh_client, "m1")
    assert stored_config == {
        "_wandb": {"value": {"t": 1}},
        "lr": {"value": 0.2, "desc": "learning rate"},
        "opt": {"value": {"beta": 0.95, "eps": 1e-8}, "desc": None},
        "new": {"value": {"deep": [1, 2]}, "desc": None},
    }
    assert math.isnan(stored_summary.pop("nan"))
    assert stored_summary == {"best": {"acc": 0.75}, "none": None, "keep": {"under": 1}}
    # The query copies that filters read were updated in the same write.
    assert fresh_client.data(COUNT, {"f": json.dumps({"summary_metrics.best.acc": 0.75})}) == {
        "project": {"runCount": 1}
    }
    assert fresh_client.data(COUNT, {"f": json.dumps({"config.opt.beta": 0.95})}) == {
        "project": {"runCount": 1}
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"path": [], "value": "1"}, "a summaryMetrics change needs a non-empty path"),
        ({"path": ["a"], "value": "{"}, "the summaryMetrics value at ['a'] is not valid JSON"),
        (
            {"path": ["a"], "value": "[" * 100_000 + "]" * 100_000},
            "the summaryMetrics value at ['a'] is nested too deeply",
        ),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(
    fresh_client: Client, change: dict[str, Any], message: str
) -> None:
    run_id = _create(fresh_client, "bad", summary={"a": 1})
    changes = {"id": run_id, "notes": "no", "summaryMetrics": [_set("b", value=2), change]}
    (error,) = fresh_client.errors(MERGE, {"input": changes})
    assert message in error
    assert _stored(fresh_client, "bad")[1] == {"a": 1}


def test_concurrent_merges_all_land(fresh: LocalServer) -> None:
    """Each thread sets keys and deletes keys no other thread touches, all starting at once:
    the read, merge and write of each mutation is one transaction, so none is lost."""
    threads, merges = 8, 20
    with httpx.Client(timeout=60) as http:
        setup = Client(fresh, http)
        gone = {f"gone{t}_{i}": 0 for t in range(threads) for i in range(merges)}
        run_id = _create(
            setup, "race", config={k: {"value": 0} for k in gone}, summary={**gone, "n": {}}
        )
    barrier = threading.Barrier(threads)

    def writer(t: int) -> None:
        with httpx.Client(timeout=60) as http:
            client = Client(fresh, http)
            barrier.wait()
            for i in range(merges):
                client.data(
                    MERGE,
                    {
                        "input": {
                            "id": run_id,
                            "config": [_set(f"set{t}_{i}", value=i), _delete(f"gone{t}_{i}")],
                            "summaryMetrics": [
                                _set(f"set{t}_{i}", value=i),
                                _set("n", f"{t}_{i}", value=i),
                                _delete(f"gone{t}_{i}"),
                            ],
                        }
                    },
                )

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(writer, range(threads)))
    with httpx.Client(timeout=60) as http:
        config, summary = _stored(Client(fresh, http), "race")
    expected = {f"set{t}_{i}": i for t in range(threads) for i in range(merges)}
    assert {key: item["value"] for key, item in config.items()} == expected
    assert summary == {
        **expected,
        "n": {f"{t}_{i}": i for t in range(threads) for i in range(merges)},
    }
