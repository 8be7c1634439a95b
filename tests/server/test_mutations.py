"""Mutation semantics: upsertBucket, state changes, stop, delete, projects, artifacts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runsapi.server import LocalServer
from tests.server.conftest import Client

UPSERT = """
mutation($input: UpsertBucketInput!) {
  upsertBucket(input: $input) {
    inserted
    bucket { id name displayName notes tags group jobType state config summaryMetrics sweepName
             project { name entityName } user { username } }
  }
}
"""
STATE = "mutation($id: ID!, $state: String!) { updateRunState(input: {id: $id, state: $state}) { success } }"
RUN = 'query($n: String!) { project(name: "demo-project", entityName: "demo") { run(name: $n) { id state stopped notes tags group } } }'


def _upsert(client: Client, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = client.data(UPSERT, {"input": fields})["upsertBucket"]
    return result


def test_upsert_bucket_creates_then_updates_by_name_and_by_id(fresh_client: Client) -> None:
    created = _upsert(
        fresh_client,
        name="r1",
        modelName="fresh-project",
        entityName="demo",
        tags=["x"],
        config=json.dumps({"lr": {"value": 1}}),
    )
    assert created["inserted"] is True
    bucket = created["bucket"]
    assert bucket["project"] == {
        "name": "fresh-project",
        "entityName": "demo",
    }  # project made on demand
    assert bucket["user"] == {"username": "demo"} and bucket["state"] == "running"
    again = _upsert(fresh_client, name="r1", modelName="fresh-project", notes="second")
    assert again["inserted"] is False and again["bucket"]["id"] == bucket["id"]
    assert again["bucket"]["tags"] == ["x"] and again["bucket"]["notes"] == "second"
    # By id: only the fields given change; null leaves a field as it is (the SDK's later
    # upserts send every variable, null where unset); summary and config are replaced.
    updated = _upsert(
        fresh_client,
        id=bucket["id"],
        notes=None,
        tags=None,
        config=None,
        groupName="g",
        summaryMetrics=json.dumps({"loss": float("nan")}).replace("NaN", "NaN"),
    )
    assert updated["bucket"]["notes"] == "second" and updated["bucket"]["group"] == "g"
    assert updated["bucket"]["tags"] == ["x"]
    assert json.loads(updated["bucket"]["config"]) == {"lr": {"value": 1}}
    cleared = _upsert(fresh_client, id=bucket["id"], notes="", tags=[])
    assert cleared["bucket"]["notes"] == "" and cleared["bucket"]["tags"] == []
    assert "NaN" in updated["bucket"]["summaryMetrics"]
    replaced = _upsert(fresh_client, id=bucket["id"], config=json.dumps({"bs": {"value": 2}}))
    assert json.loads(replaced["bucket"]["config"]) == {"bs": {"value": 2}}


def test_created_runs_get_a_generated_id_in_the_default_project(fresh_client: Client) -> None:
    bucket = _upsert(fresh_client, state="pending")["bucket"]
    assert len(bucket["name"]) == 8 and bucket["state"] == "pending"
    assert bucket["project"] == {"name": "uncategorized", "entityName": "demo"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "r2", "config": "[1]"}, "config must be a JSON object"),
        ({"name": "r2", "config": "{"}, "config is not valid JSON"),
        ({"name": "r2", "state": "sleeping"}, "invalid run state"),
        ({"id": "bm9wZQ=="}, "invalid Run id"),
    ],
)
def test_upsert_bucket_rejects_bad_input(
    fresh_client: Client, fields: dict[str, Any], message: str
) -> None:
    errors = fresh_client.errors(UPSERT, {"input": fields})
    assert message in errors[0]


def test_state_transitions(fresh: LocalServer, fresh_client: Client) -> None:
    run_id = _upsert(fresh_client, name="s1", modelName="demo-project")["bucket"]["id"]
    assert (
        fresh_client.data(STATE, {"id": run_id, "state": "failed"})["updateRunState"]["success"]
        is True
    )
    assert (
        "invalid state transition"
        in fresh_client.errors(STATE, {"id": run_id, "state": "failed"})[0]
    )
    assert (
        fresh_client.data(STATE, {"id": run_id, "state": "pending"})["updateRunState"]["success"]
        is True
    )
    assert (
        fresh_client.data(STATE, {"id": run_id, "state": "running"})["updateRunState"]["success"]
        is True
    )
    assert "invalid run state" in fresh_client.errors(STATE, {"id": run_id, "state": "bogus"})[0]
    stopped = fresh_client.data(
        "mutation($id: ID!) { stopRun(input: {id: $id}) { success } }", {"id": run_id}
    )
    assert stopped["stopRun"]["success"] is True
    assert fresh_client.data(RUN, {"n": "s1"})["project"]["run"] | {"id": None} == {
        "id": None,
        "state": "killed",
        "stopped": True,
        "notes": None,
        "tags": [],
        "group": None,
    }


ARTIFACTS = 'query($n: String!) { project(name: "demo-project", entityName: "demo") { run(name: $n) { outputArtifacts { totalCount edges { node { id versionIndex aliases { alias } artifactSequence { name latestArtifact { versionIndex } } } } } } } }'


@pytest.mark.parametrize("delete_artifacts", [False, True])
def test_delete_run_and_optionally_its_artifacts(
    fresh: LocalServer, fresh_client: Client, delete_artifacts: bool
) -> None:
    assert fresh.seeded is not None
    name = fresh.seeded.run_names[1]  # logged model-<name> v0 and v1
    outputs = fresh_client.data(ARTIFACTS, {"n": name})["project"]["run"]["outputArtifacts"]
    assert outputs["totalCount"] == 2
    latest = outputs["edges"][-1]["node"]
    assert [alias["alias"] for alias in latest["aliases"]] == ["latest", "v1"]
    assert latest["artifactSequence"] == {
        "name": f"model-{name}",
        "latestArtifact": {"versionIndex": 1},
    }
    user = fresh.seeded.run_names[2]
    fresh_client.data(
        'mutation($r: String!, $a: ID!) { useArtifact(input: {entityName: "demo", projectName: "demo-project", runName: $r, artifactID: $a}) { artifact { id } } }',
        {"r": user, "a": latest["id"]},
    )
    run_id = fresh_client.data(RUN, {"n": name})["project"]["run"]["id"]
    files_before = len(list(fresh.store.files_dir.iterdir()))
    fresh_client.data(
        "mutation($id: ID!, $d: Boolean) { deleteRun(input: {id: $id, deleteArtifacts: $d}) { clientMutationId } }",
        {"id": run_id, "d": delete_artifacts},
    )
    assert fresh_client.data(RUN, {"n": name})["project"]["run"] is None
    assert len(list(fresh.store.files_dir.iterdir())) == files_before - 3
    used = fresh_client.data(
        'query($n: String!) { project(name: "demo-project", entityName: "demo") { run(name: $n) { inputArtifacts { totalCount } } } }',
        {"n": user},
    )
    assert used["project"]["run"]["inputArtifacts"]["totalCount"] == (0 if delete_artifacts else 1)


def test_upsert_model_creates_and_updates_projects(fresh_client: Client) -> None:
    query = 'mutation($d: String) { upsertModel(input: {name: "p2", description: $d}) { inserted project { name description entityName } model { name } } }'
    first = fresh_client.data(query, {"d": "one"})["upsertModel"]
    assert first == {
        "inserted": True,
        "project": {"name": "p2", "description": "one", "entityName": "demo"},
        "model": {"name": "p2"},
    }
    second = fresh_client.data(query, {"d": "two"})["upsertModel"]
    assert second["inserted"] is False and second["project"]["description"] == "two"


def test_sweeps_are_queryable(seeded: LocalServer, client: Client) -> None:
    runs = client.data(
        'query { project(name: "demo-project", entityName: "demo") { runs(first: 100, filters: "{\\"sweep\\": {\\"$exists\\": true}}") { edges { node { sweepName } } } } }'
    )
    sweep_name = runs["project"]["runs"]["edges"][0]["node"]["sweepName"]
    sweep = client.data(
        'query($s: String!) { project(name: "demo-project", entityName: "demo") { sweep(sweepName: $s) { name method state runCount config } } }',
        {"s": sweep_name},
    )
    count = sum(
        1 for edge in runs["project"]["runs"]["edges"] if edge["node"]["sweepName"] == sweep_name
    )
    assert (
        sweep["project"]["sweep"]["runCount"] == count
        and sweep["project"]["sweep"]["method"] == "bayes"
    )
