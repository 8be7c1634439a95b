"""Artifacts as read: versions in sequences (collections), types, aliases, tags, and the
runs that logged or used them. Versions are written by _artifact_versions.py, their
content by _artifact_storage.py."""

from __future__ import annotations

import sqlite3
from typing import Any

from runsapi.server._ids import decode_row_cursor, encode_id, row_page

ArtifactRecord = dict[str, Any]

_COLUMNS = (
    "artifacts.id, artifacts.sequence_id, artifacts.version_index, artifacts.description,"
    " artifacts.metadata, artifacts.size, artifacts.digest, artifacts.file_count,"
    " artifacts.state, artifacts.history_step, artifacts.created_at, artifacts.updated_at"
)


def _record(row: tuple[Any, ...]) -> ArtifactRecord:
    return {
        "_row": row[0],
        "_sequence_row": row[1],
        "id": encode_id("Artifact", row[0]),
        "versionIndex": row[2],
        "description": row[3],
        "metadata": row[4],
        "size": row[5],
        "digest": row[6],
        "digestAlgorithm": "MANIFEST_MD5",
        "fileCount": row[7],
        "state": row[8],
        "historyStep": row[9],
        "createdAt": row[10],
        "updatedAt": row[11],
        "commitHash": None,
        "ttlDurationSeconds": -1,
        "ttlIsInherited": True,
    }


def artifact_by_row(conn: sqlite3.Connection, artifact_id: int) -> ArtifactRecord | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM artifacts WHERE artifacts.id = ?", (artifact_id,)
    ).fetchone()
    return None if row is None else _record(row)


def list_run_artifacts(
    conn: sqlite3.Connection, run_id: int, direction: str, *, after: str | None, first: int
) -> tuple[list[tuple[ArtifactRecord, str]], bool, int]:
    """A page of (artifact, cursor), whether more follow, and the total count."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM run_artifacts"
        " JOIN artifacts ON artifacts.id = run_artifacts.artifact_id"
        " WHERE run_artifacts.run_id = ? AND run_artifacts.direction = ? AND artifacts.id > ?"
        " ORDER BY artifacts.id LIMIT ?",
        (run_id, direction, decode_row_cursor(after), first + 1),
    ).fetchall()
    (total,) = conn.execute(
        "SELECT count(*) FROM run_artifacts WHERE run_id = ? AND direction = ?", (run_id, direction)
    ).fetchone()
    return (*row_page(rows, first, _record), int(total))


_SEQUENCE_COLUMNS = (
    "artifact_sequences.id, artifact_sequences.project_id, artifact_sequences.name,"
    " artifact_sequences.type_name,"
    " (SELECT min(created_at) FROM artifacts WHERE sequence_id = artifact_sequences.id),"
    " (SELECT max(coalesce(updated_at, created_at)) FROM artifacts"
    " WHERE sequence_id = artifact_sequences.id)"
)


def _sequence_record(row: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "_row": row[0],
        "_project_row": row[1],
        "id": encode_id("ArtifactSequence", row[0]),
        "name": row[2],
        "_type": row[3],
        "description": None,
        "createdAt": row[4],
        "updatedAt": row[5],
        "digestAlgorithm": "MANIFEST_MD5",
    }


def sequence(conn: sqlite3.Connection, sequence_id: int) -> dict[str, Any]:
    row = conn.execute(
        f"SELECT {_SEQUENCE_COLUMNS} FROM artifact_sequences WHERE id = ?", (sequence_id,)
    ).fetchone()
    return _sequence_record(row)


def sequence_by_name(
    conn: sqlite3.Connection, project_id: int, name: str, type_name: str | None = None
) -> dict[str, Any] | None:
    """The collection `name` of a project (only if of type `type_name`, when given)."""
    row = conn.execute(
        f"SELECT {_SEQUENCE_COLUMNS} FROM artifact_sequences"
        " WHERE project_id = ? AND name = ? AND (? IS NULL OR type_name = ?)",
        (project_id, name, type_name, type_name),
    ).fetchone()
    return None if row is None else _sequence_record(row)


def list_sequences(
    conn: sqlite3.Connection,
    project_id: int,
    type_name: str | None,
    *,
    after: str | None,
    first: int,
) -> tuple[list[tuple[dict[str, Any], str]], bool, int]:
    """A page of a project's collections (of one type, when given), oldest first."""
    where = "project_id = ? AND (? IS NULL OR type_name = ?)"
    rows = conn.execute(
        f"SELECT {_SEQUENCE_COLUMNS} FROM artifact_sequences WHERE {where} AND id > ?"
        " ORDER BY id LIMIT ?",
        (project_id, type_name, type_name, decode_row_cursor(after), first + 1),
    ).fetchall()
    (total,) = conn.execute(
        f"SELECT count(*) FROM artifact_sequences WHERE {where}",
        (project_id, type_name, type_name),
    ).fetchone()
    return (*row_page(rows, first, _sequence_record), int(total))


_TYPE_QUERY = (
    "SELECT min(artifact_sequences.id), artifact_sequences.type_name, min(artifacts.created_at)"
    " FROM artifact_sequences JOIN artifacts ON artifacts.sequence_id = artifact_sequences.id"
    " WHERE artifact_sequences.project_id = ?"
)


def _type_record(row: tuple[Any, ...], project_id: int) -> dict[str, Any]:
    # Types have no table: a type exists while a collection of the project has it, and
    # takes its id from the first such collection.
    return {
        "id": encode_id("ArtifactType", row[0]),
        "name": row[1],
        "description": None,
        "createdAt": row[2],
        "_project_row": project_id,
    }


def artifact_type(conn: sqlite3.Connection, project_id: int, name: str) -> dict[str, Any] | None:
    row = conn.execute(
        f"{_TYPE_QUERY} AND artifact_sequences.type_name = ? GROUP BY artifact_sequences.type_name",
        (project_id, name),
    ).fetchone()
    return None if row is None else _type_record(row, project_id)


def list_artifact_types(
    conn: sqlite3.Connection, project_id: int, *, after: str | None, first: int
) -> tuple[list[tuple[dict[str, Any], str]], bool]:
    """A page of a project's artifact types, in the order they first appeared."""
    rows = conn.execute(
        f"{_TYPE_QUERY} GROUP BY artifact_sequences.type_name HAVING min(artifact_sequences.id) > ?"
        " ORDER BY min(artifact_sequences.id) LIMIT ?",
        (project_id, decode_row_cursor(after), first + 1),
    ).fetchall()
    return row_page(rows, first, lambda row: _type_record(row, project_id))


def artifact_by_alias(
    conn: sqlite3.Connection, sequence_id: int, alias: str
) -> ArtifactRecord | None:
    """The version of a collection that `alias` (`latest`, `v3`, or any other) names."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM artifact_aliases"
        " JOIN artifacts ON artifacts.id = artifact_aliases.artifact_id"
        " WHERE artifacts.sequence_id = ? AND artifact_aliases.alias = ?",
        (sequence_id, alias),
    ).fetchone()
    return None if row is None else _record(row)


def list_versions(
    conn: sqlite3.Connection,
    sequence_id: int,
    *,
    state: str | None,
    after: str | None,
    first: int,
) -> tuple[list[tuple[ArtifactRecord, str]], bool, int]:
    """A page of a collection's numbered versions (in one state, when given), oldest
    first: a PENDING version is not one of them until it is committed."""
    where = "sequence_id = ? AND version_index IS NOT NULL AND (? IS NULL OR state = ?)"
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM artifacts WHERE {where} AND artifacts.id > ?"
        " ORDER BY artifacts.id LIMIT ?",
        (sequence_id, state, state, decode_row_cursor(after), first + 1),
    ).fetchall()
    (total,) = conn.execute(
        f"SELECT count(*) FROM artifacts WHERE {where}", (sequence_id, state, state)
    ).fetchone()
    return (*row_page(rows, first, _record), int(total))


def linked_runs(conn: sqlite3.Connection, artifact_id: int, direction: str) -> list[int]:
    """The runs that logged (`output`) or used (`input`) an artifact, by row id."""
    return [
        int(run_id)
        for (run_id,) in conn.execute(
            "SELECT run_id FROM run_artifacts WHERE artifact_id = ? AND direction = ?"
            " ORDER BY run_id",
            (artifact_id, direction),
        )
    ]


def latest_in_sequence(conn: sqlite3.Connection, sequence_id: int) -> ArtifactRecord | None:
    """The newest committed version of a collection."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM artifacts WHERE sequence_id = ? AND state = 'COMMITTED'"
        " ORDER BY version_index DESC LIMIT 1",
        (sequence_id,),
    ).fetchone()
    return None if row is None else _record(row)


def aliases(conn: sqlite3.Connection, artifact_id: int) -> list[dict[str, Any]]:
    return [
        {"id": encode_id("ArtifactAlias", row_id), "alias": alias, "_artifact_row": artifact_id}
        for row_id, alias in conn.execute(
            "SELECT id, alias FROM artifact_aliases WHERE artifact_id = ? ORDER BY id",
            (artifact_id,),
        )
    ]


def tags(conn: sqlite3.Connection, artifact_id: int) -> list[dict[str, Any]]:
    return [
        {"id": encode_id("Tag", row_id), "name": name}
        for row_id, name in conn.execute(
            "SELECT id, name FROM artifact_tags WHERE artifact_id = ? ORDER BY id", (artifact_id,)
        )
    ]


def link_artifact(
    conn: sqlite3.Connection, run_id: int, artifact_id: int, direction: str, used_as: str | None
) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO run_artifacts (run_id, artifact_id, direction, used_as)"
        " VALUES (?, ?, ?, ?)",
        (run_id, artifact_id, direction, used_as),
    )


def artifact_owner(conn: sqlite3.Connection, artifact_id: int) -> int | None:
    """The entity id owning an artifact, for access checks."""
    row = conn.execute(
        "SELECT projects.entity_id FROM artifacts"
        " JOIN artifact_sequences ON artifact_sequences.id = artifacts.sequence_id"
        " JOIN projects ON projects.id = artifact_sequences.project_id WHERE artifacts.id = ?",
        (artifact_id,),
    ).fetchone()
    return None if row is None else int(row[0])
