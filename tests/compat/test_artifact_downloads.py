"""The official `wandb` client reads and downloads the seeded artifacts of a LocalServer:
its manifest and file URLs are signed storage URLs it fetches without a key."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import wandb

from runsapi._shared.manifest import base64_to_hex
from runsapi.server import LocalServer, SeedSpec
from runsapi.server._seed_artifacts import dataset_files
from tests.compat.conftest import downloaded, server_for_the_official_client

PROJECT = "demo/demo-project"
SEED = SeedSpec(runs=4, steps=20, events=2, files=1, seed=31)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with server_for_the_official_client(tmp_path_factory.mktemp("wandb-home"), SEED) as running:
        yield running


def model(server: LocalServer, index: int) -> str:
    assert server.seeded is not None
    return f"model-{server.seeded.run_names[index]}"


def stored_files(server: LocalServer, collection: str, version: int) -> dict[str, bytes]:
    """What the server holds for a version: its stored entries and their blobs' bytes."""
    conn = sqlite3.connect(server.store.path)
    rows = conn.execute(
        "SELECT artifact_files.path, artifact_files.digest FROM artifact_files"
        " JOIN artifacts ON artifacts.id = artifact_files.artifact_id"
        " JOIN artifact_sequences ON artifact_sequences.id = artifacts.sequence_id"
        " WHERE artifact_sequences.name = ? AND artifacts.version_index = ?",
        (collection, version),
    ).fetchall()
    conn.close()
    blobs = server.store.files_dir / "artifacts"
    return {path: (blobs / base64_to_hex(digest)).read_bytes() for path, digest in rows}


def test_download_writes_exactly_the_seeded_files(
    official: Any, server: LocalServer, tmp_path: Path
) -> None:
    dataset = official.artifact(f"{PROJECT}/training-data:v0")
    root = Path(dataset.download(str(tmp_path / "dataset")))
    expected = dataset_files(random.Random(f"{SEED.seed}:dataset"))
    assert downloaded(root) == expected == stored_files(server, "training-data", 0)
    assert dataset.size == sum(map(len, expected.values())) and dataset.file_count == 3

    versions = {}
    for version in (0, 1):
        artifact = official.artifact(f"{PROJECT}/{model(server, 1)}:v{version}")
        files = downloaded(Path(artifact.download(str(tmp_path / f"model-v{version}"))))
        assert files == stored_files(server, model(server, 1), version)
        assert sorted(files) == ["model.json", "weights.bin"]
        versions[version] = files
    # The two versions share the architecture file, and not the weights.
    assert versions[0]["model.json"] == versions[1]["model.json"]
    assert versions[0]["weights.bin"] != versions[1]["weights.bin"]


def test_a_second_download_is_served_from_the_cache(official: Any, tmp_path: Path) -> None:
    artifact = official.artifact(f"{PROJECT}/training-data:latest")
    first = downloaded(Path(artifact.download(str(tmp_path / "one"))))
    assert downloaded(Path(artifact.download(str(tmp_path / "two")))) == first


def test_versions_files_and_lineage(official: Any, server: LocalServer) -> None:
    assert server.seeded is not None
    collection = model(server, 3)
    listed = list(official.artifacts("model", f"{PROJECT}/{collection}"))
    assert [artifact.version for artifact in listed] == ["v0", "v1"]
    assert [sorted(artifact.aliases) for artifact in listed] == [[], ["latest"]]
    assert listed[1].tags == ["candidate"]

    files = listed[1].files()
    assert len(files) == 2
    assert sorted((file.name, file.size) for file in files) == sorted(
        (path, len(data)) for path, data in stored_files(server, collection, 1).items()
    )
    assert [file.name for file in listed[1].files(names=["model.json"])] == ["model.json"]

    dataset = official.artifact(f"{PROJECT}/training-data:v0")
    assert dataset.logged_by().id == server.seeded.run_names[0]
    assert sorted(run.id for run in dataset.used_by()) == sorted(
        server.seeded.run_names[index] for index in (1, 3)
    )
    assert listed[0].logged_by().id == server.seeded.run_names[3]


def test_relogging_saving_and_deleting_through_the_official_client(
    official: Any, server: LocalServer
) -> None:
    """Python's CreateArtifact (a committed version logged again: the server deduplicates
    it), AddAliases, DeleteAliases, UpdateArtifact and DeleteArtifact, as `save()` and
    `delete()` send them."""
    assert server.seeded is not None
    collection = model(server, 2)
    run = official.run(f"{PROJECT}/{server.seeded.run_names[0]}")
    artifact = official.artifact(f"{PROJECT}/{collection}:v0")
    run.log_artifact(artifact, aliases=["relogged"], tags=["again"])
    again = official.artifact(f"{PROJECT}/{collection}:relogged")
    assert again.id == artifact.id and again.tags == ["again"]
    assert artifact.id in [logged.id for logged in run.logged_artifacts()]

    again.description = "described"
    again.metadata = {"k": 1}
    again.aliases.append("prod")
    again.tags.append("t2")
    again.save()
    saved = official.artifact(f"{PROJECT}/{collection}:prod")
    assert (saved.description, saved.metadata) == ("described", {"k": 1})
    assert sorted(saved.aliases) == ["latest", "prod", "relogged"]
    assert sorted(saved.tags) == ["again", "t2"]
    saved.aliases.remove("relogged")
    saved.save()
    assert not official.artifact_exists(f"{PROJECT}/{collection}:relogged")

    with pytest.raises(wandb.errors.CommError, match="prod"):
        saved.delete()
    saved.delete(delete_aliases=True)
    assert not official.artifact_exists(f"{PROJECT}/{collection}:v0")
