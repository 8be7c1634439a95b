"""Run files: rows in `files`, bytes in the store's files directory under the row id."""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import sqlite3
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from runsapi.server._constants import STORAGE_PATH
from runsapi.server._ids import decode_row_cursor, encode_id, row_page
from runsapi.server._signing import Signer
from runsapi.server._store import Store
from runsapi.server._time import now

FileRecord = dict[str, Any]

_COLUMNS = "id, name, size_bytes, md5, mimetype, updated_at"
# Where a run file's bytes are PUT through a URL the server signed (no API key), as the
# official client uploads them: `{UPLOAD_PATH}/{file row id}`.
UPLOAD_PATH = STORAGE_PATH + "/files"


def file_url(base_url: str, entity: str, project: str, run: str, name: str) -> str:
    parts = "/".join(quote(part, safe="") for part in (entity, project, run))
    return f"{base_url}/files/{parts}/{quote(name, safe='/')}"


def signed_upload_url(signer: Signer, base_url: str, file_id: int) -> str:
    """A URL that takes a PUT of the file's bytes without an API key, for a while."""
    return signer.url(base_url, "PUT", f"{UPLOAD_PATH}/{file_id}")


def _record(row: tuple[Any, ...], url_prefix: str) -> FileRecord:
    url = f"{url_prefix}/{quote(row[1], safe='/')}"
    return {
        "_row": row[0],
        "id": encode_id("File", row[0]),
        "name": row[1],
        "displayName": row[1].rsplit("/", 1)[-1],
        "url": url,
        "directUrl": url,
        "uploadUrl": url,
        "sizeBytes": row[2],
        "md5": row[3],
        "digest": row[3],
        "mimetype": row[4],
        "updatedAt": row[5],
        "storagePath": None,
    }


def count_files(conn: sqlite3.Connection, run_id: int) -> int:
    (count,) = conn.execute("SELECT count(*) FROM files WHERE run_id = ?", (run_id,)).fetchone()
    return int(count)


def list_files(
    conn: sqlite3.Connection,
    run_id: int,
    url_prefix: str,
    *,
    names: Sequence[str | None] | None,
    pattern: str | None,
    after: str | None,
    first: int,
) -> tuple[list[tuple[FileRecord, str]], bool]:
    """A page of (file, cursor) in creation order; `pattern` is SQL LIKE syntax."""
    where = "run_id = ? AND id > ?"
    params: list[Any] = [run_id, decode_row_cursor(after)]
    wanted = [name for name in names or () if name is not None]
    if wanted:
        where += f" AND name IN ({','.join('?' * len(wanted))})"
        params += wanted
    if pattern is not None:
        where += " AND name LIKE ?"
        params.append(pattern)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM files WHERE {where} ORDER BY id LIMIT ?", [*params, first + 1]
    ).fetchall()
    return row_page(rows, first, lambda row: _record(row, url_prefix))


def files_by_name(
    conn: sqlite3.Connection,
    run_id: int,
    names: Sequence[str],
    url_prefix: str,
    *,
    at: str | None = None,
) -> list[FileRecord]:
    """The named files of a run, created (empty) where missing, in the order given."""
    stamp = at or now()
    conn.executemany(
        "INSERT OR IGNORE INTO files (run_id, name, mimetype, updated_at) VALUES (?, ?, ?, ?)",
        [(run_id, name, mimetypes.guess_type(name)[0], stamp) for name in names],
    )
    records = []
    for name in names:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM files WHERE run_id = ? AND name = ?", (run_id, name)
        ).fetchone()
        records.append(_record(row, url_prefix))
    return records


def write_file(
    store: Store, conn: sqlite3.Connection, file_id: int, data: bytes, *, at: str | None = None
) -> None:
    """Store the bytes of a file row (inside the caller's transaction)."""
    path = store.file_path(file_id)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(data)
    temporary.replace(path)
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    conn.execute(
        "UPDATE files SET size_bytes = ?, md5 = ?, updated_at = ? WHERE id = ?",
        (len(data), md5, at or now(), file_id),
    )


def upload(store: Store, file_id: int, data: bytes) -> bool:
    """Store the bytes PUT to a signed upload URL; False once the file (or its run) is
    gone."""
    with store.write() as conn:
        if conn.execute("SELECT 1 FROM files WHERE id = ?", (file_id,)).fetchone() is None:
            return False
        write_file(store, conn, file_id, data)
    return True


def find_file(conn: sqlite3.Connection, run_id: int, name: str) -> int | None:
    row = conn.execute(
        "SELECT id FROM files WHERE run_id = ? AND name = ?", (run_id, name)
    ).fetchone()
    return None if row is None else int(row[0])


def file_owner(conn: sqlite3.Connection, file_id: int) -> int | None:
    """The entity id owning a file, for access checks."""
    row = conn.execute(
        "SELECT projects.entity_id FROM files JOIN runs ON runs.id = files.run_id"
        " JOIN projects ON projects.id = runs.project_id WHERE files.id = ?",
        (file_id,),
    ).fetchone()
    return None if row is None else int(row[0])


def delete_file_rows(conn: sqlite3.Connection, file_ids: Sequence[int]) -> None:
    conn.executemany("DELETE FROM files WHERE id = ?", [(file_id,) for file_id in file_ids])


def remove_bytes(store: Store, file_ids: Sequence[int]) -> None:
    """Remove stored bytes (after the deleting transaction committed)."""
    for file_id in file_ids:
        store.file_path(file_id).unlink(missing_ok=True)
