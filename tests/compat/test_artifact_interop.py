"""Artifacts cross between the clients: the official client downloads what runsapi logged,
and runsapi downloads what the official SDK's saver (wandb-core's operations, replayed)
logged; both see the same versions and files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import wandb

from runsapi import ArtifactDraft
from runsapi._sync.api import Api
from runsapi.server import LocalServer, SeedSpec
from tests.compat.conftest import downloaded, server_for_the_official_client
from tests.server.conftest import Client
from tests.support.wandb_core_saver import PROJECT as PROJECT_NAME
from tests.support.wandb_core_saver import log

PROJECT = f"demo/{PROJECT_NAME}"

FILES = {
    "data/train.csv": b"a,b\n1,2\n" * 40,
    "data/test.csv": b"a,b\n3,4\n",
    "README.md": b"# d\n",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    home = tmp_path_factory.mktemp("wandb-home")
    with server_for_the_official_client(home, SeedSpec(runs=2, steps=5, seed=41)) as running:
        yield running


@pytest.fixture
def mine(server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("WANDB_CACHE_DIR", str(tmp_path / "runsapi-cache"))
    with Api({"base_url": server.base_url, "entity": "demo"}, api_key=server.api_key) as api:
        yield api


def test_the_official_client_downloads_what_runsapi_logged(
    mine: Api, official: Any, tmp_path: Path
) -> None:
    source = tmp_path / "src"
    for name, data in FILES.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(data)
    run = mine.create_run(run_id="interop-producer", project="demo-project")
    draft = ArtifactDraft("interop-data", type="dataset", metadata={"rows": 41})
    draft.add_dir(source)
    first = run.log_artifact(draft, aliases=["best"])
    draft.add_file(source / "README.md", name="notes.md")
    second = run.log_artifact(draft)

    theirs = official.artifact(f"{PROJECT}/interop-data:best")
    assert (theirs.id, theirs.version, theirs.digest) == (first.id, "v0", first.digest)
    assert theirs.metadata == {"rows": 41} and sorted(theirs.aliases) == ["best"]
    assert downloaded(Path(theirs.download(str(tmp_path / "theirs")))) == FILES
    listed = official.artifacts("dataset", f"{PROJECT}/interop-data")
    assert [(a.id, a.version) for a in listed] == [(first.id, "v0"), (second.id, "v1")]
    assert [(a.id, a.version) for a in mine.artifacts("dataset", f"{PROJECT}/interop-data")] == [
        (first.id, "v0"),
        (second.id, "v1"),
    ]
    assert theirs.logged_by().id == "interop-producer"
    latest = official.artifact(f"{PROJECT}/interop-data:latest")
    assert sorted(file.name for file in latest.files()) == sorted([*FILES, "notes.md"])


def test_runsapi_downloads_what_the_official_saver_logged(
    server: LocalServer, mine: Api, official: Any, tmp_path: Path
) -> None:
    with httpx.Client(timeout=30) as http:
        created, _ = log(Client(server, http), "core-logged", FILES, aliases=("latest", "prod"))
    ours = mine.artifact(f"{PROJECT}/core-logged:prod")
    assert ours.id == created["id"] and ours.version == "v0"
    root = Path(ours.download(tmp_path / "ours"))
    theirs = Path(official.artifact(f"{PROJECT}/core-logged:prod").download(str(tmp_path / "t")))
    assert downloaded(root) == downloaded(theirs) == FILES
    assert [f.name for f in ours.files()] == sorted(FILES)
    with pytest.raises(wandb.errors.CommError):
        official.artifact(f"{PROJECT}/core-logged:v1")
