"""Artifact content: each version's manifest and its entries (`artifact_files`, the
version's files), as File nodes with signed URLs to their bytes (blobs, _artifact_blobs.py).
"""

from __future__ import annotations

import json
import mimetypes
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from runsapi._shared.manifest import ManifestEntry, base64_to_hex, load_manifest, md5_base64
from runsapi.server import _artifact_blobs
from runsapi.server._constants import ARTIFACT_BLOBS_DIR, MANIFEST_UPLOAD_HEADERS, STORAGE_PATH
from runsapi.server._ids import BadIdError, decode_id, decode_text_cursor, encode_id, row_page
from runsapi.server._jsontext import dumps
from runsapi.server._signing import Signer
from runsapi.server._store import Store

Record = dict[str, Any]


class NotPendingError(RuntimeError):
    """The version is committed: its manifest and files can no longer change."""


def manifest_url_path(manifest_id: int) -> str:
    return f"{STORAGE_PATH}/manifests/{manifest_id}"


_MANIFEST_COLUMNS = (
    "artifact_manifests.id, artifact_manifests.artifact_id, artifact_manifests.name,"
    " artifact_manifests.digest, artifact_manifests.type, artifact_manifests.md5,"
    " artifact_blobs.size, artifact_blobs.created_at FROM artifact_manifests"
    " LEFT JOIN artifact_blobs ON artifact_blobs.md5 = artifact_manifests.md5"
)


def _manifest_record(row: tuple[Any, ...] | None) -> Record | None:
    if row is None:
        return None
    return {
        "_row": row[0],
        "_artifact_row": row[1],
        "id": encode_id("ArtifactManifest", row[0]),
        "name": row[2],
        "digest": row[3],
        "type": row[4],
        "md5": row[5],
        "size": row[6],
        "uploadedAt": row[7],
    }


def manifest_of(conn: sqlite3.Connection, artifact_id: int) -> Record | None:
    row = conn.execute(
        f"SELECT {_MANIFEST_COLUMNS} WHERE artifact_manifests.artifact_id = ?", (artifact_id,)
    ).fetchone()
    return _manifest_record(row)


def manifest_by_row(conn: sqlite3.Connection, manifest_id: int) -> Record | None:
    row = conn.execute(
        f"SELECT {_MANIFEST_COLUMNS} WHERE artifact_manifests.id = ?", (manifest_id,)
    ).fetchone()
    return _manifest_record(row)


def save_manifest(
    conn: sqlite3.Connection, artifact_id: int, *, name: str, digest: str, manifest_type: str
) -> int:
    """The version's manifest row, created or (one per version) updated; its id."""
    (manifest_id,) = conn.execute(
        "INSERT INTO artifact_manifests (artifact_id, name, digest, type) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (artifact_id) DO UPDATE SET name = excluded.name,"
        " digest = excluded.digest, type = excluded.type RETURNING id",
        (artifact_id, name, digest, manifest_type),
    ).fetchone()
    return int(manifest_id)


def set_manifest_digest(conn: sqlite3.Connection, manifest_id: int, digest: str) -> None:
    conn.execute("UPDATE artifact_manifests SET digest = ? WHERE id = ?", (digest, manifest_id))


def upload_manifest(store: Store, manifest_id: int, data: bytes, *, at: str | None = None) -> None:
    """Store a version's uploaded manifest and make its entries the version's files.

    LookupError: no such manifest; ValueError: not a manifest, or not the one announced
    (its base64 MD5 was given as the manifest's digest); NotPendingError: committed."""
    entries = load_manifest(data)
    manifest = manifest_by_row(store.connection(), manifest_id)
    if manifest is None:
        raise LookupError(f"no artifact manifest {manifest_id}")
    md5 = md5_base64(data)
    if manifest["digest"] and manifest["digest"] != md5:
        raise ValueError(
            f"the uploaded manifest does not match: its MD5 is {md5}, the manifest's digest"
            f" is {manifest['digest']}"
        )
    artifact_id = manifest["_artifact_row"]
    _require_pending(store.connection(), artifact_id)
    _artifact_blobs.store_blob(store, data, birth_artifact_id=artifact_id, at=at)
    with store.write() as conn:
        _require_pending(conn, artifact_id)
        conn.execute("UPDATE artifact_manifests SET md5 = ? WHERE id = ?", (md5, manifest_id))
        _replace_entries(conn, artifact_id, entries)


def _require_pending(conn: sqlite3.Connection, artifact_id: int) -> None:
    row = conn.execute("SELECT state FROM artifacts WHERE id = ?", (artifact_id,)).fetchone()
    if row is None:
        raise LookupError(f"no artifact {artifact_id}")
    if row[0] != "PENDING":
        raise NotPendingError(f"the artifact version is {row[0]}: its content cannot change")


def _artifact_row(artifact_id: str | None) -> int | None:
    if artifact_id is None:
        return None
    try:
        return decode_id("Artifact", artifact_id)
    except BadIdError:
        return None  # another server's id


def _replace_entries(
    conn: sqlite3.Connection, artifact_id: int, entries: Sequence[ManifestEntry]
) -> None:
    """The version's files become exactly `entries` (rows of kept paths keep their ids)."""
    conn.execute(
        "DELETE FROM artifact_files WHERE artifact_id = ?"
        " AND path NOT IN (SELECT value FROM json_each(?))",
        (artifact_id, json.dumps([entry.path for entry in entries])),
    )
    conn.executemany(
        "INSERT INTO artifact_files (artifact_id, path, digest, size, ref, birth_artifact_id,"
        " extra) VALUES (?, ?, ?, ?, ?, (SELECT id FROM artifacts WHERE id = ?), ?)"
        " ON CONFLICT (artifact_id, path) DO UPDATE SET digest = excluded.digest,"
        " size = excluded.size, ref = excluded.ref,"
        " birth_artifact_id = excluded.birth_artifact_id, extra = excluded.extra",
        [
            (
                artifact_id,
                entry.path,
                entry.digest,
                entry.size,
                entry.ref,
                _artifact_row(entry.birth_artifact_id),
                dumps(dict(entry.extra)),
            )
            for entry in entries
        ],
    )


def manifest_file(manifest: Record, signer: Signer, base_url: str) -> Record:
    """The manifest as a File: where to upload it, and (once uploaded) to download it."""
    path = manifest_url_path(manifest["_row"])
    url = signer.url(base_url, "GET", path)
    return {
        "id": encode_id("ArtifactManifestFile", manifest["_row"]),
        "name": manifest["name"],
        "displayName": manifest["name"],
        "url": url,
        "directUrl": url,
        "sizeBytes": manifest["size"] or 0,
        "md5": manifest["md5"],
        "digest": manifest["md5"],
        "mimetype": "application/json",
        "updatedAt": manifest["uploadedAt"],
        "storagePath": None,
        "uploadUrl": signer.url(base_url, "PUT", path),
        "uploadHeaders": list(MANIFEST_UPLOAD_HEADERS),
        "uploadMultipartUrls": None,
    }


def read_manifest(store: Store, manifest_id: int) -> bytes | None:
    """An uploaded manifest's bytes, or None."""
    manifest = manifest_by_row(store.connection(), manifest_id)
    if manifest is None or manifest["md5"] is None:
        return None
    return _artifact_blobs.read_blob(store, base64_to_hex(manifest["md5"]))


# -- a version's files --------------------------------------------------------------------

_FILE_COLUMNS = (
    "artifact_files.path, artifact_files.id, artifact_files.digest,"
    " coalesce(artifact_files.size, artifact_blobs.size, 0),"
    " coalesce(artifact_files.birth_artifact_id, artifact_blobs.birth_artifact_id),"
    " artifact_blobs.created_at, artifact_blobs.md5 IS NOT NULL,"
    " artifact_blobs.birth_artifact_id FROM artifact_files"
    " LEFT JOIN artifact_blobs ON artifact_blobs.md5 = artifact_files.digest"
)


def _file_record(row: tuple[Any, ...], signer: Signer, base_url: str) -> Record:
    path, md5 = row[0], row[2]
    hex_md5 = base64_to_hex(md5)
    url = signer.url(base_url, "GET", _artifact_blobs.blob_url_path(hex_md5))
    return {
        "id": encode_id("ArtifactFile", row[1]),
        "name": path,
        "displayName": path,
        "url": url,
        "directUrl": url,
        "sizeBytes": row[3],
        "md5": md5,
        "digest": md5,
        "mimetype": mimetypes.guess_type(path)[0],
        "updatedAt": row[5],
        "storagePath": f"{ARTIFACT_BLOBS_DIR}/{hex_md5}",
        "uploadUrl": None,
        "uploadHeaders": [f"Content-MD5:{md5}"],
        "uploadMultipartUrls": None,
        "_birth_row": row[4],
    }


def register_files(
    conn: sqlite3.Connection,
    artifact_id: int,
    specs: Sequence[tuple[str, str]],
    signer: Signer,
    base_url: str,
    *,
    can_reuse: Callable[[int], bool],
) -> list[Record]:
    """Files (path, base64 MD5) of a PENDING version as File nodes, in the order given.

    A file whose content the server stores, first uploaded by a version for which
    `can_reuse` is true (one the viewer can see), has no upload URL and that version as
    its `artifact`; any other gets a signed PUT URL and this version. Before the manifest
    is uploaded the files are recorded as the version's; after, they must be among its
    entries with the same content."""
    _require_pending(conn, artifact_id)
    manifest = manifest_of(conn, artifact_id)
    if manifest is not None and manifest["md5"] is not None:
        _check_against_manifest(conn, artifact_id, specs)
    else:
        conn.executemany(
            "INSERT INTO artifact_files (artifact_id, path, digest) VALUES (?, ?, ?)"
            " ON CONFLICT (artifact_id, path) DO UPDATE SET digest = excluded.digest",
            [(artifact_id, path, md5) for path, md5 in specs],
        )
    records = []
    for path, md5 in specs:
        row = conn.execute(
            f"SELECT {_FILE_COLUMNS} WHERE artifact_files.artifact_id = ?"
            " AND artifact_files.path = ?",
            (artifact_id, path),
        ).fetchone()
        record = _file_record(row, signer, base_url)
        birth = row[7]
        if row[6] and birth is not None and can_reuse(birth):
            record["_birth_row"] = birth
        else:
            record["_birth_row"] = artifact_id
            record["uploadUrl"] = signer.url(
                base_url,
                "PUT",
                _artifact_blobs.blob_url_path(base64_to_hex(md5)),
                {"artifact": str(artifact_id)},
            )
        records.append(record)
    return records


def _check_against_manifest(
    conn: sqlite3.Connection, artifact_id: int, specs: Sequence[tuple[str, str]]
) -> None:
    for path, md5 in specs:
        row = conn.execute(
            "SELECT digest FROM artifact_files WHERE artifact_id = ? AND path = ?",
            (artifact_id, path),
        ).fetchone()
        if row is None:
            raise ValueError(f"{path!r} is not in the artifact's uploaded manifest")
        if row[0] != md5:
            raise ValueError(f"{path!r} has digest {row[0]} in the artifact's manifest, not {md5}")


def list_files(
    conn: sqlite3.Connection,
    artifact_id: int,
    signer: Signer,
    base_url: str,
    *,
    names: Sequence[str | None] | None,
    after: str | None,
    first: int,
) -> tuple[list[tuple[Record, str]], bool, int]:
    """A page of a version's stored files (not references) in path order, whether more
    follow, and how many there are (of `names`, when given)."""
    where = "artifact_files.artifact_id = ? AND artifact_files.ref IS NULL"
    params: list[Any] = [artifact_id]
    if names is not None:
        where += " AND artifact_files.path IN (SELECT value FROM json_each(?))"
        params.append(json.dumps([name for name in names if name is not None]))
    start = decode_text_cursor(after)
    rows = conn.execute(
        f"SELECT {_FILE_COLUMNS} WHERE {where} AND (? IS NULL OR artifact_files.path > ?)"
        " ORDER BY artifact_files.path LIMIT ?",
        [*params, start, start, first + 1],
    ).fetchall()
    (total,) = conn.execute(f"SELECT count(*) FROM artifact_files WHERE {where}", params).fetchone()
    edges, has_next = row_page(rows, first, lambda row: _file_record(row, signer, base_url))
    return edges, has_next, int(total)


def entry_digests(conn: sqlite3.Connection, artifact_id: int) -> dict[str, str]:
    """`{path: digest}` of every entry of a version, references included."""
    return dict(
        conn.execute(
            "SELECT path, digest FROM artifact_files WHERE artifact_id = ?", (artifact_id,)
        ).fetchall()
    )


def entry_totals(conn: sqlite3.Connection, artifact_id: int) -> tuple[int, int]:
    """(the sum of the entries' sizes, how many entries) of a version."""
    size, count = conn.execute(
        "SELECT coalesce(sum(size), 0), count(*) FROM artifact_files WHERE artifact_id = ?",
        (artifact_id,),
    ).fetchone()
    return int(size), int(count)


def missing_files(conn: sqlite3.Connection, artifact_id: int) -> list[str]:
    """The paths of a version's stored entries whose content was not uploaded."""
    return [
        path
        for (path,) in conn.execute(
            "SELECT artifact_files.path FROM artifact_files"
            " LEFT JOIN artifact_blobs ON artifact_blobs.md5 = artifact_files.digest"
            " WHERE artifact_files.artifact_id = ? AND artifact_files.ref IS NULL"
            " AND artifact_blobs.md5 IS NULL ORDER BY artifact_files.path",
            (artifact_id,),
        )
    ]
