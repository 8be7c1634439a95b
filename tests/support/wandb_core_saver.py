"""The official SDK's artifact saver (wandb-core), replayed over HTTP with the operation
texts of the wire reference: create, manifest, files (PUT where asked), manifest upload,
commit. Tests use it to log versions exactly as `wandb.init().log_artifact()` would."""

from __future__ import annotations

from typing import Any

from runsapi._shared.manifest import ManifestEntry, artifact_digest, dump_manifest, md5_base64
from tests.server.conftest import Client

ENTITY, PROJECT = "demo", "demo-project"
CREATED = "fragment CreatedArtifact on CreateArtifactPayload { artifact { id state artifactSequence { id latestArtifact { id versionIndex } } } }"
CREATE = (
    "mutation CreateArtifact($input: CreateArtifactInput!) { createArtifact(input: $input) { ... CreatedArtifact } }\n"
    + CREATED
)
CREATE_MANIFEST = "mutation CreateArtifactManifest($artifactID: ID!, $baseArtifactID: ID, $name: String!, $digest: String!, $entityName: String!, $projectName: String!, $runName: String!, $manifestType: ArtifactManifestType!, $includeUpload: Boolean!) { createArtifactManifest(input: { artifactID: $artifactID, baseArtifactID: $baseArtifactID, name: $name, digest: $digest, entityName: $entityName, projectName: $projectName, runName: $runName, type: $manifestType }) { artifactManifest { id file { id uploadUrl @include(if: $includeUpload) uploadHeaders @include(if: $includeUpload) } } } }"
CREATE_FILES = "mutation CreateArtifactFiles($input: CreateArtifactFilesInput!) { createArtifactFiles(input: $input) { files { edges { node { storagePath uploadUrl uploadHeaders uploadMultipartUrls { uploadID uploadUrlParts { partNumber uploadUrl } } artifact { id } } } } } }"
COMMIT = "mutation CommitArtifact($artifactID: ID!) { commitArtifact(input: { artifactID: $artifactID }) { artifact { id digest } } }"


def headers_of(upload_headers: list[str] | None) -> dict[str, str]:
    return dict(header.split(":", 1) for header in upload_headers or [])


def create(
    client: Client,
    name: str,
    digest: str,
    *,
    run: str | None = None,
    aliases: tuple[str, ...] = ("latest",),
    type_name: str = "dataset",
    key: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """wandb-core's CreateArtifact."""
    input_ = {
        "entityName": ENTITY,
        "projectName": PROJECT,
        "artifactTypeName": type_name,
        "artifactCollectionName": name,
        "artifactCollectionNames": None,
        "runName": run,
        "digest": digest,
        "digestAlgorithm": "MANIFEST_MD5",
        "aliases": [{"alias": alias, "artifactCollectionName": name} for alias in aliases],
        "metadata": '{"source": "test"}',
        "enableDigestDeduplication": True,
        "historyStep": 3,
        "clientID": "c1",
        "sequenceClientID": "s1",
        "clientMutationId": None,
        **extra,
    }
    return client.data(CREATE, {"input": input_}, key=key)["createArtifact"]["artifact"]  # type: ignore[no-any-return]


def manifest_vars(artifact_id: str, digest: str, include_upload: bool) -> dict[str, Any]:
    return {
        "artifactID": artifact_id,
        "baseArtifactID": None,
        "name": "wandb_manifest.json",
        "digest": digest,
        "entityName": ENTITY,
        "projectName": PROJECT,
        "runName": "r",
        "manifestType": "FULL",
        "includeUpload": include_upload,
    }


def file_specs(artifact_id: str, manifest_id: str, files: dict[str, bytes]) -> dict[str, Any]:
    return {
        "input": {
            "artifactFiles": [
                {
                    "artifactID": artifact_id,
                    "artifactManifestID": manifest_id,
                    "name": path,
                    "md5": md5_base64(data),
                    "digest": md5_base64(data),
                    "mimetype": None,
                    "uploadPartsInput": None,
                }
                for path, data in files.items()
            ],
            "storageLayout": "V2",
            "digestAlgorithm": "MANIFEST_MD5",
            "cloudRegionID": None,
            "clientMutationId": None,
        }
    }


def upload(
    client: Client,
    artifact_id: str,
    files: dict[str, bytes],
    *,
    skip: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """Steps 3-6 of wandb-core's saver: manifest row, files (PUT where asked), manifest
    upload; returns the createArtifactFiles nodes."""
    created = client.data(CREATE_MANIFEST, manifest_vars(artifact_id, "", False))
    manifest_id = created["createArtifactManifest"]["artifactManifest"]["id"]
    nodes = [
        edge["node"]
        for edge in client.data(CREATE_FILES, file_specs(artifact_id, manifest_id, files))[
            "createArtifactFiles"
        ]["files"]["edges"]
    ]
    entries = []
    for (path, data), node in zip(files.items(), nodes, strict=True):
        assert node["uploadMultipartUrls"] is None
        if node["uploadUrl"] is not None and path not in skip:
            put = client.http.put(
                node["uploadUrl"], content=data, headers=headers_of(node["uploadHeaders"])
            )
            assert put.status_code == 200, put.text
        entries.append(
            ManifestEntry(
                path, md5_base64(data), len(data), birth_artifact_id=node["artifact"]["id"]
            )
        )
    manifest = dump_manifest(entries)
    again = client.data(CREATE_MANIFEST, manifest_vars(artifact_id, md5_base64(manifest), True))
    file = again["createArtifactManifest"]["artifactManifest"]["file"]
    assert file["uploadHeaders"] == ["Content-Type:application/json"]
    put = client.http.put(
        file["uploadUrl"], content=manifest, headers=headers_of(file["uploadHeaders"])
    )
    assert put.status_code == 200, put.text
    return nodes


def log(
    client: Client, name: str, files: dict[str, bytes], **options: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The whole save: create, upload, commit; the created artifact and the file nodes."""
    digest = artifact_digest({path: md5_base64(data) for path, data in files.items()})
    artifact = create(client, name, digest, **options)
    assert artifact["state"] == "PENDING"
    nodes = upload(client, artifact["id"], files)
    committed = client.data(COMMIT, {"artifactID": artifact["id"]})["commitArtifact"]["artifact"]
    assert committed == {"id": artifact["id"], "digest": digest}
    return artifact, nodes
