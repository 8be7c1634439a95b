"""Artifacts between the official SDK's run process and runsapi, both ways, on a
LocalServer: `wandb.init()` -> `run.log_artifact()` -> `finish()` (wandb-core's saver)
logs a version that runsapi finds, lists and downloads byte for byte; a version runsapi
logged is what the SDK's `run.use_artifact(...).download()` gets, and the lineage shows
both runs from either client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import wandb

from runsapi import ArtifactDraft
from runsapi._sync.api import Api
from runsapi.server import LocalServer
from tests.compat.conftest import WANDB_CORE_SOCKET, downloaded, server_for_the_sdk

PROJECT = "sdk-artifacts"
FILES = {"weights.bin": bytes(range(256)) * 40, "config/model.json": b'{"layers": [64, 64]}'}
pytestmark = WANDB_CORE_SOCKET


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with server_for_the_sdk(tmp_path_factory) as running:
        yield running


def _sdk_run(server: LocalServer, run_id: str) -> wandb.Run:
    settings = wandb.Settings(
        base_url=server.base_url, api_key=server.api_key, x_disable_stats=True, console="off"
    )
    return wandb.init(entity="demo", project=PROJECT, id=run_id, settings=settings)


def _write(root: Path) -> Path:
    for name, data in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def test_runsapi_reads_what_the_sdk_logged(server: LocalServer, ours: Api, tmp_path: Path) -> None:
    source = _write(tmp_path / "src")
    run = _sdk_run(server, "sdklogger")
    artifact = wandb.Artifact("sdk-model", type="model", metadata={"epochs": 3})
    artifact.add_dir(str(source))
    run.log_artifact(artifact, aliases=["best"])
    run.finish()

    found = ours.artifact(f"demo/{PROJECT}/sdk-model:best")
    assert (found.version, found.state, found.type) == ("v0", "COMMITTED", "model")
    assert sorted(found.aliases) == ["best", "latest"] and found.metadata == {"epochs": 3}
    assert sorted(file.name for file in found.files()) == sorted(FILES)
    assert downloaded(Path(found.download(tmp_path / "ours"))) == FILES
    creator = found.logged_by()
    assert creator is not None and creator.id == "sdklogger"
    assert [a.id for a in ours.run(f"demo/{PROJECT}/sdklogger").logged_artifacts()] == [found.id]


def test_the_sdk_uses_what_runsapi_logged(server: LocalServer, ours: Api, tmp_path: Path) -> None:
    producer = ours.create_run(run_id="ourproducer", project=PROJECT)
    draft = ArtifactDraft("our-data", type="dataset")
    draft.add_dir(_write(tmp_path / "src"))
    logged = producer.log_artifact(draft, aliases=["stable"])

    run = _sdk_run(server, "sdkconsumer")
    used = run.use_artifact(f"demo/{PROJECT}/our-data:stable")
    root = used.download(str(tmp_path / "theirs"))
    run.finish()

    assert used.id == logged.id and downloaded(Path(root)) == FILES
    assert [consumer.id for consumer in logged.used_by()] == ["sdkconsumer"]
