"""What the official SDK's run process (wandb-core) asks of a run's life beyond the stream:
the resume status it reads before appending, the entity's organization its system monitor
asks for, and a run whose process goes silent found crashed after the heartbeat timeout."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from runsapi.server import LocalServer, SeedSpec
from runsapi.server._app import create_app
from runsapi.server._liveness import check_interval, crash_silent_runs
from tests.server.conftest import Client

# wandb-core's texts (wandb 0.31.0: core/api/graphql/*.graphql), as it sends them.
RUN_RESUME_STATUS = """
query RunResumeStatus($project: String, $entity: String, $name: String!) {
  model(name: $project, entityName: $entity) {
    id name entity { id name }
    bucket(name: $name, missingOk: true) {
      id name summaryMetrics displayName logLineCount historyLineCount eventsLineCount
      historyTail eventsTail config tags notes wandbConfig(keys: ["t"])
    }
  }
}
"""
ORGANIZATION = """
query OrganizationCoreWeaveOrganizationID($entityName: String!) {
  entity(name: $entityName) { organization { coreWeaveOrganizationId } }
}
"""
UPSERT = """
mutation ($name: String!, $config: JSONString, $state: String) {
  upsertBucket(input: {
    entityName: "demo", modelName: "lifecycle", name: $name, config: $config, state: $state
  }) { bucket { id } }
}
"""
STATE = """query ($name: String!) {
  project(name: "lifecycle", entityName: "demo") { run(name: $name) { state heartbeatAt } }
}"""
SDK_CONFIG = {
    "lr": {"value": 0.1},
    "_wandb": {"value": {"t": {"1": [1, 55]}, "cli_version": "0.31.0"}},
}

_names = itertools.count()


def _new_run(client: Client, **variables: Any) -> str:
    name = f"life{next(_names)}"
    client.data(UPSERT, {"name": name, **variables})
    return name


def _stream(client: Client, run: str, body: dict[str, Any]) -> None:
    server = client.server
    response = client.http.post(
        f"{server.base_url}/files/demo/lifecycle/{run}/file_stream",
        json=body,
        auth=("api", server.api_key),
    )
    assert response.status_code == 200, response.text


def _history(steps: range) -> dict[str, Any]:
    rows = [json.dumps({"_step": s, "loss": 1 / (s + 1), "_runtime": s + 0.5}) for s in steps]
    return {"wandb-history.jsonl": {"offset": steps.start, "content": rows}}


def _state(client: Client, run: str) -> str:
    return str(client.data(STATE, {"name": run})["project"]["run"]["state"])


def test_the_resume_status_is_what_wandb_core_resumes_from(fresh_client: Client) -> None:
    run = _new_run(fresh_client, config=json.dumps(SDK_CONFIG))
    events = [json.dumps({"system.cpu": 5.0, "_runtime": 7.5, "_wandb": True})]
    files = {
        **_history(range(12)),
        "wandb-events.jsonl": {"offset": 0, "content": events},
        "output.log": {"offset": 0, "content": ["epoch 1", "epoch 2"]},
        "wandb-summary.json": {"offset": 0, "content": [json.dumps({"loss": 1 / 12, "_step": 11})]},
    }
    _stream(fresh_client, run, {"files": files, "complete": True, "exitcode": 0})

    variables = {"project": "lifecycle", "entity": "demo", "name": run}
    bucket = fresh_client.data(RUN_RESUME_STATUS, variables)["model"]["bucket"]
    assert json.loads(bucket["wandbConfig"]) == {"t": {"1": [1, 55]}}, "the SDK started it"
    assert (bucket["historyLineCount"], bucket["eventsLineCount"], bucket["logLineCount"]) == (
        12,
        1,
        2,
    )
    tail = [json.loads(row) for row in json.loads(bucket["historyTail"])]
    assert tail[-1]["_step"] == 11  # wandb-core starts again at the step after it
    assert json.loads(json.loads(bucket["eventsTail"])[-1])["_runtime"] == 7.5
    assert json.loads(bucket["summaryMetrics"])["_step"] == 11
    assert json.loads(bucket["config"]) == SDK_CONFIG

    missing = fresh_client.data(RUN_RESUME_STATUS, {**variables, "name": "never-started"})
    assert missing["model"]["bucket"] is None
    # A run created ahead of the SDK (no "t" in its `_wandb`) is not one to resume.
    ahead = _new_run(fresh_client, config=json.dumps({"lr": {"value": 0.1}}))
    unstarted = fresh_client.data(RUN_RESUME_STATUS, {**variables, "name": ahead})
    assert json.loads(unstarted["model"]["bucket"]["wandbConfig"]) == {}


def test_a_resumed_run_appends_and_runs_again(fresh_client: Client) -> None:
    run = _new_run(fresh_client, config=json.dumps(SDK_CONFIG))
    _stream(fresh_client, run, {"files": _history(range(5)), "complete": True, "exitcode": 0})
    assert _state(fresh_client, run) == "finished"
    _stream(fresh_client, run, {"files": _history(range(5, 8))})  # the resumed process
    assert _state(fresh_client, run) == "running"
    _stream(fresh_client, run, {"complete": True, "exitcode": 0})
    assert _state(fresh_client, run) == "finished"


def test_an_entity_has_no_organization_here(fresh_client: Client) -> None:
    assert fresh_client.data(ORGANIZATION, {"entityName": "demo"}) == {
        "entity": {"organization": None}
    }


def test_system_events_update_the_runs_system_metrics(fresh_client: Client) -> None:
    run = _new_run(fresh_client)
    rows = [
        {"system.cpu": 10.0, "system.gpu.0.gpu": 50.0, "_runtime": 1.0, "_wandb": True},
        {"system.cpu": 20.0, "_runtime": 2.0, "_wandb": True},
    ]
    chunk = {"offset": 0, "content": [json.dumps(row) for row in rows]}
    _stream(fresh_client, run, {"files": {"wandb-events.jsonl": chunk}})
    query = """query ($name: String!) {
      project(name: "lifecycle", entityName: "demo") { run(name: $name) { systemMetrics } }
    }"""
    metrics = fresh_client.data(query, {"name": run})["project"]["run"]["systemMetrics"]
    assert json.loads(metrics) == {"system.cpu": 20.0, "system.gpu.0.gpu": 50.0, "_runtime": 2.0}


def test_only_silent_streaming_runs_crash(fresh: LocalServer, fresh_client: Client) -> None:
    silent = _new_run(fresh_client)
    _stream(fresh_client, silent, {})
    preempting = _new_run(fresh_client)
    _stream(fresh_client, preempting, {"preempting": True})
    finished = _new_run(fresh_client)
    _stream(fresh_client, finished, {"complete": True})
    never_streamed = _new_run(fresh_client)  # a run of runsapi's create_run, say
    later = datetime.now(timezone.utc) + timedelta(seconds=61)

    assert crash_silent_runs(fresh.store, 120, at=later) == 0, "not silent for long enough"
    assert crash_silent_runs(fresh.store, 60, at=later) == 2
    assert _state(fresh_client, silent) == "crashed"
    assert _state(fresh_client, preempting) == "preempted"
    assert _state(fresh_client, finished) == "finished"
    assert _state(fresh_client, never_streamed) == "running"
    assert crash_silent_runs(fresh.store, 60, at=later) == 0, "crashed once"
    # Its process was only slow: it streams again and is running again.
    _stream(fresh_client, silent, {"files": _history(range(2))})
    assert _state(fresh_client, silent) == "running"


@pytest.fixture
def impatient() -> Iterator[LocalServer]:
    with LocalServer(seed=SeedSpec(runs=4, steps=3, artifacts=False), heartbeat_timeout=0.4) as s:
        yield s


def test_the_server_finds_a_silent_run_crashed_by_itself(impatient: LocalServer) -> None:
    with httpx.Client(timeout=30) as http:
        client = Client(impatient, http)
        run = _new_run(client)
        _stream(client, run, {"files": _history(range(3))})
        seeded_states = _seeded_states(impatient)
        deadline = time.monotonic() + 30
        while _state(client, run) == "running":
            assert time.monotonic() < deadline, "the silent run never crashed"
            _stream(client, _new_run(client), {})  # others stay busy meanwhile
            time.sleep(0.1)
        assert _state(client, run) == "crashed"
        assert _seeded_states(impatient) == seeded_states, "runs that never streamed stay"


def _seeded_states(server: LocalServer) -> list[tuple[str, str]]:
    assert server.seeded is not None
    marks = ",".join("?" * len(server.seeded.run_names))
    query = f"SELECT name, state FROM runs WHERE name IN ({marks}) ORDER BY name"
    return list(server.store.connection().execute(query, server.seeded.run_names))


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "60", True])
def test_a_heartbeat_timeout_is_a_positive_number_of_seconds(timeout: Any) -> None:
    with pytest.raises(ValueError, match="heartbeat_timeout takes a number of seconds"):
        LocalServer(heartbeat_timeout=timeout)
    with pytest.raises(ValueError, match="heartbeat_timeout takes a number of seconds"):
        create_app(":memory:", heartbeat_timeout_seconds=timeout)


def test_checks_come_a_fraction_of_the_timeout_apart() -> None:
    assert check_interval(300) == 30.0
    assert check_interval(2) == 0.5
    assert check_interval(0.01) == 0.05
