"""W&B's manifest format and digests, and the draft that builds them, without a server."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from runsapi import ArtifactDraft, ManifestEntry, UnsafePathError, UsageError
from runsapi._content_cache import ContentCache, atomically_replaced
from runsapi._shared.manifest import (
    artifact_digest,
    base64_to_hex,
    dump_manifest,
    hex_to_base64,
    is_md5,
    load_manifest,
    md5_base64,
)

HELLO = b"hello world\n"
# Both figures are what W&B's documentation and its client give for this content.
HELLO_MD5 = "b1kCrCNwJL3QwXbLkwY9xA=="
HELLO_HEX = "6f5902ac237024bdd0c176cb93063dc4"


def test_file_digests_are_base64_md5_with_a_hex_form() -> None:
    assert md5_base64(HELLO) == HELLO_MD5
    assert base64_to_hex(HELLO_MD5) == HELLO_HEX
    assert hex_to_base64(HELLO_HEX) == HELLO_MD5
    assert is_md5(HELLO_MD5) and not is_md5('"etag"') and not is_md5("s3://b/k")
    with pytest.raises(ValueError, match="not a base64 MD5"):
        base64_to_hex("aGVsbG8=")  # base64, but not 16 bytes


def test_artifact_digest_is_md5_of_sorted_path_digest_lines() -> None:
    digests = {"b.txt": "Y", "a.txt": "X"}
    expected = hashlib.md5(b"wandb-artifact-manifest-v1\na.txt:X\nb.txt:Y\n").hexdigest()
    assert artifact_digest(digests) == expected
    assert artifact_digest({}) == hashlib.md5(b"wandb-artifact-manifest-v1\n").hexdigest()


def test_manifest_round_trips_in_w_and_b_layout() -> None:
    entries = [
        ManifestEntry("z/ref.bin", "etag", 3, ref="https://host/x.bin", extra={"etag": '"etag"'}),
        ManifestEntry("data/a.txt", HELLO_MD5, 12, birth_artifact_id="QXJ0aWZhY3Q6MQ=="),
    ]
    document = json.loads(dump_manifest(entries))
    assert document["version"] == 1
    assert document["storagePolicy"] == "wandb-storage-policy-v1"
    assert document["contents"]["data/a.txt"] == {
        "digest": HELLO_MD5,
        "size": 12,
        "birthArtifactID": "QXJ0aWZhY3Q6MQ==",
    }
    assert load_manifest(dump_manifest(entries)) == sorted(entries, key=lambda e: e.path)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"not json", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"version": 2, "contents": {}}', "version 2 is not supported"),
        (b'{"version": 1}', "no 'contents'"),
        (b'{"version": 1, "contents": {"a": {}}}', "'a' has no digest"),
        (b'{"version": 1, "contents": {"a": {"digest": "x"}}}', "not a base64 MD5"),
        (
            b'{"version": 1, "contents": {"a": {"digest": "x", "ref": "s3://b", "size": -1}}}',
            "malformed",
        ),
        (
            b'{"version": 1, "contents": {"a": {"digest": "x", "extra": {"alg": "XXH128"}}}}',
            "XXH128",
        ),
    ],
)
def test_bad_manifests_are_refused_by_name(document: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_manifest(document)


def test_draft_hashes_files_directories_and_new_files(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_bytes(HELLO)
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "one.txt").write_bytes(b"1")
    (tmp_path / "dir" / "sub" / "two.txt").write_bytes(b"22")
    draft = ArtifactDraft("dataset-1", type="dataset", metadata={"rows": 2})
    assert draft.add_file(tmp_path / "hello.txt").digest == HELLO_MD5
    draft.add_dir(tmp_path / "dir", name="raw")
    with draft.new_file("notes/readme.md") as handle:
        handle.write("hi")
    with draft.new_file("blob.bin", mode="wb") as binary:
        binary.write(b"\x00\x01")
    assert [entry.path for entry in draft.entries] == [
        "blob.bin",
        "hello.txt",
        "notes/readme.md",
        "raw/one.txt",
        "raw/sub/two.txt",
    ]
    assert draft.size == 2 + 12 + 2 + 1 + 2
    assert draft.digest == artifact_digest({e.path: e.digest for e in draft.entries})
    assert draft.source("hello.txt") == tmp_path / "hello.txt"


def test_draft_references(tmp_path: Path) -> None:
    local = tmp_path / "weights.bin"
    local.write_bytes(HELLO)
    draft = ArtifactDraft("model", type="model")
    checked = draft.add_reference(local.as_uri())
    assert (checked.path, checked.digest, checked.size, checked.ref) == (
        "weights.bin",
        HELLO_MD5,
        12,
        local.as_uri(),
    )
    remote = draft.add_reference("s3://bucket/models/final.pt")
    assert (remote.path, remote.digest, remote.size) == (
        "final.pt",
        "s3://bucket/models/final.pt",
        None,
    )
    assert draft.size == 0  # references are not uploaded


@pytest.mark.parametrize("name", ["", "a:b", "a/b", "with space", "ü", "x" * 129, None])
def test_bad_draft_names_raise_before_anything(name: object) -> None:
    with pytest.raises(UsageError, match="artifact name"):
        ArtifactDraft(name, type="dataset")  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["", "a:b", "a/b", "wandb-history", "x" * 129, None])
def test_bad_draft_types_raise_before_anything(kind: object) -> None:
    with pytest.raises(UsageError, match="artifact type"):
        ArtifactDraft("ok", type=kind)  # type: ignore[arg-type]
    assert ArtifactDraft("ok", type="model weights").type == "model weights"


def test_bad_entries_are_refused(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    draft = ArtifactDraft("ok", type="dataset")
    for unsafe in ["../escape.txt", "/abs.txt", "a//b", "c:\\x", "./a"]:
        with pytest.raises(UnsafePathError):
            draft.add_file(tmp_path / "f.txt", name=unsafe)
    draft.add_file(tmp_path / "f.txt")
    with pytest.raises(UsageError, match="already in ok"):
        draft.add_file(tmp_path / "f.txt")
    draft.add_file(tmp_path / "f.txt", overwrite=True)
    with pytest.raises(UsageError, match="is not a file"):
        draft.add_file(tmp_path / "missing.txt")
    with pytest.raises(UsageError, match="is not a directory"):
        draft.add_dir(tmp_path / "f.txt")
    with pytest.raises(UsageError, match="expected a URI"):
        draft.add_reference("no-scheme")
    draft.remove("f.txt")
    assert draft.entries == []


def test_content_cache_layout_is_the_official_clients(tmp_path: Path) -> None:
    cache = ContentCache(tmp_path)
    path = cache.path(HELLO_MD5)
    assert path == tmp_path / "artifacts/obj/md5" / HELLO_HEX[:2] / HELLO_HEX[2:]
    assert cache.get(HELLO_MD5, 12) is None
    with atomically_replaced(cache.path(HELLO_MD5)) as part:
        part.write_bytes(HELLO)
    assert cache.get(HELLO_MD5, 12) == path and cache.get(HELLO_MD5, 13) is None
    assert path.read_bytes() == HELLO


def test_a_failed_cache_write_leaves_nothing(tmp_path: Path) -> None:
    cache = ContentCache(tmp_path)

    with (
        pytest.raises(OSError, match="disk full"),
        atomically_replaced(cache.path(HELLO_MD5)) as part,
    ):
        part.write_bytes(b"partial")
        raise OSError("disk full")
    assert cache.get(HELLO_MD5, None) is None
    assert list(cache.path(HELLO_MD5).parent.iterdir()) == []
