"""Logging, downloading, editing and deleting artifacts against a LocalServer.

Each test logs into its own collection of the scratch project, with the cache in a
temporary directory (WANDB_CACHE_DIR), and counts what crosses the wire.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from runsapi import (
    Artifact,
    ArtifactDraft,
    NotFoundError,
    ResponseValidationError,
    UsageError,
)
from runsapi._shared.manifest import base64_to_hex, md5_base64
from runsapi._sync.api import Api
from runsapi._sync.runs import Run
from runsapi.server import LocalServer
from tests.live.conftest import SCRATCH, fast_api
from tests.support.counting import CountingTransport

_ids = itertools.count()
STORAGE_PREFIX = "/_storage/artifacts/"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("WANDB_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def api(server: LocalServer, transport: CountingTransport, cache_dir: Path) -> Iterator[Api]:
    server.clear_faults()
    with fast_api(server, transport) as client:
        yield client


class StorageCounter(CountingTransport):
    """Also counts the GETs of stored artifact content."""

    def __init__(self) -> None:
        super().__init__()
        self.content_gets: list[str] = []
        self._lock = threading.Lock()

    def handle_request(self, request):  # type: ignore[no-untyped-def]
        if request.method == "GET" and request.url.path.startswith(STORAGE_PREFIX):
            with self._lock:
                self.content_gets.append(request.url.path[len(STORAGE_PREFIX) :])
        return super().handle_request(request)


def fresh_run(api: Api) -> Run:
    return api.create_run(run_id=f"art{next(_ids):04d}", project=SCRATCH)


def collection_name() -> str:
    return f"dataset-{next(_ids)}"


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


FILES = {"train.csv": b"x,y\n1,2\n" * 50, "nested/test.csv": b"x,y\n3,4\n", "README": b"hi\n"}


def draft_of(tmp_path: Path, name: str, files: dict[str, bytes] = FILES) -> ArtifactDraft:
    source = write_tree(tmp_path / f"src-{next(_ids)}", files)
    draft = ArtifactDraft(name, type="dataset", description="d", metadata={"rows": 51})
    draft.add_dir(source)
    return draft


def tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_log_list_and_download_round_trip(api: Api, tmp_path: Path) -> None:
    run = fresh_run(api)
    name = collection_name()
    logged = run.log_artifact(draft_of(tmp_path, name), aliases=["best"], tags=["raw"])
    assert isinstance(logged, Artifact)
    assert (logged.name, logged.state, logged.type) == (f"{name}:v0", "COMMITTED", "dataset")
    assert sorted(logged.aliases) == ["best", "latest"] and logged.tags == ["raw"]
    assert logged.size == sum(map(len, FILES.values())) and logged.file_count == 3
    assert logged.metadata == {"rows": 51} and logged.description == "d"
    assert logged.digest == draft_of(tmp_path, name).digest

    found = api.artifact(f"{SCRATCH}/{name}:best")
    assert found == logged and found.logged_by() is not None
    assert found.logged_by().id == run.id  # type: ignore[union-attr]
    files = list(found.files())
    assert [file.name for file in files] == sorted(FILES)
    assert {file.name: file.digest for file in files} == {
        name: md5_base64(data) for name, data in FILES.items()
    }
    assert found.file("README").download(tmp_path / "one").read_bytes() == b"hi\n"
    with pytest.raises(NotFoundError, match="no file 'missing'"):
        found.file("missing")

    root = found.download(tmp_path / "out")
    assert root == str(tmp_path / "out") and tree(Path(root)) == FILES
    assert [r.id for r in api.artifact_versions("dataset", f"{SCRATCH}/{name}")] == [logged.id]


def test_default_root_is_the_artifact_dir(
    server: LocalServer,
    transport: CountingTransport,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WANDB_ARTIFACT_DIR")
    name = collection_name()
    with fast_api(server, transport) as api:
        fresh_run(api).log_artifact(draft_of(tmp_path, name))
        root = api.artifact(f"{SCRATCH}/{name}:v0").download()
    assert Path(root).resolve() == (tmp_path / "artifacts" / f"{name}:v0").resolve()
    assert tree(Path(root)) == FILES
    monkeypatch.setenv("WANDB_ARTIFACT_DIR", str(tmp_path / "elsewhere"))
    with fast_api(server, transport) as api:
        moved = api.artifact(f"{SCRATCH}/{name}:v0").download()
    assert Path(moved) == tmp_path / "elsewhere" / f"{name}:v0"


def test_identical_content_is_one_version_and_new_content_moves_latest(
    api: Api, tmp_path: Path, transport: CountingTransport
) -> None:
    run = fresh_run(api)
    name = collection_name()
    first = run.log_artifact(draft_of(tmp_path, name))
    transport.reset()
    again = fresh_run(api).log_artifact(draft_of(tmp_path, name), aliases=["again"])
    assert again.id == first.id and "again" in again.aliases
    assert transport.operations["CreateArtifactFiles"] == 0, "nothing to upload"
    changed = run.log_artifact(draft_of(tmp_path, name, {**FILES, "README": b"changed\n"}))
    assert changed.version == "v1" and changed.aliases == ["latest"]
    assert api.artifact(f"{SCRATCH}/{name}:latest").id == changed.id
    assert "latest" not in api.artifact(f"{SCRATCH}/{name}:v0").aliases


def test_unchanged_files_are_not_uploaded_again(
    server: LocalServer, tmp_path: Path, cache_dir: Path
) -> None:
    counter = StorageCounter()
    with fast_api(server, counter) as api:
        run = fresh_run(api)
        name = collection_name()
        run.log_artifact(draft_of(tmp_path, name))
        puts_before = counter.requests
        counter.reset()
        run.log_artifact(draft_of(tmp_path, name, {**FILES, "README": b"new\n"}))
        # create, manifest x2, files, commit; one content PUT, one manifest PUT.
        assert counter.operations["CreateArtifactFiles"] == 1
        assert counter.requests == 5 + 2, (counter.requests, puts_before)


def test_a_file_changed_after_it_was_added_is_refused(api: Api, tmp_path: Path) -> None:
    source = write_tree(tmp_path / "src", {"a.txt": b"before"})
    draft = ArtifactDraft(collection_name(), type="dataset")
    draft.add_file(source / "a.txt")
    (source / "a.txt").write_bytes(b"after!")
    with pytest.raises(UsageError, match="changed after it was added"):
        fresh_run(api).log_artifact(draft)


def test_second_download_comes_from_the_cache(
    server: LocalServer, tmp_path: Path, cache_dir: Path
) -> None:
    counter = StorageCounter()
    with fast_api(server, counter) as api:
        name = collection_name()
        fresh_run(api).log_artifact(draft_of(tmp_path, name))
        artifact = api.artifact(f"{SCRATCH}/{name}:v0")
        artifact.download(tmp_path / "a")
        assert sorted(counter.content_gets) == sorted(
            base64_to_hex(md5_base64(data)) for data in FILES.values()
        )
        assert (cache_dir / "artifacts" / "obj" / "md5").is_dir()
        counter.content_gets.clear()
        artifact.download(tmp_path / "b")
        assert counter.content_gets == [], "copied from the cache"
        assert tree(tmp_path / "b") == FILES
        artifact.download(tmp_path / "c", skip_cache=True)
        assert len(counter.content_gets) == 3 and tree(tmp_path / "c") == FILES


def test_download_resumes_and_repairs(server: LocalServer, tmp_path: Path, cache_dir: Path) -> None:
    counter = StorageCounter()
    with fast_api(server, counter) as api:
        name = collection_name()
        fresh_run(api).log_artifact(draft_of(tmp_path, name))
        artifact = api.artifact(f"{SCRATCH}/{name}:v0")
        out = write_tree(tmp_path / "out", {"train.csv": FILES["train.csv"], "README": b"bad"})
        artifact.download(out, skip_cache=True)
        # The intact file is kept; the damaged and the missing ones are fetched.
        assert sorted(counter.content_gets) == sorted(
            base64_to_hex(md5_base64(FILES[name])) for name in ("README", "nested/test.csv")
        )
        assert tree(out) == FILES


def test_an_interrupted_download_resumes_without_partial_files(
    server: LocalServer, tmp_path: Path, cache_dir: Path
) -> None:
    counter = StorageCounter()
    with fast_api(server, counter) as api:
        name = collection_name()
        fresh_run(api).log_artifact(draft_of(tmp_path, name))
        artifact = api.artifact(f"{SCRATCH}/{name}:v0")
        out = tmp_path / "out"
        server.inject_fault("status", status=500, count=100)
        with pytest.raises(Exception, match="500"):
            artifact.download(out, max_workers=1, skip_cache=True)
        server.clear_faults()
        leftovers = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
        assert all(tree(out).get(p.relative_to(out).as_posix()) for p in leftovers)
        assert not [p for p in leftovers if p.name.endswith(".part")], "no partial files"
        artifact.download(out)
        assert tree(out) == FILES


def test_corrupted_content_is_detected_by_its_digest(
    api: Api, server: LocalServer, tmp_path: Path
) -> None:
    name = collection_name()
    fresh_run(api).log_artifact(draft_of(tmp_path, name))
    blob = server.store.files_dir / "artifacts" / base64_to_hex(md5_base64(FILES["README"]))
    original = blob.read_bytes()
    blob.write_bytes(b"tampered")
    try:
        with pytest.raises(ResponseValidationError, match="README"):
            api.artifact(f"{SCRATCH}/{name}:v0").download(tmp_path / "out", skip_cache=True)
    finally:
        blob.write_bytes(original)
    assert not (tmp_path / "out" / "README").exists()


def test_concurrent_logs_of_the_same_content_all_succeed(
    api: Api, server: LocalServer, tmp_path: Path
) -> None:
    name = collection_name()
    drafts = [draft_of(tmp_path, name) for _ in range(8)]
    runs = [fresh_run(api) for _ in drafts]
    results: list[Artifact] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(drafts))

    def log(run: Run, draft: ArtifactDraft) -> None:
        barrier.wait()
        try:
            results.append(run.log_artifact(draft))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=log, args=pair) for pair in zip(runs, drafts, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert {artifact.digest for artifact in results} == {drafts[0].digest}
    for artifact in {artifact.id: artifact for artifact in results}.values():
        assert tree(Path(artifact.download(tmp_path / artifact.version))) == FILES
    stored = [
        path.name for path in (server.store.files_dir / "artifacts").iterdir() if path.is_file()
    ]
    for data in FILES.values():
        assert stored.count(base64_to_hex(md5_base64(data))) == 1


def test_save_edits_and_delete(api: Api, tmp_path: Path) -> None:
    name = collection_name()
    run = fresh_run(api)
    first = run.log_artifact(draft_of(tmp_path, name))
    second = run.log_artifact(draft_of(tmp_path, name, {"other.txt": b"2"}))
    first.description = "first"
    first.metadata["checked"] = True
    first.aliases.append("golden")
    first.tags = ["reviewed", "raw"]
    first.save()
    again = api.artifact(f"{SCRATCH}/{name}:golden")
    assert again.id == first.id and again.description == "first"
    assert again.metadata == {"rows": 51, "checked": True}
    assert again.aliases == ["golden"] and sorted(again.tags) == ["raw", "reviewed"]
    again.aliases.remove("golden")
    again.tags.remove("raw")
    again.save()
    assert api.artifact(f"{SCRATCH}/{name}:v0").tags == ["reviewed"]
    assert not api.artifact_exists(f"{SCRATCH}/{name}:golden")

    second.delete()
    assert not api.artifact_exists(f"{SCRATCH}/{name}:v1")
    assert api.artifact(f"{SCRATCH}/{name}:latest").id == first.id


def test_delete_refuses_a_version_with_aliases_unless_asked(api: Api, tmp_path: Path) -> None:
    name = collection_name()
    logged = fresh_run(api).log_artifact(draft_of(tmp_path, name), aliases=["prod"])
    with pytest.raises(Exception, match="alias"):
        logged.delete()
    logged.delete(delete_aliases=True)
    assert not api.artifact_exists(f"{SCRATCH}/{name}:v0")


def test_use_by_name_and_lineage_from_both_ends(api: Api, tmp_path: Path) -> None:
    name = collection_name()
    producer = fresh_run(api)
    logged = producer.log_artifact(draft_of(tmp_path, name))
    consumer = fresh_run(api)
    used = consumer.use_artifact(f"{name}:latest", use_as="training")
    assert used.id == logged.id
    assert [run.id for run in logged.used_by()] == [consumer.id]
    assert logged.logged_by().id == producer.id  # type: ignore[union-attr]
    assert [a.id for a in consumer.used_artifacts()] == [logged.id]
    assert [a.id for a in producer.logged_artifacts()] == [logged.id]
    with pytest.raises(NotFoundError):
        consumer.use_artifact(f"{name}:no-such-alias")


def test_logging_an_existing_artifact_links_it(api: Api, tmp_path: Path) -> None:
    name = collection_name()
    logged = fresh_run(api).log_artifact(draft_of(tmp_path, name))
    other = fresh_run(api)
    linked = other.log_artifact(logged, aliases=["linked"])
    assert linked.id == logged.id and "linked" in linked.aliases
    assert [a.id for a in other.logged_artifacts()] == [logged.id]


def test_bad_input_raises_before_any_request(
    api: Api, tmp_path: Path, transport: CountingTransport
) -> None:
    run = fresh_run(api)
    draft = draft_of(tmp_path, collection_name())
    transport.reset()
    for aliases in (["v3"], "latest", [""], [3]):
        with pytest.raises(UsageError):
            run.log_artifact(draft, aliases=aliases)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="tags"):
        run.log_artifact(draft, tags="raw")
    with pytest.raises(UsageError, match="max_workers"):
        run.log_artifact(draft, max_workers=0)
    for name in ("a:b:c", "", "e/p/x/y:v0"):
        with pytest.raises(UsageError):
            run.use_artifact(name)
        with pytest.raises(UsageError):
            api.artifact(name)
    assert transport.requests == 0
