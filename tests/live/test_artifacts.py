"""The Api's artifact members on a seeded LocalServer, checked against its database: each
seeded run logs `model-<run>` (odd runs twice, the second version tagged `candidate`),
the first run logs `training-data` (type `dataset`), and odd runs use it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from runsapi import Api, Artifact, ArtifactCollection, ArtifactType, NotFoundError
from runsapi.server import LocalServer
from tests.live.conftest import PROJECT


@pytest.fixture
def db(server: LocalServer) -> Iterator[sqlite3.Connection]:
    with server.store.write() as conn:
        yield conn


def stored_versions(db: sqlite3.Connection, collection: str) -> list[tuple[str, int, str]]:
    """(id number, version index, digest) of a collection's versions, oldest first."""
    return [
        (f"v{index}", size, digest)
        for index, size, digest in db.execute(
            "SELECT version_index, size, digest FROM artifacts JOIN artifact_sequences"
            " ON artifact_sequences.id = artifacts.sequence_id"
            " WHERE artifact_sequences.name = ? ORDER BY artifacts.id",
            (collection,),
        )
    ]


def model_of(server: LocalServer, index: int) -> str:
    assert server.seeded is not None
    return f"model-{server.seeded.run_names[index]}"


def test_artifact_by_version_alias_and_latest(
    api: Api, server: LocalServer, db: sqlite3.Connection
) -> None:
    model = model_of(server, 1)
    (first, second) = stored_versions(db, model)
    latest = api.artifact(f"{PROJECT}/{model}:latest")
    assert isinstance(latest, Artifact)
    assert (latest.version, latest.size, latest.digest) == second
    assert latest.name == f"{model}:v1" and latest.qualified_name == f"{PROJECT}/{model}:v1"
    assert latest.type == "model" and latest.aliases == ["latest"]
    assert latest.tags == ["candidate"] and latest.metadata["epoch"] == 1
    assert api.artifact(f"{PROJECT}/{model}") == latest
    assert api.artifact(f"demo-project/{model}:v1", type="model") == latest
    older = api.artifact(f"{PROJECT}/{model}:v0")
    assert (older.version, older.size, older.digest) == first
    assert older.aliases == []


def test_unknown_artifacts_and_wrong_types_are_not_found(api: Api, server: LocalServer) -> None:
    model = model_of(server, 1)
    for name in (f"{PROJECT}/{model}:v7", f"{PROJECT}/{model}:nope", f"{PROJECT}/absent"):
        with pytest.raises(NotFoundError, match="not found"):
            api.artifact(name)
        assert api.artifact_exists(name) is False
    with pytest.raises(NotFoundError, match="of type 'model', not 'dataset'"):
        api.artifact(f"{PROJECT}/{model}:v0", type="dataset")
    assert api.artifact_exists(f"{PROJECT}/{model}:v0", type="model")
    assert not api.artifact_exists(f"{PROJECT}/{model}:v0", type="dataset")
    assert not api.artifact_exists(f"demo/elsewhere/{model}")


def test_artifact_types(api: Api, db: sqlite3.Connection) -> None:
    stored = [name for (name,) in db.execute("SELECT DISTINCT type_name FROM artifact_sequences")]
    types = api.artifact_types(PROJECT)
    assert [kind.name for kind in types] == ["dataset", "model"] == sorted(stored)
    dataset = api.artifact_type("dataset", PROJECT)
    assert isinstance(dataset, ArtifactType) and dataset == types[0]
    assert (dataset.entity, dataset.project) == tuple(PROJECT.split("/"))
    with pytest.raises(NotFoundError, match="artifact type 'video' not found"):
        api.artifact_type("video", PROJECT)


def test_artifact_collections(api: Api, server: LocalServer, db: sqlite3.Connection) -> None:
    stored = [
        name
        for (name,) in db.execute(
            "SELECT name FROM artifact_sequences WHERE type_name = 'model' ORDER BY id"
        )
    ]
    collections = api.artifact_collections(PROJECT, "model", per_page=3)
    assert len(collections) == len(stored) == 8
    assert [collection.name for collection in collections] == stored
    assert collections.pages_loaded == 3
    model = model_of(server, 1)
    found = api.artifact_collection("model", f"{PROJECT}/{model}")
    assert isinstance(found, ArtifactCollection)
    assert (found.name, found.type, found.entity, found.project) == (
        model,
        "model",
        "demo",
        "demo-project",
    )
    assert found == collections[1]
    assert api.artifact_type("model", PROJECT).collection(model) == found
    assert [c.name for c in api.artifact_type("dataset", PROJECT).collections()] == [
        "training-data"
    ]
    assert api.artifact_collection_exists(f"{PROJECT}/{model}", "model")
    assert not api.artifact_collection_exists(f"{PROJECT}/{model}", "dataset")
    assert not api.artifact_collection_exists(f"{PROJECT}/absent", "model")
    with pytest.raises(NotFoundError, match="not found"):
        api.artifact_collection("dataset", f"{PROJECT}/{model}")


def test_versions_and_tags(api: Api, server: LocalServer, db: sqlite3.Connection) -> None:
    model = model_of(server, 3)
    stored = stored_versions(db, model)
    versions = api.artifacts("model", f"{PROJECT}/{model}", per_page=1)
    assert len(versions) == 2
    assert [(a.version, a.size, a.digest) for a in versions] == stored
    assert api.artifact_versions("model", f"{PROJECT}/{model}")[:] == list(versions)
    tagged = api.artifacts("model", f"{PROJECT}/{model}", tags=["candidate"])
    assert [a.version for a in tagged] == ["v1"]
    assert [a.version for a in api.artifacts("model", f"{PROJECT}/{model}", tags="other")] == []
    collection = api.artifact_collection("model", f"{PROJECT}/{model}")
    assert list(collection.artifacts()) == list(versions) == list(collection.versions())
    with pytest.raises(NotFoundError, match="not found"):
        list(api.artifacts("dataset", f"{PROJECT}/{model}"))
