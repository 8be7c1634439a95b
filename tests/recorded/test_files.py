"""Files and artifacts against recorded responses of a seeded LocalServer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runsapi._sync.api import Api
from tests.recorded.conftest import PROJECT
from tests.support.counting import CountingTransport

pytestmark = pytest.mark.vcr


def test_list_and_download(api: Api, tmp_path: Path, transport: CountingTransport) -> None:
    run = api.runs(PROJECT, per_page=1)[0]
    files = run.files(per_page=2)
    assert len(files) == 3
    names = [file.name for file in files]
    assert "wandb-metadata.json" in names
    metadata = run.file("wandb-metadata.json")
    path = metadata.download(tmp_path)
    assert path.stat().st_size == metadata.size
    assert json.loads(path.read_text()) == run.metadata
    assert [file.name for file in run.files(pattern="%.json")] == [
        n for n in names if n.endswith(".json")
    ]
    assert transport.operations["RunFiles"] == 5


def test_upload(api: Api, tmp_path: Path) -> None:
    run = api.create_run(run_id="recordedfiles", project="scratch")
    (tmp_path / "notes.txt").write_text("recorded upload\n")
    uploaded = run.upload_file(tmp_path / "notes.txt", root=tmp_path)
    assert (uploaded.name, uploaded.size) == ("notes.txt", 16)
    assert uploaded.download(tmp_path / "back").read_text() == "recorded upload\n"
    uploaded.delete()
    assert len(run.files()) == 0


def test_artifacts(api: Api) -> None:
    producer = api.runs(PROJECT, per_page=1)[0]
    logged = list(producer.logged_artifacts())
    assert len(logged) == len(producer.logged_artifacts()) >= 1
    artifact = logged[0]
    assert artifact.name.startswith(artifact.collection + ":v")
    consumer = api.create_run(run_id="recordedconsumer", project="scratch")
    consumer.use_artifact(artifact, use_as="input")
    assert [a.name for a in consumer.used_artifacts()] == [artifact.name]
