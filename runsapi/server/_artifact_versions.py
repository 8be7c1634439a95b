"""Writing artifact versions: created PENDING, committed (numbered, given `latest` and
`v<N>`), re-aliased, re-tagged, updated and deleted.

An alias names one version of a collection: setting it on a version takes it from any
other. A collection numbers its commits from `next_version`, so a deleted version's
number is never given again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from runsapi._shared.artifact_names import LATEST, version_alias
from runsapi._shared.manifest import artifact_digest
from runsapi.server import _artifact_storage
from runsapi.server._constants import MISSING_FILES_NAMED
from runsapi.server._time import now


def ensure_sequence(conn: sqlite3.Connection, project_id: int, name: str, type_name: str) -> int:
    """The collection `name` of a project, created if missing; ValueError if it exists
    with another type."""
    conn.execute(
        "INSERT OR IGNORE INTO artifact_sequences (project_id, name, type_name) VALUES (?, ?, ?)",
        (project_id, name, type_name),
    )
    sequence_id, existing = conn.execute(
        "SELECT id, type_name FROM artifact_sequences WHERE project_id = ? AND name = ?",
        (project_id, name),
    ).fetchone()
    if existing != type_name:
        raise ValueError(
            f"artifact {name!r} is of type {existing!r}, not {type_name!r}; log it under"
            f" another name or with type {existing!r}"
        )
    return int(sequence_id)


def committed_with_digest(conn: sqlite3.Connection, sequence_id: int, digest: str) -> int | None:
    """The newest COMMITTED version of a collection with this digest, if any."""
    row = conn.execute(
        "SELECT id FROM artifacts WHERE sequence_id = ? AND digest = ? AND state = 'COMMITTED'"
        " ORDER BY version_index DESC LIMIT 1",
        (sequence_id, digest),
    ).fetchone()
    return None if row is None else int(row[0])


def create_version(
    conn: sqlite3.Connection,
    sequence_id: int,
    *,
    digest: str,
    description: str | None,
    metadata: str,
    history_step: int | None,
    tag_names: Iterable[str],
    aliases: Iterable[str],
    at: str | None = None,
) -> int:
    """A new PENDING version (no number yet); `aliases` wait for its commit."""
    stamp = at or now()
    cursor = conn.execute(
        "INSERT INTO artifacts (sequence_id, version_index, description, metadata, digest,"
        " state, history_step, created_at, updated_at)"
        " VALUES (?, NULL, ?, ?, ?, 'PENDING', ?, ?, ?)",
        (sequence_id, description, metadata, digest, history_step, stamp, stamp),
    )
    artifact_id = int(cursor.lastrowid or 0)
    add_tags(conn, artifact_id, tag_names)
    conn.executemany(
        "INSERT OR IGNORE INTO artifact_pending_aliases (artifact_id, alias) VALUES (?, ?)",
        [(artifact_id, alias) for alias in aliases],
    )
    return artifact_id


def commit(conn: sqlite3.Connection, artifact_id: int, *, at: str | None = None) -> None:
    """Commit a PENDING version (a no-op for a COMMITTED one): its manifest was uploaded,
    every file it names is stored and its entries give the version's digest. The version
    gets the collection's next number, `latest`, `v<N>` and the aliases asked for."""
    state, sequence_id, digest = conn.execute(
        "SELECT state, sequence_id, digest FROM artifacts WHERE id = ?", (artifact_id,)
    ).fetchone()
    if state == "COMMITTED":
        return
    manifest = _artifact_storage.manifest_of(conn, artifact_id)
    if manifest is None or manifest["md5"] is None:
        raise ValueError("the artifact's manifest was not uploaded; upload it, then commit")
    missing = _artifact_storage.missing_files(conn, artifact_id)
    if missing:
        named = ", ".join(repr(path) for path in missing[:MISSING_FILES_NAMED])
        more = len(missing) - MISSING_FILES_NAMED
        raise ValueError(
            f"the artifact's files were not all uploaded: {named}"
            + (f" and {more} more" if more > 0 else "")
        )
    computed = artifact_digest(_artifact_storage.entry_digests(conn, artifact_id))
    if computed != digest:
        raise ValueError(
            f"the manifest's entries give digest {computed}, but the artifact was created"
            f" with digest {digest}"
        )
    size, file_count = _artifact_storage.entry_totals(conn, artifact_id)
    (index,) = conn.execute(
        "UPDATE artifact_sequences SET next_version = next_version + 1 WHERE id = ?"
        " RETURNING next_version - 1",
        (sequence_id,),
    ).fetchone()
    conn.execute(
        "UPDATE artifacts SET version_index = ?, state = 'COMMITTED', size = ?, file_count = ?,"
        " updated_at = ? WHERE id = ?",
        (index, size, file_count, at or now(), artifact_id),
    )
    pending = [
        alias
        for (alias,) in conn.execute(
            "DELETE FROM artifact_pending_aliases WHERE artifact_id = ? RETURNING alias",
            (artifact_id,),
        ).fetchall()
    ]
    for alias in (LATEST, version_alias(index), *sorted(pending)):
        set_alias(conn, artifact_id, alias)


def set_alias(conn: sqlite3.Connection, artifact_id: int, alias: str) -> None:
    """Put `alias` on a version, taking it from any other version of its collection."""
    conn.execute(
        "DELETE FROM artifact_aliases WHERE alias = ? AND artifact_id IN (SELECT id FROM"
        " artifacts WHERE sequence_id = (SELECT sequence_id FROM artifacts WHERE id = ?))",
        (alias, artifact_id),
    )
    conn.execute(
        "INSERT INTO artifact_aliases (artifact_id, alias) VALUES (?, ?)", (artifact_id, alias)
    )


def remove_alias(conn: sqlite3.Connection, artifact_id: int, alias: str) -> None:
    conn.execute(
        "DELETE FROM artifact_aliases WHERE artifact_id = ? AND alias = ?", (artifact_id, alias)
    )


def alias_names(conn: sqlite3.Connection, artifact_id: int) -> list[str]:
    return [
        alias
        for (alias,) in conn.execute(
            "SELECT alias FROM artifact_aliases WHERE artifact_id = ? ORDER BY id", (artifact_id,)
        )
    ]


def add_tags(conn: sqlite3.Connection, artifact_id: int, names: Iterable[str]) -> None:
    """Tag a version (tags it has already are kept once)."""
    conn.executemany(
        "INSERT INTO artifact_tags (artifact_id, name) SELECT ?, ? WHERE NOT EXISTS"
        " (SELECT 1 FROM artifact_tags WHERE artifact_id = ? AND name = ?)",
        [(artifact_id, name, artifact_id, name) for name in names],
    )


def remove_tags(conn: sqlite3.Connection, artifact_id: int, names: Iterable[str]) -> None:
    conn.executemany(
        "DELETE FROM artifact_tags WHERE artifact_id = ? AND name = ?",
        [(artifact_id, name) for name in names],
    )


# UpdateArtifactInput fields stored as plain columns.
_UPDATABLE = {"description": "description", "metadata": "metadata"}


def update_version(
    conn: sqlite3.Connection, artifact_id: int, fields: Mapping[str, Any], *, at: str | None = None
) -> None:
    """Set the description and metadata present in `fields` (metadata as stored text)."""
    updates = {column: fields[key] for key, column in _UPDATABLE.items() if key in fields}
    assignments = "".join(f"{column} = ?, " for column in updates)
    conn.execute(
        f"UPDATE artifacts SET {assignments}updated_at = ? WHERE id = ?",
        [*updates.values(), at or now(), artifact_id],
    )


def delete_versions(conn: sqlite3.Connection, artifact_ids: Iterable[int]) -> None:
    """Delete versions (with their aliases, tags, links and entries; blobs stay, shared);
    a collection whose `latest` went with them gets it back on its newest version."""
    ids = list(artifact_ids)
    sequences = {
        int(sequence_id)
        for artifact_id in ids
        for (sequence_id,) in conn.execute(
            "SELECT sequence_id FROM artifacts WHERE id = ?", (artifact_id,)
        )
    }
    conn.executemany("DELETE FROM artifacts WHERE id = ?", [(artifact_id,) for artifact_id in ids])
    for sequence_id in sequences:
        held = conn.execute(
            "SELECT 1 FROM artifact_aliases JOIN artifacts ON artifacts.id ="
            " artifact_aliases.artifact_id WHERE artifacts.sequence_id = ? AND alias = ?",
            (sequence_id, LATEST),
        ).fetchone()
        newest = conn.execute(
            "SELECT id FROM artifacts WHERE sequence_id = ? AND state = 'COMMITTED'"
            " ORDER BY version_index DESC LIMIT 1",
            (sequence_id,),
        ).fetchone()
        if held is None and newest is not None:
            set_alias(conn, int(newest[0]), LATEST)
