"""W&B Launch on the local server: run queues, their items and default resource configs,
through the official client's operation texts (wire reference, section 7) and runsapi's
`pushToRunQueue`; who may see them; what is refused; the seeded job."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runsapi.server import LocalServer, SeedSpec, Store, seed_project
from runsapi.server._accounts import ensure_user
from runsapi.server._launch import LaunchInputError, set_item_state
from tests.server.conftest import Client

SEED = SeedSpec(runs=2, steps=5, events=1, files=1, jobs=True, seed=17)

# The official client's texts (wandb 0.31.0, wire reference section 7).
CREATE_PROJECT = "mutation CreateProject($input: UpsertModelInput!) { result: upsertModel(input: $input) { project { id name entityName description access views } model { id name entityName description access views } inserted } }"
CREATE_CONFIG = "mutation CreateDefaultResourceConfig($entityName: String!, $resource: String!, $config: JSONString!, $templateVariables: JSONString) { createDefaultResourceConfig(input: { entityName: $entityName, resource: $resource, config: $config, templateVariables: $templateVariables }) { defaultResourceConfigID success } }"
CREATE_QUEUE = "mutation CreateRunQueue($entity: String!, $project: String!, $queueName: String!, $access: RunQueueAccessType!, $prioritizationMode: RunQueuePrioritizationMode, $defaultResourceConfigID: ID) { createRunQueue(input: { entityName: $entity, projectName: $project, queueName: $queueName, access: $access, prioritizationMode: $prioritizationMode, defaultResourceConfigID: $defaultResourceConfigID }) { success queueID } }"
UPSERT_QUEUE = "mutation UpsertRunQueue($entityName: String!, $projectName: String!, $queueName: String!, $resourceType: String!, $resourceConfig: JSONString!, $templateVariables: JSONString, $prioritizationMode: RunQueuePrioritizationMode, $externalLinks: JSONString, $clientMutationId: String) { upsertRunQueue(input: { entityName: $entityName, projectName: $projectName, queueName: $queueName, resourceType: $resourceType, resourceConfig: $resourceConfig, templateVariables: $templateVariables, prioritizationMode: $prioritizationMode, externalLinks: $externalLinks, clientMutationId: $clientMutationId }) { success configSchemaValidationErrors } }"
METADATA = "query GetRunQueueMetadata($projectName: String!, $entityName: String!, $runQueue: String!) { project(name: $projectName, entityName: $entityName) { runQueue(name: $runQueue) { id access defaultResourceConfigID prioritizationMode externalLinks } } }"
RESOURCE_CONFIG = "query GetDefaultResourceConfig($entityName: String!, $id: ID!) { entity(name: $entityName) { defaultResourceConfig(id: $id) { config resource templateVariables { name schema } } } }"
ITEMS = "query GetRunQueueItems($projectName: String!, $entityName: String!, $runQueue: String!) { project(name: $projectName, entityName: $entityName) { runQueue(name: $runQueue) { runQueueItems(first: 100) { edges { node { id } } } } } }"
DELETE_QUEUE = "mutation DeleteRunQueue($id: ID!) { deleteRunQueues(input: { queueIDs: [$id] }) { success clientMutationId } }"
ITEM = "query GetRunQueueItem($projectName: String!, $entityName: String!, $runQueue: String!, $itemId: ID!) { project(name: $projectName, entityName: $entityName) { runQueue(name: $runQueue) { runQueueItem(id: $itemId) { id state associatedRunId } } } }"
ITEM_LEGACY = "query GetRunQueueItem($projectName: String!, $entityName: String!, $runQueue: String!) { project(name: $projectName, entityName: $entityName) { runQueue(name: $runQueue) { runQueueItems { edges { node { id state associatedRunId } } } } } }"
QUEUE_ID = "query fetchRunQueuesFromProject($entityName: String!, $projectName: String!, $runQueueName: String!) { project(name: $projectName, entityName: $entityName) { runQueue(name: $runQueueName) { id } } }"
DELETE_ITEM = "mutation DeleteFromRunQueue($queueID: ID!, $runQueueItemId: ID!) { deleteFromRunQueue(input: { queueID: $queueID runQueueItemId: $runQueueItemId }) { success clientMutationId } }"
LIST_JOBS = "query ArtifactOfType($entityName: String!, $projectName: String!, $artifactTypeName: String!,) { project(name: $projectName, entityName: $entityName) { artifactType(name: $artifactTypeName) { artifactCollections { edges { node { artifacts { edges { node { id state aliases { alias } artifactSequence { name } } } } } } } } } }"
# runsapi's way onto a queue.
PUSH = "mutation Push($queueID: ID!, $runSpec: JSONString!, $priority: Int) { pushToRunQueue(input: {queueID: $queueID, runSpec: $runSpec, priority: $priority}) { runQueueItemId } }"
QUEUES = 'query Queues($entity: String!) { project(name: "model-registry", entityName: $entity) { runQueues { name } } }'
PAGE = 'query Page($name: String!, $after: String) { project(name: "model-registry", entityName: "demo") { runQueue(name: $name) { runQueueItems(first: 2, after: $after) { pageInfo { endCursor hasNextPage } edges { node { id priority } } } } } }'

WHERE = {"projectName": "model-registry", "entityName": "demo"}
GPU_CONFIG = {"resource_args": {"kubernetes": {"gpus": "{{gpus}}"}}}
GPU_VARIABLES = {"gpus": {"schema": {"type": "integer", "default": 1, "minimum": 0, "maximum": 8}}}


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(seed=SEED) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: LocalServer) -> Iterator[Client]:
    with httpx.Client(timeout=30) as http:
        yield Client(server, http)


def _create_queue(
    client: Client, name: str, *, mode: str | None = None, key: str | None = None
) -> str:
    """A queue made as `Api.create_run_queue` of the official client makes one; its id."""
    client.data(CREATE_PROJECT, {"input": {"entityName": "demo", "name": "model-registry"}})
    made = client.data(
        CREATE_CONFIG,
        {
            "entityName": "demo",
            "resource": "kubernetes",
            "config": json.dumps(GPU_CONFIG),
            "templateVariables": json.dumps(GPU_VARIABLES),
        },
        key=key,
    )["createDefaultResourceConfig"]
    assert made["success"]
    created = client.data(
        CREATE_QUEUE,
        {
            "entity": "demo",
            "project": "model-registry",
            "queueName": name,
            "access": "PROJECT",
            "prioritizationMode": mode,
            "defaultResourceConfigID": made["defaultResourceConfigID"],
        },
        key=key,
    )["createRunQueue"]
    assert created["success"]
    queue_id: str = created["queueID"]
    return queue_id


def _push(client: Client, queue_id: str, priority: int | None = None, **spec: Any) -> str:
    pushed = client.data(
        PUSH, {"queueID": queue_id, "runSpec": json.dumps(spec), "priority": priority}
    )
    item_id: str = pushed["pushToRunQueue"]["runQueueItemId"]
    return item_id


def test_a_queue_made_read_and_deleted_as_the_official_client_does(client: Client) -> None:
    queue_id = _create_queue(client, "gpu", mode="V0")
    queue = client.data(METADATA, {**WHERE, "runQueue": "gpu"})["project"]["runQueue"]
    assert queue == {
        "id": queue_id,
        "access": "PROJECT",
        "defaultResourceConfigID": queue["defaultResourceConfigID"],
        "prioritizationMode": "V0",
        "externalLinks": {},
    }
    config = client.data(
        RESOURCE_CONFIG, {"entityName": "demo", "id": queue["defaultResourceConfigID"]}
    )["entity"]["defaultResourceConfig"]
    assert config == {
        "config": GPU_CONFIG,
        "resource": "kubernetes",
        "templateVariables": [
            {
                "name": "gpus",
                "schema": json.dumps(GPU_VARIABLES["gpus"]["schema"], separators=(",", ":")),
            }
        ],
    }

    item_id = _push(client, queue_id, job="demo/demo-project/job-demo_train:latest")
    listed = client.data(ITEMS, {**WHERE, "runQueue": "gpu"})["project"]["runQueue"]
    assert listed["runQueueItems"]["edges"] == [{"node": {"id": item_id}}]
    expected = {"id": item_id, "state": "PENDING", "associatedRunId": None}
    one = client.data(ITEM, {**WHERE, "runQueue": "gpu", "itemId": item_id})
    assert one["project"]["runQueue"]["runQueueItem"] == expected
    legacy = client.data(ITEM_LEGACY, {**WHERE, "runQueue": "gpu"})["project"]["runQueue"]
    assert legacy["runQueueItems"]["edges"] == [{"node": expected}]

    found = client.data(QUEUE_ID, {**WHERE, "runQueueName": "gpu"})["project"]["runQueue"]
    assert found == {"id": queue_id}
    deleted = client.data(DELETE_ITEM, {"queueID": queue_id, "runQueueItemId": item_id})
    assert deleted["deleteFromRunQueue"]["success"]
    assert (
        client.data(ITEMS, {**WHERE, "runQueue": "gpu"})["project"]["runQueue"]["runQueueItems"][
            "edges"
        ]
        == []
    )
    assert client.data(DELETE_QUEUE, {"id": queue_id})["deleteRunQueues"]["success"]
    assert client.data(METADATA, {**WHERE, "runQueue": "gpu"})["project"]["runQueue"] is None


def test_upsert_creates_then_replaces_and_warns_about_undefined_placeholders(
    client: Client,
) -> None:
    def upsert(config: dict[str, Any], **more: Any) -> Any:
        return client.data(
            UPSERT_QUEUE,
            {
                **WHERE,
                "queueName": "cpu",
                "resourceType": "local-process",
                "resourceConfig": json.dumps({"resource_args": {"local-process": config}}),
                **more,
            },
        )["upsertRunQueue"]

    first = upsert(
        {"threads": "{{threads}}", "image": "{{image}}"},
        templateVariables=json.dumps({"threads": {"schema": {"type": "integer"}}}),
        externalLinks=json.dumps({"links": [{"label": "docs", "url": "https://example.com"}]}),
        prioritizationMode="V0",
    )
    assert first == {
        "success": True,
        "configSchemaValidationErrors": [
            "template variable {{image}} is used in the resource config but not defined"
        ],
    }
    queue = client.data(METADATA, {**WHERE, "runQueue": "cpu"})["project"]["runQueue"]
    assert queue["prioritizationMode"] == "V0"
    assert queue["externalLinks"] == {"links": [{"label": "docs", "url": "https://example.com"}]}

    assert upsert({}) == {"success": True, "configSchemaValidationErrors": []}
    again = client.data(METADATA, {**WHERE, "runQueue": "cpu"})["project"]["runQueue"]
    assert (again["id"], again["defaultResourceConfigID"]) == (
        queue["id"],
        queue["defaultResourceConfigID"],
    )
    assert (again["prioritizationMode"], again["externalLinks"]) == ("DISABLED", {"links": []})
    config = client.data(
        RESOURCE_CONFIG, {"entityName": "demo", "id": again["defaultResourceConfigID"]}
    )["entity"]["defaultResourceConfig"]
    assert config == {
        "config": {"resource_args": {"local-process": {}}},
        "resource": "local-process",
        "templateVariables": [],
    }


@pytest.mark.parametrize(
    ("document", "variables", "refusal"),
    [
        (
            CREATE_CONFIG,
            {"resource": "slurm", "config": json.dumps({"resource_args": {"slurm": {}}})},
            "unknown resource type 'slurm': one of local-container",
        ),
        (
            CREATE_CONFIG,
            {"resource": "kubernetes", "config": json.dumps({"kubernetes": {}})},
            'a resource config must be {"resource_args": {"kubernetes": {...}}}',
        ),
        (
            CREATE_CONFIG,
            {
                "resource": "kubernetes",
                "config": json.dumps(GPU_CONFIG),
                "templateVariables": json.dumps({"gpus": {"schema": {"type": "float"}}}),
            },
            "needs a type, one of string, number, integer",
        ),
        (
            CREATE_CONFIG,
            {
                "resource": "kubernetes",
                "config": json.dumps(GPU_CONFIG),
                "templateVariables": json.dumps(
                    {"gpus": {"schema": {"type": "integer", "default": 9, "maximum": 8}}}
                ),
            },
            "default 9 is above the maximum 8",
        ),
        (
            CREATE_QUEUE,
            {"project": "model-registry", "queueName": "x" * 65, "access": "PROJECT"},
            "names have 1 to 64 characters",
        ),
        (
            UPSERT_QUEUE,
            {
                **WHERE,
                "queueName": "links",
                "resourceType": "kubernetes",
                "resourceConfig": json.dumps(GPU_CONFIG),
                "externalLinks": json.dumps({"links": [{"label": "x", "url": "ftp://x"}]}),
            },
            "invalid URL for external link 'x'",
        ),
    ],
)
def test_malformed_queues_and_configs_are_refused(
    client: Client, document: str, variables: dict[str, Any], refusal: str
) -> None:
    names = {"entityName": "demo"} if "$entityName:" in document else {"entity": "demo"}
    (message,) = client.errors(document, {**names, **variables})
    assert refusal in message


def test_a_queue_name_is_taken_once_per_project(client: Client) -> None:
    _create_queue(client, "taken")
    (message,) = client.errors(
        CREATE_QUEUE,
        {"entity": "demo", "project": "model-registry", "queueName": "taken", "access": "PROJECT"},
    )
    assert "a run queue named 'taken' exists already" in message


def test_priorities_order_the_items_of_a_v0_queue_and_nothing_else_takes_one(
    client: Client,
) -> None:
    ranked = _create_queue(client, "ranked", mode="V0")
    low = _push(client, ranked, 3)
    medium = _push(client, ranked)
    critical = _push(client, ranked, 0)
    high = _push(client, ranked, 1)
    pages, after = [], None
    while True:
        found = client.data(PAGE, {"name": "ranked", "after": after})["project"]["runQueue"]
        page = found["runQueueItems"]
        pages.append([(edge["node"]["id"], edge["node"]["priority"]) for edge in page["edges"]])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == [[(critical, 0), (high, 1)], [(medium, 2), (low, 3)]]

    (out_of_range,) = client.errors(PUSH, {"queueID": ranked, "runSpec": "{}", "priority": 4})
    assert "invalid priority 4: one of 0 (critical), 1 (high), 2 (medium), 3 (low)" in out_of_range
    plain = _create_queue(client, "plain")
    (unranked,) = client.errors(PUSH, {"queueID": plain, "runSpec": "{}", "priority": 1})
    assert "has prioritization mode DISABLED: a priority needs mode V0" in unranked
    (not_object,) = client.errors(PUSH, {"queueID": plain, "runSpec": "[1]"})
    assert "runSpec must be a JSON object" in not_object


def test_an_items_state_and_run_are_set_through_the_server(
    server: LocalServer, client: Client
) -> None:
    queue_id = _create_queue(client, "claimed")
    item_id = _push(client, queue_id)
    assert server.seeded is not None
    run = server.seeded.run_names[0]
    with server.store.write() as conn:
        set_item_state(conn, item_id, "CLAIMED", run)
    one = client.data(ITEM, {**WHERE, "runQueue": "claimed", "itemId": item_id})
    assert one["project"]["runQueue"]["runQueueItem"] == {
        "id": item_id,
        "state": "CLAIMED",
        "associatedRunId": run,
    }
    with server.store.write() as conn, pytest.raises(LaunchInputError, match="unknown run queue"):
        set_item_state(conn, item_id, "RUNNING")


def test_queues_of_other_entities_are_out_of_sight(server: LocalServer, client: Client) -> None:
    queue_id = _create_queue(client, "private")
    item_id = _push(client, queue_id)
    config_id = client.data(METADATA, {**WHERE, "runQueue": "private"})["project"]["runQueue"][
        "defaultResourceConfigID"
    ]
    other = server.create_user("outsider")
    assert client.data(QUEUES, {"entity": "demo"}, key=other)["project"] is None
    found = client.data(RESOURCE_CONFIG, {"entityName": "demo", "id": config_id}, key=other)
    assert found["entity"] is None or found["entity"]["defaultResourceConfig"] is None
    for document, variables in (
        (PUSH, {"queueID": queue_id, "runSpec": "{}"}),
        (DELETE_ITEM, {"queueID": queue_id, "runQueueItemId": item_id}),
        (DELETE_QUEUE, {"id": queue_id}),
    ):
        (message,) = client.errors(document, variables, key=other)
        assert f"run queue {queue_id} not found" in message
    (borrowed,) = client.errors(
        CREATE_QUEUE,
        {
            "entity": "outsider",
            "project": "model-registry",
            "queueName": "borrowed",
            "access": "PROJECT",
            "defaultResourceConfigID": config_id,
        },
        key=other,
    )
    assert f"default resource config {config_id} not found" in borrowed
    assert "private" in [
        q["name"] for q in client.data(QUEUES, {"entity": "demo"})["project"]["runQueues"]
    ]


def test_the_seeded_job_is_listed_as_the_official_client_lists_jobs(client: Client) -> None:
    found = client.data(
        LIST_JOBS,
        {"entityName": "demo", "projectName": "demo-project", "artifactTypeName": "job"},
    )
    (collection,) = found["project"]["artifactType"]["artifactCollections"]["edges"]
    (version,) = collection["node"]["artifacts"]["edges"]
    assert version["node"]["artifactSequence"] == {"name": "job-demo_train"}
    assert version["node"]["state"] == "COMMITTED"
    assert {alias["alias"] for alias in version["node"]["aliases"]} == {"latest", "v0"}


def _dump(path: Path, spec: SeedSpec) -> dict[str, list[tuple[object, ...]]]:
    store = Store(path)
    with store.write() as conn:
        ensure_user(conn, "demo")
    seed_project(store, spec)
    store.close()
    conn = sqlite3.connect(path)
    tables = ("runs", "history", "files", "artifacts", "artifact_sequences", "run_artifacts")
    dump = {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() for table in tables}
    conn.close()
    return dump


def test_the_seed_adds_its_job_after_everything_else_it_holds(tmp_path: Path) -> None:
    spec = SeedSpec(runs=3, steps=5, events=1, files=1, seed=4)
    without = _dump(tmp_path / "plain.db", spec)
    with_job = _dump(tmp_path / "jobs.db", dataclasses.replace(spec, jobs=True))
    for table, rows in without.items():
        added = set(with_job[table]) - set(rows)
        assert set(rows) <= set(with_job[table]), table
        assert len(added) == (0 if table in ("runs", "history", "files") else 1), table
    assert with_job["artifact_sequences"][-1][2:4] == ("job-demo_train", "job")
