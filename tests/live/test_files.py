"""Files and artifacts against a LocalServer: round trips, atomic downloads, pagination."""

from __future__ import annotations

import itertools
from pathlib import Path

import httpx
import pytest

from runsapi import NotFoundError, UnsafePathError, UsageError
from runsapi._sync.api import Api
from runsapi._sync.files import safe_destination, upload_name
from runsapi._sync.runs import Run
from runsapi.server import LocalServer
from tests.live.conftest import PROJECT, SCRATCH
from tests.support.counting import CountingTransport

_ids = itertools.count()


def fresh_run(api: Api) -> Run:
    return api.create_run(run_id=f"files{next(_ids):04d}", project=SCRATCH)


def graphql(server: LocalServer, query: str, variables: dict[str, object]) -> dict[str, object]:
    response = httpx.post(
        server.graphql_url,
        json={"query": query, "variables": variables},
        auth=("api", server.api_key),
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def test_upload_then_download_round_trips_the_bytes(api: Api, tmp_path: Path) -> None:
    run = fresh_run(api)
    source = tmp_path / "src" / "nested" / "weights.bin"
    source.parent.mkdir(parents=True)
    payload = bytes(range(256)) * 4096 + b"tail"
    source.write_bytes(payload)
    uploaded = run.upload_file(source, root=tmp_path / "src")
    assert uploaded.name == "nested/weights.bin"
    assert uploaded.size == len(payload) and uploaded.md5 is not None
    assert uploaded.updated_at is not None and uploaded.updated_at.tzinfo is not None
    target = run.file("nested/weights.bin").download(tmp_path / "out")
    assert target == tmp_path / "out" / "nested" / "weights.bin"
    assert target.read_bytes() == payload
    with pytest.raises(UsageError, match="already exists"):
        run.file("nested/weights.bin").download(tmp_path / "out")
    assert run.file("nested/weights.bin").download(tmp_path / "out", exist_ok=True) == target
    assert [file.name for file in run.files()] == ["nested/weights.bin"]
    run.file("nested/weights.bin").delete()
    with pytest.raises(NotFoundError, match=r"has no file 'nested/weights\.bin'"):
        run.file("nested/weights.bin")


def test_upload_names_outside_the_root_are_made_safe(api: Api, tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x")
    root = tmp_path / "sub"
    root.mkdir()
    assert upload_name(tmp_path / "x.txt", root) == "__/x.txt"
    run = fresh_run(api)
    assert run.upload_file(tmp_path / "x.txt", root=root).name == "__/x.txt"


def test_an_interrupted_download_leaves_no_partial_file(
    api: Api, server: LocalServer, tmp_path: Path
) -> None:
    run = fresh_run(api)
    (tmp_path / "big.bin").write_bytes(b"\x01" * 300_000)
    run.upload_file(tmp_path / "big.bin", root=tmp_path)
    file = run.file("big.bin")
    server.inject_fault("drop", count=10)
    out = tmp_path / "out"
    with pytest.raises(Exception, match="failed"):
        file.download(out)
    server.clear_faults()
    assert list(out.iterdir()) == [], "neither the target nor a temporary file is left"
    assert file.download(out).read_bytes() == b"\x01" * 300_000


def test_a_dropped_connection_mid_download_is_retried(
    api: Api, server: LocalServer, tmp_path: Path
) -> None:
    run = fresh_run(api)
    (tmp_path / "f.bin").write_bytes(b"abc" * 1000)
    run.upload_file(tmp_path / "f.bin", root=tmp_path)
    file = run.file("f.bin")
    server.inject_fault("drop", count=1)
    assert file.download(tmp_path / "out").read_bytes() == b"abc" * 1000


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd", "a/../../b", "~/x", ""])
def test_names_escaping_the_root_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(UsageError, match="outside"):
        safe_destination(tmp_path, name)


def test_download_refuses_a_server_named_traversal(
    api: Api, server: LocalServer, tmp_path: Path
) -> None:
    run = fresh_run(api)
    graphql(
        server,
        "mutation($e: String!, $p: String!, $r: String!, $f: [String!]!) {"
        " createRunFiles(input: {entityName: $e, projectName: $p, runName: $r, files: $f}) { runID } }",
        {"e": "demo", "p": SCRATCH, "r": run.id, "f": ["../../escape.txt"]},
    )
    file = run.file("../../escape.txt")
    with pytest.raises(UsageError, match="outside"):
        file.download(tmp_path / "root")
    assert not (tmp_path / "escape.txt").exists()


def create_files(server: LocalServer, run: Run, names: list[str]) -> None:
    """Files the server lists under `names`, whatever they are (no upload needed)."""
    graphql(
        server,
        "mutation($e: String!, $p: String!, $r: String!, $f: [String!]!) {"
        " createRunFiles(input: {entityName: $e, projectName: $p, runName: $r, files: $f}) { runID } }",
        {"e": "demo", "p": SCRATCH, "r": run.id, "f": names},
    )


@pytest.mark.parametrize(
    "unsafe", [["D:evil"], ["C:\\x"], ["a/./b"], ["x\0y"], ["dir", "dir/inner.txt"]]
)
def test_download_all_refuses_the_whole_batch_before_writing(
    api: Api,
    server: LocalServer,
    tmp_path: Path,
    transport: CountingTransport,
    unsafe: list[str],
) -> None:
    run = fresh_run(api)
    (tmp_path / "good.txt").write_text("good")
    run.upload_file(tmp_path / "good.txt", root=tmp_path)
    create_files(server, run, unsafe)
    transport.reset()
    with pytest.raises(UnsafePathError):
        run.files().download_all(tmp_path / "out")
    assert not (tmp_path / "out").exists(), "not even good.txt was written"
    assert transport.requests == sum(transport.operations.values()), "no file was fetched"


def test_download_does_not_follow_a_symlink_out_of_the_root(
    api: Api, tmp_path: Path, transport: CountingTransport
) -> None:
    run = fresh_run(api)
    (tmp_path / "src" / "models").mkdir(parents=True)
    (tmp_path / "src" / "models" / "w.bin").write_bytes(b"weights")
    run.upload_file(tmp_path / "src" / "models" / "w.bin", root=tmp_path / "src")
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "models").symlink_to(outside, target_is_directory=True)
    transport.reset()
    with pytest.raises(UnsafePathError, match="symlink"):
        run.file("models/w.bin").download(root)
    with pytest.raises(UnsafePathError, match="symlink"):
        run.files().download_all(root)
    assert list(outside.iterdir()) == []
    assert transport.requests == sum(transport.operations.values()), "no file was fetched"


def test_download_all_skips_files_already_present(
    api: Api, tmp_path: Path, transport: CountingTransport
) -> None:
    run = fresh_run(api)
    for index in range(5):
        (tmp_path / f"f{index}.txt").write_text(f"content {index}")
        run.upload_file(tmp_path / f"f{index}.txt", root=tmp_path)
    out = tmp_path / "out"
    transport.reset()
    paths = run.files(per_page=2).download_all(out, max_workers=3)
    assert [path.name for path in paths] == [f"f{i}.txt" for i in range(5)]
    assert all(path.read_text() == f"content {i}" for i, path in enumerate(paths))
    first = transport.requests
    (out / "f3.txt").write_text("changed locally")
    transport.reset()
    run.files(per_page=10).download_all(out)
    assert transport.requests == 2, "one listing page and one download (the changed file)"
    assert (out / "f3.txt").read_text() == "content 3"
    assert first == 3 + 5


def test_a_thousand_files_paginate(api: Api, server: LocalServer) -> None:
    run = fresh_run(api)
    names = [f"logs/part-{index:04d}.txt" for index in range(1000)]
    graphql(
        server,
        "mutation($e: String!, $p: String!, $r: String!, $f: [String!]!) {"
        " createRunFiles(input: {entityName: $e, projectName: $p, runName: $r, files: $f}) { runID } }",
        {"e": "demo", "p": SCRATCH, "r": run.id, "f": names},
    )
    files = run.files(per_page=128)
    assert len(files) == 1000
    assert sorted(file.name for file in files) == names
    assert files.pages_loaded == 8
    assert [f.name for f in run.files(pattern="logs/part-09%")] == names[900:1000]
    with pytest.raises(UsageError, match="names or pattern, not both"):
        run.files(names=["a"], pattern="%")


def test_run_artifacts(api: Api) -> None:
    runs = list(api.runs(PROJECT, per_page=20))
    logged = [artifact for run in runs for artifact in run.logged_artifacts(per_page=1)]
    assert logged, "the seed logs artifacts"
    first = logged[0]
    assert first.name == f"{first.collection}:{first.version}" and first.version.startswith("v")
    assert first.type and first.digest and first.created_at.tzinfo is not None
    assert isinstance(first.metadata, dict)
    user = fresh_run(api)
    used = user.use_artifact(first, use_as="weights")
    assert used.id == first.id
    assert [artifact.id for artifact in user.used_artifacts()] == [first.id]
    assert len(user.logged_artifacts()) == 0
