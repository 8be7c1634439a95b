"""Artifact content through real HTTP: the official client's wandb-core operations (texts
from the wire reference) create, fill and commit versions; bytes go to and come from
signed storage URLs without an API key."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from runsapi._shared.manifest import (
    ManifestEntry,
    artifact_digest,
    base64_to_hex,
    dump_manifest,
    md5_base64,
)
from runsapi.server import LocalServer, SeedSpec
from tests.server.conftest import Client
from tests.support.wandb_core_saver import (
    COMMIT,
    CREATE,
    CREATE_FILES,
    CREATE_MANIFEST,
    ENTITY,
    PROJECT,
    create,
    file_specs,
    headers_of,
    log,
    manifest_vars,
    upload,
)

CREATE_PY = "mutation CreateArtifact($artifactTypeName: String!, $artifactCollectionNames: [String!], $entityName: String!, $projectName: String!, $runName: String, $description: String, $digest: String!, $digestAlgorithm: ArtifactDigestAlgorithm!, $aliases: [ArtifactAliasInput!], $metadata: JSONString, $clientID: ID, $sequenceClientID: ID, $tags: [TagInput!],) { createArtifact(input: { artifactTypeName: $artifactTypeName, artifactCollectionNames: $artifactCollectionNames, entityName: $entityName, projectName: $projectName, runName: $runName, description: $description, digest: $digest, digestAlgorithm: $digestAlgorithm, aliases: $aliases, metadata: $metadata, clientID: $clientID, sequenceClientID: $sequenceClientID, enableDigestDeduplication: true, tags: $tags, }) { artifact { id state artifactSequence { id latestArtifact { id versionIndex } } } } }"
UPDATE_MANIFEST = "mutation UpdateArtifactManifest($artifactManifestID: ID!, $digest: String, $baseArtifactID: ID, $includeUpload: Boolean!) { updateArtifactManifest(input: { artifactManifestID: $artifactManifestID, digest: $digest, baseArtifactID: $baseArtifactID }) { artifactManifest { id file { id uploadUrl @include(if: $includeUpload) uploadHeaders @include(if: $includeUpload) } } } }"
ADD_ALIASES = "mutation AddAliases($input: AddAliasesInput!) { result: addAliases(input: $input) { success } }"
DELETE_ALIASES = "mutation DeleteAliases($input: DeleteAliasesInput!) { result: deleteAliases(input: $input) { success } }"
UPDATE = "mutation UpdateArtifact($input: UpdateArtifactInput!) { result: updateArtifact(input: $input) { artifact { id description metadata tags { name } aliases { alias } } } }"
DELETE = "mutation DeleteArtifact($input: DeleteArtifactInput!) { result: deleteArtifact(input: $input) { artifact { id } } }"
BY_ID = "query ArtifactByID($id: ID!) { artifact(id: $id) { id state versionIndex size fileCount digest digestAlgorithm aliases { alias } tags { name } artifactSequence { name digestAlgorithm latestArtifact { id } } currentManifest { id file { name displayName directUrl url sizeBytes md5 digest } } } }"
FILES = "query Files($entity: String!, $project: String!, $collection: String!, $alias: String!, $names: [String], $cursor: String, $perPage: Int) { project(name: $project, entityName: $entity) { artifactCollection(name: $collection) { artifactMembership(aliasName: $alias) { files(names: $names, after: $cursor, first: $perPage) { totalCount pageInfo { endCursor hasNextPage } edges { node { id name displayName url directUrl sizeBytes md5 digest storagePath mimetype updatedAt artifact { id } } } } } } } }"
VERSIONS = 'query Versions($entity: String!, $project: String!, $type: String!, $collection: String!) { project(entityName: $entity, name: $project) { artifactType(name: $type) { artifactCollection(name: $collection) { artifacts(filters: "{\\"state\\":\\"COMMITTED\\"}") { totalCount edges { version node { id versionIndex aliases { alias } } } } } } } }'

_names = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(seed=SeedSpec(runs=2, steps=5, events=1, files=1, seed=2), faults=True) as s:
        yield s


@pytest.fixture(scope="module")
def client(server: LocalServer) -> Iterator[Client]:
    with httpx.Client(timeout=30) as http:
        yield Client(server, http)


@pytest.fixture
def run_name(server: LocalServer) -> str:
    assert server.seeded is not None
    return server.seeded.run_names[0]


def by_id(client: Client, artifact_id: str, key: str | None = None) -> Any:
    return client.data(BY_ID, {"id": artifact_id}, key=key)["artifact"]


def files_of(client: Client, name: str, alias: str, **variables: Any) -> Any:
    found = client.data(
        FILES,
        {"entity": ENTITY, "project": PROJECT, "collection": name, "alias": alias, **variables},
    )
    return found["project"]["artifactCollection"]["artifactMembership"]["files"]


def versions(client: Client, name: str, type_name: str = "dataset") -> list[tuple[str, list[str]]]:
    found = client.data(
        VERSIONS, {"entity": ENTITY, "project": PROJECT, "type": type_name, "collection": name}
    )
    edges = found["project"]["artifactType"]["artifactCollection"]["artifacts"]["edges"]
    return [(edge["version"], [a["alias"] for a in edge["node"]["aliases"]]) for edge in edges]


def alias_inputs(name: str, *aliases: str) -> list[dict[str, str]]:
    return [
        {
            "alias": alias,
            "artifactCollectionName": name,
            "entityName": ENTITY,
            "projectName": PROJECT,
        }
        for alias in aliases
    ]


def test_a_version_is_created_filled_committed_and_read_back(client: Client, run_name: str) -> None:
    name = unique("flow")
    files = {"data/a.csv": b"x,y\n1,2\n", "b.txt": b"hello world\n", "c/d.bin": bytes(range(256))}
    artifact, nodes = log(client, name, files, run=run_name, aliases=("latest", "best"))
    assert [node["storagePath"] for node in nodes] == [
        f"artifacts/{base64_to_hex(md5_base64(data))}" for data in files.values()
    ]
    assert all(node["artifact"]["id"] == artifact["id"] for node in nodes)
    assert headers_of(nodes[0]["uploadHeaders"]) == {"Content-MD5": md5_base64(files["data/a.csv"])}

    found = by_id(client, artifact["id"])
    assert found["state"] == "COMMITTED" and found["versionIndex"] == 0
    assert (found["size"], found["fileCount"]) == (sum(map(len, files.values())), 3)
    assert [a["alias"] for a in found["aliases"]] == ["latest", "v0", "best"]
    assert (
        found["digestAlgorithm"] == found["artifactSequence"]["digestAlgorithm"] == "MANIFEST_MD5"
    )
    manifest_file = found["currentManifest"]["file"]
    assert manifest_file["name"] == manifest_file["displayName"] == "wandb_manifest.json"
    with httpx.Client() as anonymous:  # signed URLs need no key
        manifest = anonymous.get(manifest_file["directUrl"])
        assert manifest.status_code == 200
        assert md5_base64(manifest.content) == manifest_file["md5"] == manifest_file["digest"]
        assert manifest_file["sizeBytes"] == len(manifest.content)

        listed = files_of(client, name, "v0")
        assert listed["totalCount"] == 3
        nodes_by_name = {edge["node"]["name"]: edge["node"] for edge in listed["edges"]}
        assert list(nodes_by_name) == sorted(files)
        for path, node in nodes_by_name.items():
            assert node["displayName"] == path and node["url"] == node["directUrl"]
            assert node["md5"] == node["digest"] == md5_base64(files[path])
            assert node["sizeBytes"] == len(files[path])
            assert node["artifact"]["id"] == artifact["id"]
            got = anonymous.get(node["directUrl"])
            assert got.status_code == 200 and got.content == files[path]
            assert got.headers["content-type"] == "application/octet-stream"
    assert nodes_by_name["data/a.csv"]["mimetype"] == "text/csv"
    assert versions(client, name) == [("v0", ["latest", "v0", "best"])]


def test_versions_are_numbered_and_latest_moves(client: Client, run_name: str) -> None:
    name = unique("numbered")
    first, _ = log(client, name, {"a": b"one"})
    pending = create(client, name, artifact_digest({"a": md5_base64(b"two")}), run=run_name)
    assert pending["artifactSequence"]["latestArtifact"] == {"id": first["id"], "versionIndex": 0}
    assert versions(client, name) == [("v0", ["latest", "v0"])]  # PENDING is no version yet
    assert by_id(client, pending["id"])["versionIndex"] is None
    upload(client, pending["id"], {"a": b"two"})
    client.data(COMMIT, {"artifactID": pending["id"]})
    client.data(COMMIT, {"artifactID": pending["id"]})  # idempotent
    assert versions(client, name) == [("v0", ["v0"]), ("v1", ["latest", "v1"])]


def test_a_paginated_and_filtered_file_listing(client: Client) -> None:
    name = unique("pages")
    files = {f"f{index:02d}.txt": f"content {index}".encode() for index in range(7)}
    log(client, name, files)
    seen, cursor = [], None
    while True:
        page = files_of(client, name, "latest", perPage=3, cursor=cursor)
        assert page["totalCount"] == 7
        seen += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["pageInfo"]["endCursor"]
    assert seen == sorted(files)
    picked = files_of(client, name, "v0", names=["f03.txt", "nope"])
    assert picked["totalCount"] == 1 and [e["node"]["name"] for e in picked["edges"]] == ["f03.txt"]


def test_the_same_content_again_is_the_committed_version(
    client: Client, server: LocalServer
) -> None:
    assert server.seeded is not None
    other_run = server.seeded.run_names[1]
    name = unique("dedup")
    files = {"a.txt": b"same"}
    first, _ = log(client, name, files)
    second, _ = log(client, name, {"a.txt": b"different"})
    digest = artifact_digest({"a.txt": md5_base64(b"same")})
    again = create(
        client, name, digest, run=other_run, aliases=("latest", "again"), tags=[{"tagName": "dup"}]
    )
    assert again["id"] == first["id"] and again["state"] == "COMMITTED"
    assert versions(client, name) == [("v0", ["v0", "latest", "again"]), ("v1", ["v1"])]
    assert [tag["name"] for tag in by_id(client, first["id"])["tags"]] == ["dup"]
    outputs = client.data(
        'query($n: String!) { project(name: "demo-project", entityName: "demo") { run(name: $n) { outputArtifacts { edges { node { id } } } } } }',
        {"n": other_run},
    )["project"]["run"]["outputArtifacts"]["edges"]
    assert first["id"] in [edge["node"]["id"] for edge in outputs]
    # Without deduplication a new version is started.
    fresh = create(client, name, digest, enableDigestDeduplication=False)
    assert fresh["state"] == "PENDING" and fresh["id"] not in (first["id"], second["id"])


def test_the_python_form_of_create_artifact(client: Client) -> None:
    name = unique("python")
    digest = artifact_digest({"x": md5_base64(b"x")})
    variables = {
        "artifactTypeName": "model",
        "artifactCollectionNames": [name],
        "entityName": ENTITY,
        "projectName": PROJECT,
        "digest": digest,
        "digestAlgorithm": "MANIFEST_MD5",
        "aliases": [{"alias": "latest", "artifactCollectionName": name}],
        "tags": [{"tagName": "from python"}],
    }
    created = client.data(CREATE_PY, variables)["createArtifact"]["artifact"]
    assert created["state"] == "PENDING"
    assert created["artifactSequence"]["latestArtifact"] is None


def test_content_the_server_has_is_not_uploaded_again(client: Client) -> None:
    name = unique("shared")
    first, first_nodes = log(client, name, {"model.json": b'{"layers": 3}', "w.bin": b"\x00" * 50})
    assert all(node["uploadUrl"] for node in first_nodes)
    digest = artifact_digest(
        {"model.json": md5_base64(b'{"layers": 3}'), "w.bin": md5_base64(b"\x01" * 50)}
    )
    second = create(client, name, digest)
    nodes = upload(client, second["id"], {"model.json": b'{"layers": 3}', "w.bin": b"\x01" * 50})
    assert nodes[0]["uploadUrl"] is None and nodes[0]["artifact"]["id"] == first["id"]
    assert nodes[1]["uploadUrl"] is not None and nodes[1]["artifact"]["id"] == second["id"]
    client.data(COMMIT, {"artifactID": second["id"]})
    listed = {e["node"]["name"]: e["node"] for e in files_of(client, name, "v1")["edges"]}
    assert listed["model.json"]["artifact"]["id"] == first["id"]


def test_an_upload_must_be_the_content_its_url_names(client: Client) -> None:
    name = unique("corrupt")
    artifact = create(client, name, artifact_digest({"a": md5_base64(b"good")}))
    manifest = client.data(CREATE_MANIFEST, manifest_vars(artifact["id"], "", False))
    manifest_id = manifest["createArtifactManifest"]["artifactManifest"]["id"]
    node = client.data(CREATE_FILES, file_specs(artifact["id"], manifest_id, {"a": b"good"}))[
        "createArtifactFiles"
    ]["files"]["edges"][0]["node"]
    bad = client.http.put(node["uploadUrl"], content=b"bad!")
    assert bad.status_code == 400 and "does not match" in bad.text
    assert client.http.put(node["uploadUrl"], content=b"good").status_code == 200


def test_a_commit_needs_the_manifest_every_file_and_the_digest(client: Client) -> None:
    name = unique("incomplete")
    files = {f"f{index}": bytes([index]) * 10 for index in range(8)}
    digest = artifact_digest({path: md5_base64(data) for path, data in files.items()})
    artifact = create(client, name, digest)
    (error,) = client.errors(COMMIT, {"artifactID": artifact["id"]})
    assert "manifest was not uploaded" in error
    upload(client, artifact["id"], files, skip=frozenset(list(files)[1:]))
    (error,) = client.errors(COMMIT, {"artifactID": artifact["id"]})
    assert "'f1', 'f2', 'f3', 'f4', 'f5' and 2 more" in error
    assert by_id(client, artifact["id"])["state"] == "PENDING"

    wrong = create(client, unique("wrong-digest"), "0" * 32)
    upload(client, wrong["id"], {"a": b"a"})
    (error,) = client.errors(COMMIT, {"artifactID": wrong["id"]})
    assert f"give digest {artifact_digest({'a': md5_base64(b'a')})}" in error and "0" * 32 in error


def test_manifest_uploads_are_checked(client: Client) -> None:
    name = unique("manifests")
    content = b"only in this test"
    artifact = create(client, name, artifact_digest({"a": md5_base64(content)}))
    created = client.data(CREATE_MANIFEST, manifest_vars(artifact["id"], "", True))
    manifest = created["createArtifactManifest"]["artifactManifest"]
    put = client.http.put(manifest["file"]["uploadUrl"], content=b'{"version": 2}')
    assert put.status_code == 400 and "version 2 is not supported" in put.text
    good = dump_manifest([ManifestEntry("a", md5_base64(content), len(content))])
    updated = client.data(
        UPDATE_MANIFEST,
        {
            "artifactManifestID": manifest["id"],
            "digest": md5_base64(b"other"),
            "includeUpload": True,
        },
    )["updateArtifactManifest"]["artifactManifest"]
    assert updated["id"] == manifest["id"]
    put = client.http.put(updated["file"]["uploadUrl"], content=good)
    assert put.status_code == 400 and "does not match" in put.text
    client.data(
        UPDATE_MANIFEST,
        {"artifactManifestID": manifest["id"], "digest": md5_base64(good), "includeUpload": False},
    )
    assert client.http.put(updated["file"]["uploadUrl"], content=good).status_code == 200
    client.http.put(
        client.data(CREATE_FILES, file_specs(artifact["id"], manifest["id"], {"a": content}))[
            "createArtifactFiles"
        ]["files"]["edges"][0]["node"]["uploadUrl"],
        content=content,
    )
    (error,) = client.errors(CREATE_FILES, file_specs(artifact["id"], manifest["id"], {"zz": b"z"}))
    assert "not in the artifact's uploaded manifest" in error
    client.data(COMMIT, {"artifactID": artifact["id"]})
    late = client.http.put(updated["file"]["uploadUrl"], content=good)
    assert late.status_code == 409
    (error,) = client.errors(CREATE_MANIFEST, manifest_vars(artifact["id"], "", False))
    assert "COMMITTED" in error


def test_storage_urls_need_a_valid_unexpired_signature(client: Client, server: LocalServer) -> None:
    name = unique("signed")
    log(client, name, {"a": b"secret bytes"})
    url = files_of(client, name, "v0")["edges"][0]["node"]["directUrl"]
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    other_hex = base64_to_hex(md5_base64(b"other"))
    with httpx.Client() as anonymous:
        assert anonymous.get(url).content == b"secret bytes"
        assert anonymous.get(base).status_code == 403
        assert anonymous.get(base, params={**params, "signature": "0" * 64}).status_code == 403
        assert (
            anonymous.get(
                base, params={**params, "expires": str(int(params["expires"]) + 1)}
            ).status_code
            == 403
        )
        moved = base.rsplit("/", 1)[0] + "/" + other_hex
        assert anonymous.get(moved, params=params).status_code == 403
        assert anonymous.put(url, content=b"secret bytes").status_code == 403  # signed for GET
        expired = server.state.signer().url(
            server.base_url, "GET", parts.path, at=time.time() - 7200
        )
        assert anonymous.get(expired).status_code == 403
        absent = server.state.signer().url(
            server.base_url, "GET", f"/_storage/artifacts/{other_hex}"
        )
        assert anonymous.get(absent).status_code == 404


def test_concurrent_uploads_of_the_same_content_store_one_blob(
    client: Client, server: LocalServer
) -> None:
    data = b"concurrent content " * 1000
    artifact = create(client, unique("race"), artifact_digest({"a": md5_base64(data)}))
    manifest = client.data(CREATE_MANIFEST, manifest_vars(artifact["id"], "", False))
    manifest_id = manifest["createArtifactManifest"]["artifactManifest"]["id"]
    url = client.data(CREATE_FILES, file_specs(artifact["id"], manifest_id, {"a": data}))[
        "createArtifactFiles"
    ]["files"]["edges"][0]["node"]["uploadUrl"]
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def put() -> None:
        with httpx.Client(timeout=30) as http:
            barrier.wait()
            statuses.append(http.put(url, content=data).status_code)

    threads = [threading.Thread(target=put) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 8
    conn = server.store.connection()
    assert conn.execute(
        "SELECT count(*) FROM artifact_blobs WHERE md5 = ?", (md5_base64(data),)
    ).fetchone() == (1,)
    blobs = server.store.files_dir / "artifacts"
    assert (blobs / base64_to_hex(md5_base64(data))).read_bytes() == data
    assert not [
        path for path in blobs.iterdir() if path.name.startswith(".")
    ]  # no temporary files left


def test_downloads_take_injected_faults(client: Client, server: LocalServer) -> None:
    name = unique("faulty")
    log(client, name, {"a": b"bytes"})
    url = files_of(client, name, "v0")["edges"][0]["node"]["directUrl"]
    server.inject_fault("status", status=503)
    try:
        with httpx.Client() as anonymous:
            assert anonymous.get(url).status_code == 503
            assert anonymous.get(url).content == b"bytes"
    finally:
        server.clear_faults()


def test_aliases_move_and_some_are_managed(client: Client) -> None:
    name = unique("aliases")
    first, _ = log(client, name, {"a": b"1"})
    second, _ = log(client, name, {"a": b"2"})
    add = {"input": {"artifactID": first["id"], "aliases": alias_inputs(name, "best")}}
    assert client.data(ADD_ALIASES, add)["result"]["success"] is True
    assert versions(client, name) == [("v0", ["v0", "best"]), ("v1", ["latest", "v1"])]
    client.data(
        ADD_ALIASES, {"input": {"artifactID": second["id"], "aliases": alias_inputs(name, "best")}}
    )
    assert versions(client, name) == [("v0", ["v0"]), ("v1", ["latest", "v1", "best"])]
    for reserved in ("v7", "a/b"):
        (error,) = client.errors(
            ADD_ALIASES,
            {"input": {"artifactID": first["id"], "aliases": alias_inputs(name, reserved)}},
        )
        assert reserved in error
    for managed in ("latest", "v1"):
        (error,) = client.errors(
            DELETE_ALIASES,
            {"input": {"artifactID": second["id"], "aliases": alias_inputs(name, managed)}},
        )
        assert "cannot be deleted" in error
    elsewhere = [{**alias_inputs(name, "x")[0], "artifactCollectionName": "other"}]
    (error,) = client.errors(
        ADD_ALIASES, {"input": {"artifactID": first["id"], "aliases": elsewhere}}
    )
    assert "demo/demo-project/other" in error
    client.data(
        DELETE_ALIASES,
        {"input": {"artifactID": second["id"], "aliases": alias_inputs(name, "best")}},
    )
    assert versions(client, name) == [("v0", ["v0"]), ("v1", ["latest", "v1"])]


def test_update_artifact(client: Client) -> None:
    name = unique("update")
    artifact, _ = log(
        client, name, {"a": b"1"}, tags=[{"tagName": "old"}], aliases=("latest", "keep", "drop")
    )
    changed = client.data(
        UPDATE,
        {
            "input": {
                "artifactID": artifact["id"],
                "description": "now described",
                "metadata": '{"epoch": 2}',
                "tagsToAdd": [{"tagName": "new tag"}, {"tagName": "v1-2"}],
                "tagsToDelete": [{"tagName": "old"}],
                "aliases": [
                    {"alias": "keep", "artifactCollectionName": name},
                    {"alias": "added", "artifactCollectionName": name},
                ],
            }
        },
    )["result"]["artifact"]
    assert changed["description"] == "now described" and changed["metadata"] == '{"epoch":2}'
    assert [tag["name"] for tag in changed["tags"]] == ["new tag", "v1-2"]
    assert [a["alias"] for a in changed["aliases"]] == ["latest", "v0", "keep", "added"]
    (error,) = client.errors(UPDATE, {"input": {"artifactID": artifact["id"], "metadata": "[1]"}})
    assert "JSON object" in error
    (error,) = client.errors(
        UPDATE, {"input": {"artifactID": artifact["id"], "tagsToAdd": [{"tagName": "no/slash"}]}}
    )
    assert "letters, digits" in error


def test_deleting_the_latest_version_moves_latest(client: Client) -> None:
    name = unique("delete")
    first, _ = log(client, name, {"a": b"1"})
    second, _ = log(client, name, {"a": b"2"}, aliases=("latest", "prod"))
    (error,) = client.errors(DELETE, {"input": {"artifactID": second["id"]}})
    assert "prod" in error
    deleted = client.data(DELETE, {"input": {"artifactID": second["id"], "deleteAliases": True}})
    assert deleted["result"]["artifact"]["id"] == second["id"]
    assert by_id(client, second["id"]) is None
    assert versions(client, name) == [("v0", ["v0", "latest"])]
    assert [a["alias"] for a in by_id(client, first["id"])["aliases"]] == ["v0", "latest"]
    third, _ = log(client, name, {"a": b"3"})
    assert versions(client, name) == [("v0", ["v0"]), ("v2", ["latest", "v2"])]  # v1 is not reused
    assert by_id(client, third["id"])["versionIndex"] == 2


def test_names_types_and_multipart_uploads_are_checked(client: Client) -> None:
    (error,) = client.errors(
        CREATE,
        {
            "input": {
                "entityName": ENTITY,
                "projectName": PROJECT,
                "artifactTypeName": "dataset",
                "artifactCollectionName": "bad name!",
                "digest": "0" * 32,
            }
        },
    )
    assert "letters, digits, '-', '_' and '.'" in error
    name = unique("typed")
    create(client, name, "0" * 32, type_name="model")
    (error,) = client.errors(
        CREATE,
        {
            "input": {
                "entityName": ENTITY,
                "projectName": PROJECT,
                "artifactTypeName": "dataset",
                "artifactCollectionName": name,
                "digest": "1" * 32,
            }
        },
    )
    assert "'model'" in error and "'dataset'" in error
    artifact = create(client, unique("multipart"), "2" * 32)
    specs = file_specs(artifact["id"], "x", {"big": b"b"})
    specs["input"]["artifactFiles"][0]["uploadPartsInput"] = [{"partNumber": 1, "hexMD5": "0" * 32}]
    (error,) = client.errors(CREATE_FILES, specs)
    assert "multipart uploads are not supported" in error and "1,073,741,824" in error


def test_a_new_project_is_made_for_an_artifact(client: Client) -> None:
    created = client.data(
        CREATE,
        {
            "input": {
                "entityName": ENTITY,
                "projectName": "made-for-artifacts",
                "artifactTypeName": "dataset",
                "artifactCollectionName": "d",
                "digest": "0" * 32,
            }
        },
    )
    assert created["createArtifact"]["artifact"]["state"] == "PENDING"


def test_other_users_can_neither_write_nor_read(client: Client, server: LocalServer) -> None:
    name = unique("private")
    artifact, nodes = log(client, name, {"a": b"private bytes"})
    stranger = server.create_user(unique("stranger"))
    (error,) = client.errors(
        CREATE,
        {
            "input": {
                "entityName": ENTITY,
                "projectName": PROJECT,
                "artifactTypeName": "dataset",
                "artifactCollectionName": unique("x"),
                "digest": "0" * 32,
            }
        },
        key=stranger,
    )
    assert "not found" in error
    assert by_id(client, artifact["id"], key=stranger) is None
    hidden = client.data(
        FILES,
        {"entity": ENTITY, "project": PROJECT, "collection": name, "alias": "v0"},
        key=stranger,
    )
    assert hidden["project"] is None
    for query, variables in (
        (COMMIT, {"artifactID": artifact["id"]}),
        (
            ADD_ALIASES,
            {"input": {"artifactID": artifact["id"], "aliases": alias_inputs(name, "mine")}},
        ),
        (DELETE, {"input": {"artifactID": artifact["id"]}}),
        (CREATE_MANIFEST, manifest_vars(artifact["id"], "", False)),
    ):
        (error,) = client.errors(query, variables, key=stranger)
        assert "not found" in error
    # Content that a stranger uploads to its own entity is not given away: it uploads it.
    stranger_entity = client.data("query { viewer { entity } }", key=stranger)["viewer"]["entity"]
    own = client.data(
        CREATE,
        {
            "input": {
                "entityName": stranger_entity,
                "projectName": "p",
                "artifactTypeName": "dataset",
                "artifactCollectionName": "mine",
                "digest": artifact_digest({"a": md5_base64(b"private bytes")}),
            }
        },
        key=stranger,
    )
    own_id = own["createArtifact"]["artifact"]["id"]
    manifest = client.data(CREATE_MANIFEST, manifest_vars(own_id, "", False), key=stranger)
    manifest_id = manifest["createArtifactManifest"]["artifactManifest"]["id"]
    node = client.data(
        CREATE_FILES, file_specs(own_id, manifest_id, {"a": b"private bytes"}), key=stranger
    )["createArtifactFiles"]["files"]["edges"][0]["node"]
    assert node["uploadUrl"] is not None and node["artifact"]["id"] == own_id
    assert nodes[0]["artifact"]["id"] == artifact["id"]
