"""Exporting a project to a lakehouse: runs, histories, files and artifacts as
Hive-partitioned parquet datasets, incrementally.

    runsapi export team/project --to lake/               # the CLI
    runsapi.export("team/project", "lake/")              # the same, in Python

The layout is in runsapi._export_tables. A state file (`_runsapi_export.json`) records
when the last complete export of each project started; the next one lists only the runs
created, updated or heartbeating since (with a minute's overlap for clock skew), rewrites
their rows, and appends the history steps after the last one on disk. Histories are read
by concurrent scans, from the server's parquet exports when it has them (see
`Run.scan_history`), and written in parts of at most `rows_per_file` rows, so memory stays
bounded whatever the run's length.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runsapi import _export_tables as tables
from runsapi._checks import check_count
from runsapi._constants import DEFAULT_PROJECT
from runsapi._content_cache import atomically_replaced
from runsapi._exceptions import UsageError
from runsapi._filter_builder import Filter, normalize_filters
from runsapi._history_rows import Row, check_keys
from runsapi._paths import ProjectPath
from runsapi._progress import progress_bar
from runsapi._sync._backend import map_in_order
from runsapi._sync.api import Api

if TYPE_CHECKING:
    from runsapi._sync.run import Run

STATE_FILE = "_runsapi_export.json"
STATE_VERSION = 1
OVERLAP = timedelta(minutes=1)
"""How far before the last export's start a rerun looks, for clocks that disagree."""
SCAN_WORKERS = 2
"""Step ranges each run's scan reads at once (runs are exported `max_workers` at once)."""


@dataclass(frozen=True)
class ExportSummary:
    """What one export wrote."""

    runs: int
    """Runs listed and written (all of them, or those changed since the last export)."""
    history_rows: int
    files: int
    artifacts: int
    bytes: int
    seconds: float
    incremental: bool

    def __str__(self) -> str:
        kind = "incremental" if self.incremental else "full"
        return (
            f"{kind} export: {self.runs} runs, {self.history_rows} history rows, "
            f"{self.files} files, {self.artifacts} artifacts, {self.bytes / 1e6:.1f} MB "
            f"in {self.seconds:.1f} s"
        )


@dataclass
class _RunOutput:
    rows: int = 0
    bytes: int = 0
    files: list[Row] | None = None
    artifacts: list[Row] | None = None


def export(
    path: str,
    to: str | os.PathLike[str],
    *,
    filters: Mapping[str, Any] | Filter | None = None,
    keys: Sequence[str] | None = None,
    history: bool = True,
    files: bool = True,
    artifacts: bool = True,
    content: bool = False,
    rows_per_file: int = 250_000,
    max_workers: int = 4,
    progress: bool | None = None,
    api: Api | None = None,
) -> ExportSummary:
    """Export the runs of `path` (`entity/project` or `project`) under `to`.

    Args:
        filters: Which runs, as for `Api.runs` (a MongoDB-style dict or `F`).
        keys: History keys to export (rows that have all of them); None: every key.
        history, files, artifacts: Which datasets to write besides `runs/`.
        content: Also download the run files and the logged artifacts themselves, under
            `content/files/...` and `content/artifacts/...` (kept across exports: a file
            already there with its MD5 is not fetched again).
        rows_per_file: Most history rows in one parquet file.
        max_workers: Runs exported at once.
        api: The Api to read through (default: `Api()`, from the environment).

    Everything given is checked before any request. Returns what was written.
    """
    tables.arrow()
    root = Path(to)
    wanted = check_keys(keys, x_axis="_step")
    check_count(rows_per_file, "rows_per_file")
    check_count(max_workers, "max_workers")
    query = normalize_filters(filters)
    owned = api is None
    client = api or Api()
    try:
        where = client._project_path(path, default_project=DEFAULT_PROJECT)
        started = datetime.now(timezone.utc)
        state = _State.load(root)
        since = state.since(str(where), query, wanted)
        listing_filter = query if since is None else _changed_since(query, since - OVERLAP)
        runs = client.runs(str(where), filters=listing_filter, lazy=False)
        clock = time.monotonic()
        options = _Options(wanted, history, files, artifacts, content, rows_per_file)
        written = _export_runs(
            runs, root, where, options, max_workers=max_workers, progress=progress
        )
        state.record(str(where), query, wanted, started)
        state.save(root)
        return ExportSummary(
            runs=written.runs,
            history_rows=written.rows,
            files=written.files,
            artifacts=written.artifacts,
            bytes=written.bytes,
            seconds=time.monotonic() - clock,
            incremental=since is not None,
        )
    finally:
        if owned:
            client.close()


@dataclass
class _Totals:
    runs: int = 0
    rows: int = 0
    files: int = 0
    artifacts: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class _Options:
    keys: list[str] | None
    history: bool
    files: bool
    artifacts: bool
    content: bool
    rows_per_file: int


def _export_runs(
    runs: Any,
    root: Path,
    where: ProjectPath,
    options: _Options,
    *,
    max_workers: int,
    progress: bool | None,
) -> _Totals:
    totals = _Totals()
    entity, project = where.entity, where.project
    listed: list[Run] = runs.load_all()
    run_rows = [
        tables.run_row(_base_columns(run), run.config, run.summary_metrics) for run in listed
    ]
    file_rows: list[Row] = []
    artifact_rows: list[Row] = []

    def export_run(run: Run) -> _RunOutput:
        output = _RunOutput()
        if options.history:
            run_dir = tables.partition(root, "history", entity, project) / f"run={run.id}"
            output.rows, output.bytes = _export_history(
                run, run_dir, options.keys, options.rows_per_file
            )
        if options.files:
            listed_files = run.files()
            output.files = [_file_row(run.id, file) for file in listed_files]
            if options.content:
                content = tables.partition(root / "content", "files", entity, project)
                listed_files.download_all(content / f"run={run.id}", progress=False)
        if options.artifacts:
            logged = list(run.logged_artifacts())
            output.artifacts = [_artifact_row(run.id, artifact) for artifact in logged]
            if options.content:
                content = tables.partition(root / "content", "artifacts", entity, project)
                for artifact in logged:
                    artifact.download(content / artifact.name.replace(":", "-"), progress=False)
        return output

    with progress_bar(len(listed), description="export", unit="run", enabled=progress) as bar:
        for _, output in map_in_order(export_run, listed, max_workers=max_workers):
            totals.rows += output.rows
            totals.bytes += output.bytes
            file_rows.extend(output.files or [])
            artifact_rows.extend(output.artifacts or [])
            bar.update(1)
    exported = {run.id for run in listed}
    totals.runs = len(listed)
    totals.bytes += _write_dataset(root, "runs", entity, project, run_rows, "id", exported)
    if options.files:
        totals.files = len(file_rows)
        totals.bytes += _write_dataset(
            root, "files", entity, project, file_rows, "run_id", exported
        )
    if options.artifacts:
        totals.artifacts = len(artifact_rows)
        totals.bytes += _write_dataset(
            root, "artifacts", entity, project, artifact_rows, "run_id", exported
        )
    return totals


def _export_history(
    run: Run, run_dir: Path, keys: list[str] | None, rows_per_file: int
) -> tuple[int, int]:
    """Append the run's steps after the last one on disk, in parts; (rows, bytes)."""
    start = tables.last_exported_step(run_dir) + 1
    rows: list[Row] = []
    written = size = 0
    with run.scan_history(
        keys=keys, min_step=start, progress=False, max_workers=SCAN_WORKERS
    ) as scan:
        for row in scan:
            rows.append(row)
            if len(rows) >= rows_per_file:
                size += tables.history_part(rows, run_dir)
                written += len(rows)
                rows = []
    if rows:
        size += tables.history_part(rows, run_dir)
        written += len(rows)
    return written, size


def _write_dataset(
    root: Path,
    dataset: str,
    entity: str,
    project: str,
    rows: list[Row],
    key: str,
    replaced: set[str],
) -> int:
    """Write the dataset's file for the project: the rows of the runs exported now, and
    the stored rows of the others; its size in bytes."""
    target = tables.partition(root, dataset, entity, project) / f"{dataset}.parquet"
    if not rows and not target.is_file():
        return 0
    fresh = tables.runs_table(rows) if dataset == "runs" else _plain_table(rows, key)
    return tables.write_parquet(tables.merge_by_id(target, fresh, key, replaced), target)


def _plain_table(rows: list[Row], key: str) -> Any:
    pa = tables.arrow()
    columns = [key, *sorted({name for row in rows for name in row} - {key})]
    return pa.table({name: [row.get(name) for row in rows] for name in columns})


def _base_columns(run: Run) -> Row:
    return {
        "id": run.id,
        "name": run.name,
        "state": run.state,
        "created_at": run.created_at,
        "heartbeat_at": run.heartbeat_at,
        "user": run.username,
        "tags": list(run.tags),
        "group": run.group,
        "job_type": run.job_type,
        "sweep": run.sweep_name,
        "notes": run.notes,
    }


def _file_row(run_id: str, file: Any) -> Row:
    return {
        "run_id": run_id,
        "name": file.name,
        "size": file.size,
        "md5": file.md5,
        "mimetype": file.mimetype,
        "updated_at": file.updated_at,
    }


def _artifact_row(run_id: str, artifact: Any) -> Row:
    return {
        "run_id": run_id,
        "name": artifact.qualified_name,
        "type": artifact.type,
        "version": artifact.version,
        "aliases": list(artifact.aliases),
        "digest": artifact.digest,
        "size": artifact.size,
        "file_count": artifact.file_count,
        "created_at": artifact.created_at,
    }


def _changed_since(query: Mapping[str, Any], since: datetime) -> dict[str, Any]:
    """`query`, narrowed to runs created, updated or heartbeating after `since`."""
    stamp = since.astimezone(timezone.utc).replace(tzinfo=None).isoformat()
    recent = {
        "$or": [
            {"createdAt": {"$gt": stamp}},
            {"updatedAt": {"$gt": stamp}},
            {"heartbeatAt": {"$gt": stamp}},
        ]
    }
    return {"$and": [dict(query), recent]} if query else recent


class _State:
    """`_runsapi_export.json`: per project, when its last complete export started and
    with which filters and keys (another query starts over with a full export)."""

    def __init__(self, projects: dict[str, Any]) -> None:
        self.projects = projects

    @classmethod
    def load(cls, root: Path) -> _State:
        path = root / STATE_FILE
        if not path.is_file():
            return cls({})
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise UsageError(f"{path} is not an export state file: {exc}") from None
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise UsageError(f"{path} is not an export state file of version {STATE_VERSION}")
        return cls(dict(data.get("projects") or {}))

    def since(
        self, project: str, query: Mapping[str, Any], keys: list[str] | None
    ) -> datetime | None:
        entry = self.projects.get(project)
        if not entry or entry.get("query") != {"filters": query, "keys": keys}:
            return None
        return datetime.fromisoformat(entry["started"])

    def record(
        self, project: str, query: Mapping[str, Any], keys: list[str] | None, started: datetime
    ) -> None:
        self.projects[project] = {
            "started": started.isoformat(),
            "query": {"filters": dict(query), "keys": keys},
        }

    def save(self, root: Path) -> None:
        body = {"version": STATE_VERSION, "projects": self.projects}
        with atomically_replaced(root / STATE_FILE) as part:
            part.write_text(json.dumps(body, indent=2, sort_keys=True), encoding="utf-8")


def run_command(args: argparse.Namespace) -> ExportSummary:
    """`runsapi export`, from parsed arguments."""
    try:
        filters = json.loads(args.filters) if args.filters else None
    except ValueError as exc:
        raise UsageError(f"--filters is not JSON: {exc}") from None
    keys = [key for key in args.keys.split(",") if key] if args.keys else None
    return export(
        args.path,
        args.to,
        filters=filters,
        keys=keys,
        history=not args.no_history,
        files=not args.no_files,
        artifacts=not args.no_artifacts,
        content=args.content,
        rows_per_file=args.rows_per_file,
        max_workers=args.max_workers,
    )
