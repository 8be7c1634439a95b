"""Parquet exports of runs' history, and what `Run.parquetHistory` answers from them.

When a run is exported: when `parquetHistory` is asked of a run that is over (finished,
crashed, failed, killed, preempted) and has rows no export holds. Nothing is exported
ahead (no background work, no export of a run nobody reads this way), and a running run
is never exported: all its rows not yet exported are live. History only grows at its end,
so an export is never rewritten: rows appended later (a resumed run) are exported as new
parts once the run is over again, and the parts already handed out stay valid, as do the
official client's cached copies, which it names by part index.

A part is a file of at most HISTORY_EXPORT_PART_BYTES of history (as JSON text; smaller
as parquet) under `<files dir>/history/<random name>` (_parquet_history.py has its
layout), written before its row, so that a row always has its file. Exports run one at a
time in this process, each reading through a connection of its own: an export's length
is its run's (about 5 s for a million rows), outside any request's SQL time budget, and
its memory is one row group. `liveData` is the rows after the last exported step, each
with only the asked keys, as W&B answers it.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runsapi._shared.json_codec import loads
from runsapi.server._constants import (
    BUSY_TIMEOUT_MS,
    HISTORY_EXPORT_PART_BYTES,
    HISTORY_EXPORT_ROW_GROUP_ROWS,
    HISTORY_EXPORTS_DIR,
    STORAGE_PATH,
)
from runsapi.server._signing import Signer
from runsapi.server._store import Store

STEP = "_step"
EXPORTED_STATES = frozenset({"finished", "crashed", "failed", "killed", "preempted"})
EXPORTS_URL_PATH = f"{STORAGE_PATH}/history"
_MAX_STEP = 2**63 - 1
_EXPORTING = threading.Lock()


@dataclass(frozen=True)
class Part:
    name: str
    first_step: int
    last_step: int
    rows: int


def _path(store: Store, name: str) -> Path:
    return store.files_dir / HISTORY_EXPORTS_DIR / name


def parts(conn: sqlite3.Connection, run_id: int) -> list[Part]:
    """The run's export files, in step order."""
    return [
        Part(*row)
        for row in conn.execute(
            "SELECT name, first_step, last_step, row_count FROM history_exports"
            " WHERE run_id = ? ORDER BY part",
            (run_id,),
        )
    ]


def exported(store: Store, run_id: int) -> list[Part]:
    """The run's parts, after exporting its rows no part holds if the run is over."""
    conn = store.connection()
    found = parts(conn, run_id)
    if not _needs_export(conn, run_id, found):
        return found
    with _EXPORTING:
        found = parts(conn, run_id)
        if not _needs_export(conn, run_id, found):
            return found
        return found + _export(store, run_id, found)


def _exported_through(found: list[Part]) -> int:
    return found[-1].last_step if found else -1


def _needs_export(conn: sqlite3.Connection, run_id: int, found: list[Part]) -> bool:
    row = conn.execute("SELECT state, last_step FROM runs WHERE id = ?", (run_id,)).fetchone()
    return row is not None and row[0] in EXPORTED_STATES and row[1] > _exported_through(found)


def _export(store: Store, run_id: int, found: list[Part]) -> list[Part]:
    """Write the parts of the rows after the last exported step, then record them."""
    after = _exported_through(found)
    directory = store.files_dir / HISTORY_EXPORTS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Part] = []
    try:
        reader = sqlite3.connect(store.path, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            for first, last, schema in _planned_parts(reader, run_id, after):
                written.append(_write_part(directory, reader, run_id, first, last, schema))
        finally:
            reader.close()
        _record(store, run_id, after, len(found), written)
    except BaseException:
        for part in written:
            _path(store, part.name).unlink(missing_ok=True)
        raise
    return written


def _chunks(
    conn: sqlite3.Connection, run_id: int, after: int, last: int | None = None
) -> Iterator[list[tuple[int, str]]]:
    """The run's (step, JSON text) rows after step `after` (up to `last`), in chunks."""
    cursor = conn.execute(
        "SELECT step, row FROM history WHERE run_id = ? AND step > ? AND step <= ? ORDER BY step",
        (run_id, after, _MAX_STEP if last is None else last),
    )
    while chunk := cursor.fetchmany(HISTORY_EXPORT_ROW_GROUP_ROWS):
        yield chunk


def _decoded(chunk: list[tuple[int, str]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = loads("[" + ",".join(text for _, text in chunk) + "]")
    return rows


def _planned_parts(
    conn: sqlite3.Connection, run_id: int, after: int
) -> Iterator[tuple[int, int, Any]]:
    """The parts to write, (first step, last step, their arrow schema), each ending at
    the row that brings it to HISTORY_EXPORT_PART_BYTES of JSON text."""
    # pyarrow is imported with the first export, not with the server.
    from runsapi.server._parquet_history import Schema  # noqa: PLC0415

    limit = HISTORY_EXPORT_PART_BYTES
    schema, size, first, last = Schema(), 0, None, after
    for chunk in _chunks(conn, run_id, after):
        rows, begin = _decoded(chunk), 0
        for index, (step, text) in enumerate(chunk):
            if first is None:
                first = step
            size += len(text)
            if size >= limit:
                schema.add(rows[begin : index + 1])
                yield first, step, schema.arrow()
                schema, size, first, begin = Schema(), 0, None, index + 1
        schema.add(rows[begin:])
        last = chunk[-1][0]
    if first is not None:
        yield first, last, schema.arrow()


def _write_part(
    directory: Path, conn: sqlite3.Connection, run_id: int, first: int, last: int, schema: Any
) -> Part:
    from runsapi.server._parquet_history import ParquetFile  # noqa: PLC0415

    name = f"{secrets.token_hex(16)}.parquet"
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
    os.close(handle)
    rows = 0
    try:
        with ParquetFile(Path(temporary), schema) as file:
            for chunk in _chunks(conn, run_id, first - 1, last):
                file.write(_decoded(chunk))
                rows += len(chunk)
        os.replace(temporary, directory / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Part(name, first, last, rows)


def _record(store: Store, run_id: int, after: int, index: int, written: list[Part]) -> None:
    """Insert the parts' rows, unless the run is gone or another process exported it
    meanwhile: then LookupError, and the files go."""
    with store.write() as conn:
        gone = conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None
        if gone or _exported_through(parts(conn, run_id)) != after:
            raise LookupError(f"run {run_id} changed while its history was exported")
        conn.executemany(
            "INSERT INTO history_exports"
            " (name, run_id, part, first_step, last_step, row_count, size)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    part.name,
                    run_id,
                    index + offset,
                    part.first_step,
                    part.last_step,
                    part.rows,
                    _path(store, part.name).stat().st_size,
                )
                for offset, part in enumerate(written)
            ],
        )


def live_data(
    conn: sqlite3.Connection, run_id: int, after: int, keys: list[str]
) -> list[dict[str, Any]]:
    """The rows after step `after`, each with only `keys` (those it has)."""
    if set(keys) <= {STEP}:
        return [
            {STEP: step} if keys else {}
            for (step,) in conn.execute(
                "SELECT step FROM history WHERE run_id = ? AND step > ? ORDER BY step",
                (run_id, after),
            )
        ]
    texts = [
        text
        for (text,) in conn.execute(
            "SELECT row FROM history WHERE run_id = ? AND step > ? ORDER BY step", (run_id, after)
        )
    ]
    rows: list[dict[str, Any]] = loads("[" + ",".join(texts) + "]")
    return [{key: row[key] for key in keys if key in row} for row in rows]


def parquet_history(
    store: Store, run_id: int, live_keys: list[str], signer: Signer, base_url: str
) -> dict[str, Any]:
    """`Run.parquetHistory`: signed URLs of the run's parts, and its rows not exported."""
    found = exported(store, run_id)
    return {
        "parquetUrls": [
            signer.url(base_url, "GET", f"{EXPORTS_URL_PATH}/{part.name}") for part in found
        ],
        "liveData": live_data(store.connection(), run_id, _exported_through(found), live_keys),
    }


def export_file(store: Store, name: str) -> Path | None:
    """The file of a part whose run still exists, or None."""
    row = (
        store.connection()
        .execute("SELECT 1 FROM history_exports WHERE name = ?", (name,))
        .fetchone()
    )
    return None if row is None else _path(store, name)
