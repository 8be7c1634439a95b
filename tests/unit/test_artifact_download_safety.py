"""What a download refuses, whatever the server says: checked before anything is written.

A stand-in server (an httpx.MockTransport) answers the three requests a download makes:
the version, its manifest's URL, the manifest itself, and the file listing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from runsapi import Api, UnsafePathError, UsageError
from runsapi._shared.manifest import ManifestEntry, dump_manifest, md5_base64

BASE = "http://127.0.0.1:1"
VERSION = {
    "id": "QXJ0aWZhY3Q6MQ==",
    "artifactSequence": {"name": "data", "project": {"name": "p", "entityName": "e"}},
    "versionIndex": 0,
    "artifactType": {"name": "dataset"},
    "description": None,
    "metadata": "{}",
    "tags": [],
    "historyStep": None,
    "state": "COMMITTED",
    "size": 2,
    "digest": "0" * 32,
    "fileCount": 1,
    "createdAt": "2026-01-01T00:00:00",
    "updatedAt": None,
    "aliases": [{"alias": "v0"}, {"alias": "latest"}],
}


class StandIn:
    """Answers by operation name (listing stored files, not references, as W&B does);
    records every content GET."""

    def __init__(self, entries: list[ManifestEntry]) -> None:
        self.manifest = dump_manifest(entries)
        self.entries = entries
        self.content_gets: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/manifest":
            return httpx.Response(200, content=self.manifest)
        if request.method == "GET":
            self.content_gets.append(request.url.path)
            return httpx.Response(200, content=b"ok")
        operation = json.loads(request.read())["operationName"]
        return httpx.Response(200, json={"data": self.answer(operation)})

    def answer(self, operation: str) -> dict[str, Any]:
        if operation == "ArtifactByName":
            return {"project": {"artifact": VERSION}}
        if operation == "ArtifactManifestUrl":
            return {"artifact": {"currentManifest": {"file": {"directUrl": f"{BASE}/manifest"}}}}
        assert operation == "ArtifactFiles", operation
        nodes = [
            {
                "id": str(index),
                "name": entry.path,
                "sizeBytes": entry.size,
                "md5": entry.digest,
                "directUrl": f"{BASE}/content/{index}",
                "mimetype": None,
            }
            for index, entry in enumerate(self.entries)
            if not entry.is_reference
        ]
        files = {
            "totalCount": len(nodes),
            "pageInfo": {"endCursor": None, "hasNextPage": False},
            "edges": [{"node": node} for node in nodes],
        }
        return {
            "project": {
                "artifactCollection": {
                    "__typename": "ArtifactSequence",
                    "artifactMembership": {"files": files},
                }
            }
        }


def download(stand_in: StandIn, root: Path, **options: Any) -> str:
    with Api(
        {"base_url": BASE, "entity": "e", "project": "p"},
        api_key="k" * 40,
        transport=httpx.MockTransport(stand_in),
    ) as api:
        return api.artifact("data:v0").download(root, **options)


@pytest.mark.parametrize(
    "path", ["../escape.txt", "a/../../b.txt", "/etc/passwd", "C:\\x", "a//b", "~/x"]
)
def test_a_manifest_naming_a_path_outside_the_root_is_refused(tmp_path: Path, path: str) -> None:
    stand_in = StandIn(
        [ManifestEntry("fine.txt", md5_base64(b"ok"), 2), ManifestEntry(path, md5_base64(b"ok"), 2)]
    )
    with pytest.raises(UnsafePathError):
        download(stand_in, tmp_path / "root")
    assert stand_in.content_gets == [] and not (tmp_path / "root").exists()


def test_a_file_and_a_directory_of_one_name_are_refused(tmp_path: Path) -> None:
    digest = md5_base64(b"ok")
    stand_in = StandIn([ManifestEntry("d", digest, 2), ManifestEntry("d/inner", digest, 2)])
    with pytest.raises(UnsafePathError, match="both a file and a directory"):
        download(stand_in, tmp_path / "root")
    assert stand_in.content_gets == []


def test_references_it_cannot_fetch_are_refused_unless_allowed(tmp_path: Path) -> None:
    stand_in = StandIn(
        [
            ManifestEntry("kept.txt", md5_base64(b"ok"), 2),
            ManifestEntry("remote.pt", "s3://bucket/remote.pt", ref="s3://bucket/remote.pt"),
        ]
    )
    with pytest.raises(UsageError, match=r"s3://bucket/remote\.pt"):
        download(stand_in, tmp_path / "root", skip_cache=True)
    assert stand_in.content_gets == []
    download(stand_in, tmp_path / "root", skip_cache=True, allow_missing_references=True)
    assert (tmp_path / "root" / "kept.txt").read_bytes() == b"ok"
    assert not (tmp_path / "root" / "remote.pt").exists()


def test_path_prefix_downloads_a_subtree(tmp_path: Path) -> None:
    digest = md5_base64(b"ok")
    stand_in = StandIn([ManifestEntry("a/x", digest, 2), ManifestEntry("b/y", digest, 2)])
    download(stand_in, tmp_path / "root", path_prefix="a/", skip_cache=True)
    assert [p.name for p in (tmp_path / "root").rglob("*") if p.is_file()] == ["x"]
    assert len(stand_in.content_gets) == 1
