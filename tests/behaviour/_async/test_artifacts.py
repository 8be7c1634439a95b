"""Artifacts: a draft logged by a run, found by alias, downloaded byte for byte, its
files, its lineage, its aliases edited."""

from __future__ import annotations

from pathlib import Path

import pytest

from runsapi import ArtifactDraft, AsyncApi, AsyncRun, NotFoundError, UsageError
from tests.behaviour.conftest import PROJECT, SCRATCH
from tests.support.counting import CountingTransport

pytestmark = pytest.mark.anyio  # async-only

WEIGHTS = bytes(range(256)) * 40
README = "# weights\nlogged by the behaviour suite\n"


def a_draft(run: AsyncRun, tmp_path: Path) -> ArtifactDraft:
    """A dataset of two files, one added from disk and one written into the draft,
    named after the run so that each test (and layer) has its own collection."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "weights.bin"
    source.write_bytes(WEIGHTS)
    draft = ArtifactDraft(f"data-{run.id}", type="dataset", metadata={"rows": 3})
    draft.add_file(source, name="model/weights.bin")
    with draft.new_file("README.md") as readme:
        readme.write(README)
    return draft


async def test_a_logged_draft_is_found_by_alias_and_downloads_byte_for_byte(
    api: AsyncApi, scratch_run: AsyncRun, tmp_path: Path
) -> None:
    draft = a_draft(scratch_run, tmp_path)
    logged = await scratch_run.log_artifact(draft, aliases=["best"])
    assert (logged.name, logged.type, logged.state) == (f"{draft.name}:v0", "dataset", "COMMITTED")
    assert logged.digest == draft.digest and logged.file_count == 2
    assert sorted(logged.aliases) == ["best", "latest"]
    assert logged.metadata == {"rows": 3}
    latest = await api.artifact(f"{SCRATCH}/{draft.name}:latest")
    assert latest == logged and latest.qualified_name == f"{SCRATCH}/{draft.name}:v0"
    assert (await api.artifact(f"{SCRATCH}/{draft.name}:best", type="dataset")) == logged
    files = await latest.files().load_all()
    assert [(file.name, file.size) for file in files] == [
        ("README.md", len(README.encode())),
        ("model/weights.bin", len(WEIGHTS)),
    ]
    root = Path(await latest.download(tmp_path / "download"))
    assert root == tmp_path / "download"
    assert (root / "model" / "weights.bin").read_bytes() == WEIGHTS
    assert (root / "README.md").read_text(encoding="utf-8") == README
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        "README.md",
        "model/weights.bin",
    ]


async def test_logging_the_same_contents_again_gives_the_same_version(
    scratch_run: AsyncRun, tmp_path: Path
) -> None:
    first = await scratch_run.log_artifact(a_draft(scratch_run, tmp_path))
    again = await scratch_run.log_artifact(a_draft(scratch_run, tmp_path / "again"))
    assert again == first and again.version == "v0"
    (tmp_path / "weights.bin").write_bytes(WEIGHTS + b"!")
    changed = ArtifactDraft(first.collection, type="dataset")
    changed.add_file(tmp_path / "weights.bin", name="model/weights.bin")
    second = await scratch_run.log_artifact(changed)
    assert second.version == "v1" and second != first
    assert [a.version async for a in scratch_run.logged_artifacts()] == ["v0", "v1"]


async def test_lineage_names_the_logging_and_the_using_runs(
    api: AsyncApi, scratch_run: AsyncRun, tmp_path: Path
) -> None:
    logged = await scratch_run.log_artifact(a_draft(scratch_run, tmp_path))
    consumer = await api.create_run(project=SCRATCH)
    used = await consumer.use_artifact(f"{logged.collection}:latest")
    assert used == logged
    creator = await logged.logged_by()
    assert creator is not None and creator.id == scratch_run.id
    assert [run.id for run in await logged.used_by()] == [consumer.id]
    assert [a.id async for a in consumer.used_artifacts()] == [logged.id]
    assert [a.id for a in await consumer.logged_artifacts().load_all()] == []


async def test_aliases_are_edited_then_saved(
    api: AsyncApi, scratch_run: AsyncRun, transport: CountingTransport, tmp_path: Path
) -> None:
    draft = a_draft(scratch_run, tmp_path)
    artifact = await scratch_run.log_artifact(draft, aliases=["best"])
    artifact.aliases.remove("best")
    artifact.aliases.append("golden")
    transport.reset()
    await artifact.save()
    assert transport.operations == {
        "AddArtifactAliases": 1,
        "DeleteArtifactAliases": 1,
        "UpdateArtifact": 1,
    }
    assert sorted(artifact.aliases) == ["golden", "latest"]
    found = await api.artifact(f"{SCRATCH}/{draft.name}:golden")
    assert found == artifact and sorted(found.aliases) == ["golden", "latest"]
    with pytest.raises(NotFoundError):
        await api.artifact(f"{SCRATCH}/{draft.name}:best")
    artifact.aliases.append("bad alias/")
    transport.reset()
    with pytest.raises(UsageError):
        await artifact.save()
    assert transport.requests == 0


async def test_seeded_artifacts_are_listed_by_type_and_collection(api: AsyncApi) -> None:
    types = [kind.name async for kind in api.artifact_types(PROJECT)]
    assert types == ["dataset", "model"]
    collection = await api.artifact_collection("dataset", f"{PROJECT}/training-data")
    versions = [artifact.name async for artifact in collection.versions()]
    assert versions == ["training-data:v0"]
    assert await api.artifact_exists(f"{PROJECT}/training-data:v0")
    assert not await api.artifact_exists(f"{PROJECT}/training-data:v9")
