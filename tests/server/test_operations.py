"""Every operation in queries/ is answered without errors, with the data it asks for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    parse,
    print_ast,
    visit,
)
from graphql.language import FragmentSpreadNode, Visitor

from runsapi._shared.manifest import (
    MANIFEST_FILE_NAME,
    artifact_digest,
    dump_manifest,
    md5_base64,
)
from runsapi.server import LocalServer
from tests.server.conftest import Client

QUERIES = Path(__file__).resolve().parents[2] / "queries"


def _documents() -> dict[str, str]:
    """Each operation with just the fragments it uses, by operation name."""
    definitions = [
        d for path in sorted(QUERIES.glob("*.graphql")) for d in parse(path.read_text()).definitions
    ]
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}

    def spreads(node: Any) -> set[str]:
        names: set[str] = set()

        class Collect(Visitor):
            def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: Any) -> None:
                names.add(spread.name.value)

        visit(node, Collect())
        return names

    documents = {}
    for definition in definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        needed: set[str] = set()
        pending = spreads(definition)
        while pending:
            name = pending.pop()
            if name not in needed:
                needed.add(name)
                pending |= spreads(fragments[name])
        document = DocumentNode(
            definitions=(definition, *(fragments[name] for name in sorted(needed)))
        )
        assert definition.name is not None
        documents[definition.name.value] = print_ast(document)
    return documents


def test_every_operation_is_answered(  # noqa: PLR0915 (a statement or two per operation)
    fresh: LocalServer, fresh_client: Client
) -> None:
    assert fresh.seeded is not None
    documents = _documents()
    first, second = fresh.seeded.run_names[:2]
    where = {"entity": "demo", "project": "demo-project"}
    spec = json.dumps({"keys": ["_step", "loss"], "samples": 10})
    answered: dict[str, Any] = {}

    def run(operation: str, **variables: Any) -> Any:
        response = fresh_client.http.post(
            fresh.graphql_url,
            json={
                "query": documents[operation],
                "variables": variables,
                "operationName": operation,
            },
            auth=("api", fresh.api_key),
        )
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, (operation, body)
        assert all(value is not None for value in body["data"].values()), (operation, body)
        answered[operation] = body["data"]
        return body["data"]

    run("GetViewer")
    assert run("GetDefaultEntity")["viewer"]["entity"] == "demo"
    run("GetProject", entity="demo", name="demo-project")
    assert run("GetProjects", entity="demo")["models"]["edges"]
    assert run("CreateProject", entity="demo", name="another", description="d")["upsertModel"][
        "inserted"
    ]
    listing = run(
        "GetRuns",
        **where,
        filters=json.dumps({"state": {"$ne": "x"}}),
        order="-created_at",
        perPage=3,
    )
    assert len(listing["project"]["runs"]["edges"]) == 3
    run("GetRunsFull", **where, perPage=2)
    run_id = run("GetRun", **where, name=first)["project"]["run"]["id"]
    assert json.loads(run("GetRunFull", **where, name=first)["project"]["run"]["config"])["lr"][
        "value"
    ]
    run("GetRunState", **where, name=first)
    assert run("RunSampledHistory", **where, name=first, specs=[spec])["project"]["run"][
        "sampledHistory"
    ][0]
    assert (
        len(
            run("RunHistoryPage", **where, name=first, minStep=0, maxStep=10, samples=10)[
                "project"
            ]["run"]["history"]
        )
        == 10
    )
    assert run("RunEvents", **where, name=first, samples=3)["project"]["run"]["events"]
    assert (
        run("RunHistoryKeys", **where, name=first)["project"]["run"]["historyKeys"]["lastStep"]
        == 49
    )
    exports = run("RunParquetHistory", **where, runName=first, liveKeys=["_step"])
    assert isinstance(exports["project"]["run"]["parquetHistory"]["parquetUrls"], list)
    many = run("RunsSampledHistory", **where, specs=[spec], perPage=2)
    assert all(edge["node"]["sampledHistory"][0] for edge in many["project"]["runs"]["edges"])
    outputs = run("RunOutputArtifacts", **where, run=first)["project"]["run"]["artifacts"]
    assert outputs["totalCount"] >= 1
    artifact_id = outputs["edges"][-1]["node"]["id"]
    run("UseArtifact", **where, run=second, artifactId=artifact_id, usedAs="model")
    inputs = run("RunInputArtifacts", **where, run=second)["project"]["run"]["artifacts"]
    assert artifact_id in {edge["node"]["id"] for edge in inputs["edges"]}
    files = run("RunFiles", **where, name=first, pattern="%.yaml")["project"]
    file_id = files["run"]["files"]["edges"][0]["node"]["id"]
    run("CreateRunFiles", **where, run=first, files=["extra.txt"])
    run("MarkRunFilesUploaded", **where, run=first, files=["extra.txt"])
    run("DeleteFiles", files=[file_id], projectId=int(files["internalId"]))
    created = run(
        "CreateRun",
        **where,
        name="brandnew",
        state="running",
        group="g",
        jobType="train",
        tags=["a"],
        notes="n",
        config=json.dumps({"lr": {"value": 0.1}}),
    )
    assert created["upsertBucket"]["inserted"] is True
    new_id = created["upsertBucket"]["bucket"]["id"]
    updated = run("UpdateRun", id=new_id, notes="changed", summaryMetrics=json.dumps({"loss": 0.5}))
    assert updated["upsertBucket"]["bucket"]["notes"] == "changed"
    merged = run(
        "MergeRunChanges",
        id=new_id,
        summaryMetrics=[{"path": ["acc"], "value": "1"}, {"path": ["loss"]}],
    )
    assert json.loads(merged["mergeRunChanges"]["bucket"]["summaryMetrics"]) == {"acc": 1}
    run("ServerFeaturesQuery")
    assert run("UpdateRunState", input={"id": new_id, "state": "failed"})["updateRunState"][
        "success"
    ]
    assert run("StopRun", id=run_id)["stopRun"]["success"]
    model = f"model-{second}"
    found = run("ArtifactByName", **where, name=f"{model}:latest")["project"]["artifact"]
    assert found["versionIndex"] == 1
    lineage = run("ArtifactLineage", **where, name="training-data:v0")["project"]["artifact"]
    assert lineage["createdBy"]["name"] == first
    assert run("ArtifactTypeByName", **where, type="model")["project"]["artifactType"]
    types = run("ProjectArtifactTypeList", **where)["project"]["artifactTypes"]["edges"]
    assert [edge["node"]["name"] for edge in types] == ["dataset", "model"]
    collection = run("ArtifactCollectionByName", **where, type="model", name=model)
    assert collection["project"]["artifactType"]["artifactCollection"]["name"] == model
    listed = run("TypeArtifactCollections", **where, type="dataset")["project"]["artifactType"]
    assert listed["artifactCollections"]["totalCount"] == 1
    versions = run("CollectionArtifacts", **where, type="model", collection=model)
    edges = versions["project"]["artifactType"]["artifactCollection"]["artifacts"]["edges"]
    assert [edge["version"] for edge in edges] == ["v0", "v1"]
    dataset_id = run("ArtifactByName", **where, name="training-data:v0")["project"]["artifact"][
        "id"
    ]
    manifest = run("ArtifactManifestUrl", id=dataset_id)["artifact"]["currentManifest"]
    assert manifest["file"]["directUrl"]
    listed_files = run("ArtifactFiles", **where, collection="training-data", alias="v0", perPage=1)[
        "project"
    ]["artifactCollection"]["artifactMembership"]["files"]
    assert listed_files["totalCount"] >= 1 and len(listed_files["edges"]) == 1
    _log_empty_artifact(run, fresh_client, where, run_name=first)
    aliases = [
        {
            "alias": "golden",
            "artifactCollectionName": "training-data",
            "entityName": "demo",
            "projectName": "demo-project",
        }
    ]
    assert run("AddArtifactAliases", input={"artifactID": dataset_id, "aliases": aliases})
    assert run("DeleteArtifactAliases", input={"artifactID": dataset_id, "aliases": aliases})
    edited = run("UpdateArtifact", input={"artifactID": dataset_id, "description": "edited"})
    assert edited["updateArtifact"]["artifact"]["description"] == "edited"
    run("DeleteRun", id=new_id, deleteArtifacts=True)
    _answer_sweeps(run, where)
    _answer_accounts(run, fresh)
    _answer_reports(run, where)
    _answer_launch(run)
    assert set(answered) == set(documents), set(documents) - set(answered)


def _answer_sweeps(run: Any, where: dict[str, str]) -> None:
    """GetSweeps (a page of one, then the rest) and GetSweep of what it listed."""
    first = run("GetSweeps", **where, filters="{}", perPage=1)["project"]
    assert first["totalSweeps"] == 2 and len(first["sweeps"]["edges"]) == 1
    cursor = first["sweeps"]["pageInfo"]["endCursor"]
    rest = run("GetSweeps", **where, cursor=cursor)["project"]["sweeps"]["edges"]
    name = rest[0]["node"]["name"]
    assert run("GetSweep", **where, name=name)["project"]["sweep"]["method"] == "random"


def _answer_accounts(run: Any, server: LocalServer) -> None:
    """A team created and read, a user invited to it and removed, a service account; users
    searched and created; an API key made for the new user and deleted (as the admin)."""
    server.create_user("invitee")
    team = run("CreateTeam", teamName="answered")["createTeam"]["entity"]
    assert team["isTeam"] and [member["username"] for member in team["members"]] == ["demo"]
    invite = run("CreateInvite", entity="answered", username="invitee", admin=False)
    assert invite["createInvite"]["invite"]["id"]
    invitee = run("GetTeam", name="answered")["entity"]["members"][-1]
    assert invitee["username"] == "invitee"
    service = run("CreateServiceAccount", entity="answered", description="bot")
    assert service["createServiceAccount"]["user"]["id"]
    assert run("DeleteInvite", id=invitee["id"], entity="answered")["deleteInvite"]["success"]
    found = run("SearchUsers", query="invitee")["users"]["edges"]
    assert [edge["node"]["teams"]["edges"] for edge in found] == [[{"node": {"name": "invitee"}}]]
    created = run("CreateUser", email="new@example.org", admin=False)["createUser"]["user"]
    key = run("GenerateApiKey", userId=created["id"], description="d")["generateApiKey"]["apiKey"]
    assert run("DeleteApiKey", id=key["id"])["deleteApiKey"]["success"]


def _answer_reports(run: Any, where: dict[str, str]) -> None:
    """ProjectReports (a page of two, then the rest) and ReportById of what it listed."""
    first = run("ProjectReports", **where, perPage=2)["project"]["allViews"]
    assert len(first["edges"]) == 2 and first["pageInfo"]["hasNextPage"]
    cursor = first["pageInfo"]["endCursor"]
    rest = run("ProjectReports", **where, perPage=2, cursor=cursor)["project"]["allViews"]
    report = rest["edges"][0]["node"]
    assert not rest["pageInfo"]["hasNextPage"] and report["displayName"] == "Weekly update #1"
    found = run("ReportById", id=report["id"])["view"]
    assert found["project"] == {"name": where["project"], "entityName": where["entity"]}


def _answer_launch(run: Any) -> None:
    """A run queue made (a resource config, then the queue), upserted, read with its
    config, given an item that is listed, read and removed, then deleted."""
    config = json.dumps({"resource_args": {"local-process": {}}})
    made = run(
        "CreateDefaultResourceConfig", entity="demo", resource="local-process", config=config
    )
    config_id = made["createDefaultResourceConfig"]["defaultResourceConfigID"]
    where = {"entity": "demo", "project": "model-registry", "name": "answered"}
    created = run("CreateRunQueue", **where, access="PROJECT", defaultResourceConfigId=config_id)
    queue_id = created["createRunQueue"]["queueID"]
    upserted = run("UpsertRunQueue", **where, resourceType="local-process", resourceConfig=config)
    assert upserted["upsertRunQueue"]["configSchemaValidationErrors"] == []
    assert run("GetRunQueue", **where)["project"]["runQueue"]["id"] == queue_id
    found = run("GetDefaultResourceConfig", entity="demo", id=config_id)["entity"]
    assert found["defaultResourceConfig"]["resource"] == "local-process"
    pushed = run("PushToRunQueue", queueId=queue_id, runSpec=json.dumps({"job": "e/p/j:v0"}))
    item_id = pushed["pushToRunQueue"]["runQueueItemId"]
    queue = {"entity": "demo", "project": "model-registry", "queue": "answered"}
    items = run("GetRunQueueItems", **queue)["project"]["runQueue"]["runQueueItems"]["edges"]
    assert [edge["node"]["id"] for edge in items] == [item_id]
    item = run("GetRunQueueItem", **queue, id=item_id)["project"]["runQueue"]["runQueueItem"]
    assert item["state"] == "PENDING"
    assert run("DeleteFromRunQueue", queueId=queue_id, itemId=item_id)["deleteFromRunQueue"]
    assert run("DeleteRunQueue", id=queue_id)["deleteRunQueues"]["success"]


def _log_empty_artifact(run: Any, client: Client, where: dict[str, str], *, run_name: str) -> None:
    """CreateArtifact, CreateArtifactManifest, CreateArtifactFiles (of nothing), the
    manifest's PUT, CommitArtifact and DeleteArtifact, for a version with no files."""
    content = dump_manifest([])
    created = run(
        "CreateArtifact",
        input={
            "entityName": where["entity"],
            "projectName": where["project"],
            "artifactTypeName": "notes",
            "artifactCollectionName": "empty-notes",
            "runName": run_name,
            "digest": artifact_digest({}),
            "digestAlgorithm": "MANIFEST_MD5",
        },
    )["createArtifact"]["artifact"]
    assert created["state"] == "PENDING"
    manifest = {
        "artifactID": created["id"],
        "name": MANIFEST_FILE_NAME,
        "entityName": where["entity"],
        "projectName": where["project"],
        "runName": run_name,
    }
    first = run("CreateArtifactManifest", input={**manifest, "digest": ""})
    manifest_id = first["createArtifactManifest"]["artifactManifest"]["id"]
    none = run(
        "CreateArtifactFiles",
        input={"artifactFiles": [], "storageLayout": "V2", "digestAlgorithm": "MANIFEST_MD5"},
    )
    assert none["createArtifactFiles"]["files"]["edges"] == [] and manifest_id
    target = run("CreateArtifactManifest", input={**manifest, "digest": md5_base64(content)})
    upload = target["createArtifactManifest"]["artifactManifest"]["file"]
    put = client.http.put(upload["uploadUrl"], content=content)
    assert put.status_code == 200, put.text
    committed = run("CommitArtifact", id=created["id"])["commitArtifact"]["artifact"]
    assert (committed["state"], committed["versionIndex"]) == ("COMMITTED", 0)
    assert run("DeleteArtifact", id=created["id"], deleteAliases=True)
