"""W&B's artifact manifest (version 1) and digests, as the client writes them and the server checks.

A file entry's `digest` is the base64 MD5 of its bytes; a reference entry's is what the
reference's store says (an ETag, or the URI itself). The artifact's digest is the hex MD5
of `wandb-artifact-manifest-v1\\n` followed by `path:digest\\n` for every entry, in path
order. Caches and storage paths use the hex form of a file's MD5.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

MANIFEST_VERSION = 1
MANIFEST_FILE_NAME = "wandb_manifest.json"
STORAGE_POLICY = "wandb-storage-policy-v1"
_DIGEST_HEADER = "wandb-artifact-manifest-v1\n"
_CHUNK = 1 << 20


def md5_base64(data: bytes) -> str:
    """The base64 MD5 of `data`: a file entry's digest."""
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def md5_base64_of(stream: IO[bytes]) -> str:
    """The base64 MD5 of everything left in `stream`, read a chunk at a time."""
    digest = hashlib.md5(usedforsecurity=False)
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        digest.update(chunk)
    return base64.b64encode(digest.digest()).decode()


def base64_to_hex(digest: str) -> str:
    """`b1kCrCNwJL3QwXbLkwY9xA==` -> `6f5902ac237024bdd0c176cb93063dc4`; ValueError if
    `digest` is not the base64 form of an MD5."""
    try:
        raw = base64.b64decode(digest, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"{digest!r} is not a base64 MD5 digest") from exc
    if len(raw) != 16:
        raise ValueError(f"{digest!r} is not a base64 MD5 digest")
    return raw.hex()


def is_md5(digest: str) -> bool:
    """Whether `digest` is a base64 MD5 (a reference's digest may be an ETag or a URI)."""
    try:
        base64_to_hex(digest)
    except ValueError:
        return False
    return True


def hex_to_base64(digest: str) -> str:
    """The inverse of `base64_to_hex`; ValueError if `digest` is not 32 hex digits."""
    try:
        raw = bytes.fromhex(digest)
    except ValueError as exc:
        raise ValueError(f"{digest!r} is not a hex MD5 digest") from exc
    if len(raw) != 16:
        raise ValueError(f"{digest!r} is not a hex MD5 digest")
    return base64.b64encode(raw).decode()


def artifact_digest(digests: Mapping[str, str]) -> str:
    """The artifact's digest from its entries' `{path: digest}`."""
    text = _DIGEST_HEADER + "".join(f"{path}:{digests[path]}\n" for path in sorted(digests))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class ManifestEntry:
    """One path of an artifact: stored content (`ref` None) or a reference to a URI."""

    path: str
    digest: str
    size: int | None = None
    ref: str | None = None
    birth_artifact_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_reference(self) -> bool:
        return self.ref is not None

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"digest": self.digest}
        if self.ref is not None:
            entry["ref"] = self.ref
        if self.birth_artifact_id is not None:
            entry["birthArtifactID"] = self.birth_artifact_id
        if self.size is not None:
            entry["size"] = self.size
        if self.extra:
            entry["extra"] = dict(self.extra)
        return entry


def dump_manifest(entries: Iterable[ManifestEntry]) -> bytes:
    """The manifest file's bytes (entries in path order, compact JSON)."""
    contents = {entry.path: entry.to_json() for entry in sorted(entries, key=lambda e: e.path)}
    document = {
        "version": MANIFEST_VERSION,
        "storagePolicy": STORAGE_POLICY,
        "storagePolicyConfig": {"storageLayout": "V2"},
        "contents": contents,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def load_manifest(data: bytes | str) -> list[ManifestEntry]:
    """The entries of a version 1 manifest, in path order; ValueError naming what is wrong."""
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise ValueError(f"the artifact manifest is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ValueError("the artifact manifest is not a JSON object")
    if document.get("version") != MANIFEST_VERSION:
        raise ValueError(
            f"artifact manifest version {document.get('version')!r} is not supported;"
            f" expected {MANIFEST_VERSION}"
        )
    contents = document.get("contents")
    if not isinstance(contents, dict):
        raise ValueError("the artifact manifest has no 'contents' object")
    return [_entry(path, raw) for path, raw in sorted(contents.items())]


def _entry(path: str, raw: Any) -> ManifestEntry:
    if not isinstance(raw, dict) or not isinstance(raw.get("digest"), str):
        raise ValueError(f"artifact manifest entry {path!r} has no digest")
    size = raw.get("size")
    ref = raw.get("ref")
    birth = raw.get("birthArtifactID")
    extra = raw.get("extra") or {}
    if (
        (size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0))
        or (ref is not None and not isinstance(ref, str))
        or (birth is not None and not isinstance(birth, str))
        or not isinstance(extra, dict)
    ):
        raise ValueError(f"artifact manifest entry {path!r} is malformed: {raw!r}")
    if extra.get("alg", "MD5") != "MD5":
        raise ValueError(
            f"artifact manifest entry {path!r} uses digest algorithm {extra['alg']!r}; only MD5"
            " is supported"
        )
    if ref is None:
        base64_to_hex(raw["digest"])
    return ManifestEntry(path, raw["digest"], size, ref, birth, extra)
