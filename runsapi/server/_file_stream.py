"""W&B's run stream (runsapi/_shared/file_stream.py has the body's shape): what one POST
changes in a run, in one transaction.

- `wandb-history.jsonl` and `wandb-events.jsonl`: JSON rows appended to the run's history
  (steps must increase, as through `append_history`) or system metrics. The offset counts
  the rows sent before, so a chunk can be sent again after a lost answer: rows the run
  already has are skipped. A chunk that would leave a gap is refused.
- `wandb-summary.json`: the last line is the whole summary, replacing the stored one.
- `output.log`: console lines at their line index; a line sent again replaces the stored
  one (terminal progress bars rewrite theirs); the run file `output.log` holds them.
- `wandb-events.jsonl` rows also update the run's `systemMetrics`: the latest value of
  each key.
- `uploaded`: accepted; as with `markRunFilesUploaded`, nothing here waits for uploads.
- `preempting`: a running run becomes "preempting". `complete`: the run becomes
  "finished" (exit code 0 or none) or "failed", unless it was stopped ("killed" stays).
Every POST is a heartbeat, and one that does not complete the run says its process is
alive: a pending, finished, failed, crashed or preempted run is running again (resumed,
or found crashed while its process was only slow), and the run is watched until it
completes: once its heartbeat is older than the server's timeout, it crashes
(_liveness.py). The answer is `{"stopped": bool}`: whether the run was asked to stop
(`stopRun`), which is what wandb-core reads of it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from runsapi._shared.file_stream import (
    EVENTS_FILE,
    HISTORY_FILE,
    OUTPUT_FILE,
    STREAMED_FILES,
    SUMMARY_FILE,
)
from runsapi.server import _files, _history, _runs
from runsapi.server._accounts import Viewer
from runsapi.server._jsontext import dumps, loads_value
from runsapi.server._store import Store
from runsapi.server._time import now


@dataclass(frozen=True)
class Chunk:
    offset: int
    lines: list[str]
    # History and events lines as JSON objects, parsed before the write transaction.
    rows: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class StreamBody:
    """One POST's body, checked."""

    files: dict[str, Chunk]
    preempting: bool
    complete: bool
    exit_code: int | None


def _flag(payload: dict[str, Any], key: str) -> bool:
    value = payload.get(key, False)
    if not isinstance(value, bool):
        raise ValueError(f"file_stream {key} must be true or false, got {value!r}")
    return value


def _strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"file_stream {what} must be a list of strings")
    return value


def _chunk(name: str, value: Any) -> Chunk:
    if name not in STREAMED_FILES:
        raise ValueError(f"file_stream takes the files {', '.join(STREAMED_FILES)}, not {name!r}")
    if not isinstance(value, dict):
        raise ValueError(f"file_stream {name} must be an object with offset and content")
    offset = value.get("offset", 0)
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"file_stream {name} offset must be a non-negative integer")
    lines = _strings(value.get("content", []), f"{name} content")
    return Chunk(offset, lines, _rows(name, lines) if name in _ROW_FILES else None)


def parse_body(payload: Any) -> StreamBody:
    """The body of a POST, its history and events lines parsed; ValueError naming what is
    wrong. Keys it does not know (the `dropped` of older clients) are ignored."""
    if not isinstance(payload, dict):
        raise ValueError("a file_stream body must be a JSON object")
    files = payload.get("files") or {}
    if not isinstance(files, dict):
        raise ValueError("file_stream files must be an object of file names")
    _strings(payload.get("uploaded") or [], "uploaded")
    exit_code = payload.get("exitcode")
    if exit_code is not None and (isinstance(exit_code, bool) or not isinstance(exit_code, int)):
        raise ValueError(f"file_stream exitcode must be an integer, got {exit_code!r}")
    return StreamBody(
        files={name: _chunk(name, value) for name, value in files.items()},
        preempting=_flag(payload, "preempting"),
        complete=_flag(payload, "complete"),
        exit_code=exit_code,
    )


def _unsent(name: str, chunk: Chunk, stored: int) -> list[dict[str, Any]]:
    """The rows of `chunk` past the `stored` ones (a chunk sent again repeats some)."""
    if chunk.offset > stored:
        raise ValueError(
            f"{name} offset {chunk.offset} is past the {stored} lines stored:"
            f" send the lines from {stored} on"
        )
    return (chunk.rows or [])[stored - chunk.offset :]


_ROW_FILES = frozenset({HISTORY_FILE, EVENTS_FILE})


def _rows(name: str, lines: list[str]) -> list[dict[str, Any]]:
    rows = []
    for line in lines:
        row = loads_value(line, what=f"a line of {name}")
        if not isinstance(row, dict):
            raise ValueError(f"each line of {name} must be a JSON object")
        rows.append(row)
    return rows


def _write_output(store: Store, conn: sqlite3.Connection, run_id: int, chunk: Chunk) -> None:
    (record,) = _files.files_by_name(conn, run_id, [OUTPUT_FILE], "")
    path = store.file_path(record["_row"])
    lines = path.read_bytes().decode("utf-8", "replace").split("\n") if path.exists() else []
    if lines and lines[-1] == "":
        lines.pop()
    if chunk.offset > len(lines):
        raise ValueError(
            f"{OUTPUT_FILE} offset {chunk.offset} is past the {len(lines)} lines stored:"
            f" send the lines from {len(lines)} on"
        )
    lines[chunk.offset : chunk.offset + len(chunk.lines)] = chunk.lines
    _files.write_file(store, conn, record["_row"], "".join(f"{line}\n" for line in lines).encode())
    conn.execute("UPDATE runs SET log_line_count = ? WHERE id = ?", (len(lines), run_id))


# States a run leaves for "running" when its process streams again.
_REVIVED = frozenset({"pending", "finished", "failed", "crashed", "preempted"})


def _next_state(current: str, body: StreamBody) -> str:
    if body.complete:
        if current == "killed":
            return current
        return "failed" if body.exit_code else "finished"
    if current in _REVIVED:
        current = "running"
    if body.preempting and current == "running":
        return "preempting"
    return current


def _system_metrics(stored: str, rows: list[dict[str, Any]]) -> str | None:
    """The run's `systemMetrics` after `rows` of system events: each key's latest value
    (the `_wandb` marker left out); None if the rows change nothing."""
    latest = {key: value for row in rows for key, value in row.items() if key != "_wandb"}
    if not latest:
        return None
    current = loads_value(stored, what="systemMetrics")
    return dumps({**(current if isinstance(current, dict) else {}), **latest})


def apply_body(
    store: Store, viewer: Viewer, where: tuple[str, str, str], data: bytes
) -> dict[str, Any]:
    """Parse a POST's body and apply it (`parse_body`, `apply_stream`): the work of a
    thread, so that a large body is not parsed on the event loop."""
    body = parse_body(loads_value(data, what="the file_stream body"))
    return apply_stream(store, viewer, where, body)


def apply_stream(
    store: Store, viewer: Viewer, where: tuple[str, str, str], body: StreamBody
) -> dict[str, Any]:
    """Apply one POST to the run `where` (entity, project, run id) in one transaction and
    return the answer; LookupError if the viewer sees no such run, ValueError (nothing
    written) for a chunk this server refuses."""
    entity, project, name = where
    with store.write() as conn:
        run = _runs.find_visible_run(conn, viewer, entity, project, name)
        if run is None:
            raise LookupError(f"run {entity}/{project}/{name} not found")
        run_id = run["_row"]
        if HISTORY_FILE in body.files:
            unsent = _unsent(HISTORY_FILE, body.files[HISTORY_FILE], run["historyLineCount"])
            _history.append_history(conn, run_id, unsent)
        if EVENTS_FILE in body.files:
            events = _unsent(EVENTS_FILE, body.files[EVENTS_FILE], run["eventsLineCount"])
            _history.append_events(conn, run_id, events)
            metrics = _system_metrics(run["systemMetrics"], events)
            if metrics is not None:
                conn.execute("UPDATE runs SET system_metrics = ? WHERE id = ?", (metrics, run_id))
        summary = body.files.get(SUMMARY_FILE)
        if summary is not None and summary.lines:
            _runs.update_run(conn, run_id, {"summaryMetrics": summary.lines[-1]})
        state = _next_state(run["state"], body)
        stamp = now()
        conn.execute(
            "UPDATE runs SET heartbeat_at = ?, state = ?, updated_at = ?, watched = ? WHERE id = ?",
            (
                stamp,
                state,
                stamp if state != run["state"] else run["updatedAt"],
                int(not body.complete),
                run_id,
            ),
        )
        if OUTPUT_FILE in body.files:  # last: its bytes are written before the commit
            _write_output(store, conn, run_id, body.files[OUTPUT_FILE])
    return {"stopped": run["stopped"]}
