"""A run's files: listing, downloading what the server stores, uploading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runsapi import AsyncApi, AsyncRun, NotFoundError, UsageError
from runsapi.server import LocalServer
from tests.behaviour.conftest import PROJECT, stored_file
from tests.support.counting import CountingTransport

pytestmark = pytest.mark.anyio  # async-only

SEEDED_FILES = ["wandb-metadata.json", "config.yaml"]


async def seeded_run(api: AsyncApi) -> AsyncRun:
    return await api.runs(PROJECT, lazy=False).at(1)


async def test_files_are_listed_with_their_sizes(
    api: AsyncApi, server: LocalServer, transport: CountingTransport
) -> None:
    run = await seeded_run(api)
    transport.reset()
    files = run.files()
    assert await files.len() == 2
    listed = await files.load_all()
    assert transport.operations == {"RunFiles": 1}
    assert [file.name for file in listed] == SEEDED_FILES
    for file in listed:
        assert file.size == len(stored_file(server, run.id, file.name))
    assert [file.name for file in await run.files(pattern="%.json").load_all()] == [SEEDED_FILES[0]]
    assert [file.name for file in await run.files(names=["config.yaml"]).load_all()] == [
        "config.yaml"
    ]


async def test_a_download_holds_the_bytes_the_server_stores(
    api: AsyncApi, server: LocalServer, transport: CountingTransport, tmp_path: Path
) -> None:
    run = await seeded_run(api)
    file = await run.file("config.yaml")
    transport.reset()
    path = await file.download(tmp_path)
    assert path == tmp_path / "config.yaml"
    assert path.read_bytes() == stored_file(server, run.id, "config.yaml")
    assert transport.requests == 1 and not transport.operations, "one GET, no query"
    assert file.is_downloaded(tmp_path)
    with pytest.raises(UsageError, match="already exists"):
        await file.download(tmp_path)
    assert await file.download(tmp_path, exist_ok=True) == path
    assert transport.requests == 1


async def test_metadata_is_the_metadata_file(api: AsyncApi, server: LocalServer) -> None:
    run = await seeded_run(api)
    metadata = await run.metadata
    assert metadata == json.loads(stored_file(server, run.id, "wandb-metadata.json"))
    with pytest.raises(NotFoundError, match=r"has no file 'nothing\.txt'"):
        await run.file("nothing.txt")


async def test_an_uploaded_file_downloads_byte_for_byte(
    api: AsyncApi, server: LocalServer, scratch_run: AsyncRun, tmp_path: Path
) -> None:
    payload = bytes(range(256)) * 64 + b"tail"
    source = tmp_path / "src" / "nested" / "weights.bin"
    source.parent.mkdir(parents=True)
    source.write_bytes(payload)
    uploaded = await scratch_run.upload_file(source, root=tmp_path / "src")
    assert uploaded.name == "nested/weights.bin"
    assert uploaded.size == len(payload) and uploaded.md5 is not None
    assert stored_file(server, scratch_run.id, "nested/weights.bin") == payload
    again = await (await api.run(scratch_run.path_str)).file("nested/weights.bin")
    assert (again.id, again.md5) == (uploaded.id, uploaded.md5)
    target = await again.download(tmp_path / "out")
    assert target == tmp_path / "out" / "nested" / "weights.bin"
    assert target.read_bytes() == payload


async def test_download_all_fetches_each_file_once(
    api: AsyncApi,
    server: LocalServer,
    scratch_run: AsyncRun,
    transport: CountingTransport,
    tmp_path: Path,
) -> None:
    contents = {"a.txt": b"alpha", "b/c.json": b'{"c": 1}', "d.bin": bytes(1000)}
    for name, content in contents.items():
        (tmp_path / "src" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / name).write_bytes(content)
        await scratch_run.upload_file(tmp_path / "src" / name, root=tmp_path / "src")
    transport.reset()
    paths = await scratch_run.files().download_all(tmp_path / "all", max_workers=2)
    assert paths == [tmp_path / "all" / name for name in contents]
    assert {name: (tmp_path / "all" / name).read_bytes() for name in contents} == contents
    assert transport.operations == {"RunFiles": 1} and transport.requests == 1 + 3
    transport.reset()
    assert await scratch_run.files().download_all(tmp_path / "all") == paths
    assert transport.requests == 1, "files already there with their MD5 are not fetched"
    for name, content in contents.items():
        assert stored_file(server, scratch_run.id, name) == content
