"""Every artifact member of the Api, Artifact and Run, replayed from cassettes.

The seed (scripts/record_cassettes.py) gives each run a `model-<run>` collection (odd runs
two versions, the second tagged `candidate`) and the first run a `training-data`
dataset that odd runs use.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runsapi import ArtifactDraft, NotFoundError
from runsapi._sync.api import Api
from tests.recorded.conftest import PROJECT
from tests.support.counting import CountingTransport

DATASET = f"{PROJECT}/training-data"


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache per test, so that each replays the same requests whatever ran before."""
    monkeypatch.setenv("WANDB_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.vcr
def test_lookups(api: Api) -> None:
    dataset = api.artifact(f"{DATASET}:latest", type="dataset")
    assert (dataset.name, dataset.type, dataset.aliases) == (
        "training-data:v0",
        "dataset",
        ["latest"],
    )
    assert api.artifact(f"{DATASET}:v0") == dataset
    assert api.artifact_exists(f"{DATASET}:v0") and not api.artifact_exists(f"{DATASET}:v9")
    with pytest.raises(NotFoundError):
        api.artifact(f"{DATASET}:v0", type="model")
    assert [kind.name for kind in api.artifact_types(PROJECT)] == ["dataset", "model"]
    kind = api.artifact_type("dataset", PROJECT)
    assert [c.name for c in kind.collections()] == ["training-data"]
    collection = api.artifact_collection("dataset", DATASET)
    assert collection.type == "dataset" and collection.name == "training-data"
    assert api.artifact_collection_exists(DATASET, "dataset")
    assert not api.artifact_collection_exists(f"{PROJECT}/nothing", "dataset")
    models = list(api.artifact_collections(PROJECT, "model"))
    assert models and all(c.type == "model" for c in models)
    versions = list(api.artifacts("model", f"{PROJECT}/{models[1].name}"))
    assert [v.version for v in versions] == ["v0", "v1"]
    assert [
        v.version for v in api.artifacts("model", f"{PROJECT}/{models[1].name}", tags=["candidate"])
    ] == ["v1"]
    assert [v.id for v in api.artifact_versions("model", f"{PROJECT}/{models[1].name}")] == [
        v.id for v in versions
    ]


@pytest.mark.vcr
def test_files_download_and_lineage(api: Api, tmp_path: Path) -> None:
    dataset = api.artifact(f"{DATASET}:v0")
    files = list(dataset.files())
    assert files and sum(file.size for file in files) == dataset.size
    first = dataset.file(files[0].name)
    assert first.download(tmp_path / "one").stat().st_size == first.size
    root = Path(dataset.download(tmp_path / "all", progress=False))
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        file.name for file in files
    ]
    creator = dataset.logged_by()
    assert creator is not None and creator.id == api.runs(PROJECT)[0].id
    assert dataset.used_by() and all(run.project == "demo-project" for run in dataset.used_by())


@pytest.mark.vcr
def test_log_use_edit_and_delete(api: Api, tmp_path: Path, transport: CountingTransport) -> None:
    (tmp_path / "notes.txt").write_text("recorded artifact\n")
    producer = api.create_run(run_id="recordedproducer", project="scratch")
    draft = ArtifactDraft("recorded-notes", type="notes", metadata={"pages": 1})
    draft.add_file(tmp_path / "notes.txt")
    logged = producer.log_artifact(draft, aliases=["first"], tags=["recorded"])
    assert (logged.name, sorted(logged.aliases), logged.tags) == (
        "recorded-notes:v0",
        ["first", "latest"],
        ["recorded"],
    )
    consumer = api.create_run(run_id="recordedreader", project="scratch")
    assert consumer.use_artifact("recorded-notes:first").id == logged.id
    assert [run.id for run in logged.used_by()] == ["recordedreader"]

    logged.description = "edited"
    logged.aliases.remove("first")
    logged.save()
    assert api.artifact("scratch/recorded-notes:v0").description == "edited"
    assert not api.artifact_exists("scratch/recorded-notes:first")
    logged.delete()
    assert not api.artifact_exists("scratch/recorded-notes:v0")
    assert transport.operations["CommitArtifact"] == 1
