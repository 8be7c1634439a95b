"""API keys: 401 without a valid one; a key sees only its own entities' data."""

from __future__ import annotations

import httpx
import pytest

from runsapi.server import LocalServer
from tests.server.conftest import Client

PROJECT = 'query { project(name: "demo-project", entityName: "demo") { id runCount } }'


@pytest.mark.parametrize(
    "auth",
    [None, ("api", "x" * 40), ("api", ""), "Bearer abc", "Basic !!!not-base64"],
)
def test_requests_without_a_valid_key_get_401(seeded: LocalServer, auth: object) -> None:
    headers = {"Authorization": auth} if isinstance(auth, str) else {}
    basic = auth if isinstance(auth, tuple) else None
    response = httpx.post(seeded.graphql_url, json={"query": PROJECT}, headers=headers, auth=basic)
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"].startswith("a valid API key is required")


def test_another_users_key_sees_nothing_of_demo(fresh: LocalServer, fresh_client: Client) -> None:
    other = fresh.create_user("other")
    assert len(other) >= 40
    assert fresh_client.data(PROJECT, key=other)["project"] is None
    assert (
        fresh_client.data(
            'query { models(entityName: "demo") { edges { node { id } } } }', key=other
        )["models"]
        is None
    )
    viewer = fresh_client.data("query { viewer { username entity } }", key=other)["viewer"]
    assert viewer == {"username": "other", "entity": "other"}
    run = fresh_client.data(
        'query { project(name: "demo-project", entityName: "demo") { run(name: "x") { id } runs(first: 1) { edges { node { id name } } } } }'
    )
    run_id = run["project"]["runs"]["edges"][0]["node"]["id"]
    name = run["project"]["runs"]["edges"][0]["node"]["name"]
    for mutation in (
        'mutation($id: String!) { upsertBucket(input: {id: $id, notes: "hacked"}) { bucket { id } } }',
        "mutation($id: ID!) { deleteRun(input: {id: $id}) { clientMutationId } }",
        "mutation($id: ID!) { stopRun(input: {id: $id}) { success } }",
    ):
        assert any(
            "not found" in error
            for error in fresh_client.errors(mutation, {"id": run_id}, key=other)
        )
    errors = fresh_client.errors(
        'mutation { upsertBucket(input: {name: "intruder", modelName: "demo-project", entityName: "demo"}) { bucket { id } } }',
        key=other,
    )
    assert "entity demo not found" in errors[0]
    download = httpx.get(
        f"{fresh.base_url}/files/demo/demo-project/{name}/config.yaml", auth=("api", other)
    )
    assert download.status_code == 404
    assert (
        httpx.get(f"{fresh.base_url}/files/demo/demo-project/{name}/config.yaml").status_code == 401
    )
    # The demo run is untouched.
    notes = fresh_client.data(
        'query($n: String!) { project(name: "demo-project", entityName: "demo") { run(name: $n) { notes state } } }',
        {"n": name},
    )
    assert notes["project"]["run"]["notes"] != "hacked"


def test_team_members_share_the_team_entity(fresh: LocalServer, fresh_client: Client) -> None:
    alice = fresh.create_user("alice", teams=("lab",))
    bob = fresh.create_user("bob", teams=("lab",))
    created = fresh_client.data(
        'mutation { upsertModel(input: {name: "shared", entityName: "lab"}) { inserted project { name entityName } } }',
        key=alice,
    )
    assert created["upsertModel"] == {
        "inserted": True,
        "project": {"name": "shared", "entityName": "lab"},
    }
    seen = fresh_client.data(
        'query { project(name: "shared", entityName: "lab") { name } }', key=bob
    )
    assert seen["project"] == {"name": "shared"}
    assert (
        fresh_client.data('query { project(name: "shared", entityName: "lab") { name } }')[
            "project"
        ]
        is None
    )
    teams = fresh_client.data("query { viewer { teams { edges { node { name } } } } }", key=bob)
    assert {edge["node"]["name"] for edge in teams["viewer"]["teams"]["edges"]} == {"bob", "lab"}


def test_other_paths_answer_quietly(seeded: LocalServer) -> None:
    assert httpx.get(seeded.base_url + "/").status_code == 404
    assert httpx.get(seeded.base_url + "/graphql").status_code == 405
    assert httpx.post(seeded.base_url + "/api/v1/whatever").status_code == 404
    assert (
        httpx.post(seeded.base_url + "/_runsapi/faults", json={"mode": "drop"}).status_code == 404
    )


def test_malformed_requests(seeded: LocalServer) -> None:
    auth = ("api", seeded.api_key)
    bad_json = httpx.post(
        seeded.graphql_url,
        content=b"{nope",
        auth=auth,
        headers={"Content-Type": "application/json"},
    )
    assert bad_json.status_code == 400
    invalid = httpx.post(seeded.graphql_url, json={"query": "{ nosuchfield }"}, auth=auth)
    assert invalid.status_code == 400 and "nosuchfield" in invalid.json()["errors"][0]["message"]


def test_undeclared_variables_and_empty_operation_name_are_accepted(seeded: LocalServer) -> None:
    """The official client sends operationName "" and variables the operation does not declare."""
    response = httpx.post(
        seeded.graphql_url,
        json={
            "query": "query Viewer { viewer { username } }",
            "variables": {"entity": "x", "withRuns": False},
            "operationName": "",
        },
        auth=("api", seeded.api_key),
    )
    assert response.status_code == 200 and response.json() == {
        "data": {"viewer": {"username": "demo"}}
    }
