"""Artifact blobs: content by MD5, shared by every version that has it, never deleted.

A blob's bytes are at `<files dir>/artifacts/<hex md5>`, written before its row
(`artifact_blobs`, keyed by the base64 MD5), so that a row always has its bytes.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from runsapi._shared.manifest import base64_to_hex, hex_to_base64, md5_base64
from runsapi.server._constants import ARTIFACT_BLOBS_DIR, STORAGE_PATH
from runsapi.server._store import Store
from runsapi.server._time import now


def blob_url_path(hex_md5: str) -> str:
    return f"{STORAGE_PATH}/artifacts/{hex_md5}"


def _blob_file(store: Store, hex_md5: str) -> Path:
    return store.files_dir / ARTIFACT_BLOBS_DIR / hex_md5


def has_blob(conn: sqlite3.Connection, md5: str) -> bool:
    return conn.execute("SELECT 1 FROM artifact_blobs WHERE md5 = ?", (md5,)).fetchone() is not None


def blob_birth(conn: sqlite3.Connection, md5: str) -> int | None:
    """The version that first uploaded a blob (None if gone, or no such blob)."""
    row = conn.execute(
        "SELECT birth_artifact_id FROM artifact_blobs WHERE md5 = ?", (md5,)
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def store_blob(
    store: Store, data: bytes, *, birth_artifact_id: int | None, at: str | None = None
) -> str:
    """Keep `data` under its MD5 (once: a no-op when stored already); its base64 MD5.

    Concurrent stores of the same content each write a temporary file and rename it onto
    the same name, then insert the same row, which the first one wins. The birth artifact
    is the version that uploaded the bytes first (none if it is deleted meanwhile)."""
    md5 = md5_base64(data)
    if has_blob(store.connection(), md5):
        return md5
    path = _blob_file(store, base64_to_hex(md5))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    with store.write() as conn:
        conn.execute(
            "INSERT OR IGNORE INTO artifact_blobs (md5, size, birth_artifact_id, created_at)"
            " VALUES (?, ?, (SELECT id FROM artifacts WHERE id = ?), ?)",
            (md5, len(data), birth_artifact_id, at or now()),
        )
    return md5


def upload_blob(store: Store, hex_md5: str, data: bytes, artifact_id: int) -> None:
    """Store uploaded bytes; ValueError if they are not the content their URL names."""
    actual = base64_to_hex(md5_base64(data))
    if actual != hex_md5:
        raise ValueError(
            f"the uploaded content does not match its URL: its MD5 is {actual}, the URL names"
            f" {hex_md5}"
        )
    store_blob(store, data, birth_artifact_id=artifact_id)


def read_blob(store: Store, hex_md5: str) -> bytes | None:
    """A blob's bytes, or None when no blob has this MD5."""
    try:
        md5 = hex_to_base64(hex_md5)
    except ValueError:
        return None
    if not has_blob(store.connection(), md5):
        return None
    return _blob_file(store, hex_md5).read_bytes()
