"""Runs and what hangs off them: history, events, files and the artifacts they link."""

from __future__ import annotations

import json

from ariadne import ObjectType

from runsapi.server import _artifacts, _files, _history, _history_exports
from runsapi.server._constants import HISTORY_TAIL_ROWS
from runsapi.server._context import Record, ResolveInfo, connection, context_of, page_size
from runsapi.server._jsontext import dumps

run = ObjectType("Run")


@run.field("user")
def _user(record: Record, info: ResolveInfo) -> Record | None:
    return context_of(info).user(record["_user_row"])


@run.field("project")
def _project(record: Record, info: ResolveInfo) -> Record | None:
    return context_of(info).project(record["_project_row"])


@run.field("fileCount")
def _file_count(record: Record, info: ResolveInfo) -> int:
    return _files.count_files(context_of(info).conn, record["_row"])


@run.field("wandbConfig")
def _wandb_config(record: Record, _: ResolveInfo, keys: list[str] | None = None) -> str:
    """The SDK's own part of the config, `_wandb` (its value, when stored wrapped as the
    SDK sends it: `{"_wandb": {"value": {...}}}`), or only its `keys`. wandb-core resumes
    a run only when `wandbConfig(keys: ["t"])` has "t": a run the SDK has started."""
    config = json.loads(record["config"])
    internal = config.get("_wandb") if isinstance(config, dict) else None
    if isinstance(internal, dict) and set(internal) == {"value"}:
        internal = internal["value"]
    if not isinstance(internal, dict):
        internal = {}
    if keys is None:
        return dumps(internal)
    return dumps({key: internal[key] for key in keys if key in internal})


@run.field("historyKeys")
def _history_keys(record: Record, info: ResolveInfo) -> Record:
    return context_of(info).history_keys(record)


@run.field("history")
def _history_rows(
    record: Record,
    info: ResolveInfo,
    minStep: int | None = None,
    maxStep: int | None = None,
    samples: int | None = None,
) -> list[str]:
    return _history.history_rows(context_of(info).conn, record["_row"], minStep, maxStep, samples)


@run.field("events")
def _events(record: Record, info: ResolveInfo, samples: int | None = None) -> list[str]:
    return _history.event_rows(context_of(info).conn, record["_row"], samples)


@run.field("sampledHistory")
def _sampled_history(record: Record, info: ResolveInfo, specs: list[str]) -> list[list[Record]]:
    conn = context_of(info).conn
    return [_history.sampled_history(conn, record["_row"], spec) for spec in specs]


@run.field("parquetHistory")
def _parquet_history(record: Record, info: ResolveInfo, liveKeys: list[str]) -> Record:
    context = context_of(info)
    return _history_exports.parquet_history(
        context.store, record["_row"], liveKeys, context.signer(), context.base_url
    )


@run.field("historyTail")
def _history_tail(record: Record, info: ResolveInfo) -> str:
    rows = _history.tail_rows(context_of(info).conn, "history", record["_row"], HISTORY_TAIL_ROWS)
    return json.dumps(rows)


@run.field("eventsTail")
def _events_tail(record: Record, info: ResolveInfo) -> str:
    rows = _history.tail_rows(context_of(info).conn, "events", record["_row"], HISTORY_TAIL_ROWS)
    return json.dumps(rows)


@run.field("files")
def _run_files(
    record: Record,
    info: ResolveInfo,
    names: list[str | None] | None = None,
    after: str | None = None,
    first: int | None = None,
    pattern: str | None = None,
) -> Record | None:
    context = context_of(info)
    owner = context.project(record["_project_row"])
    if owner is None:
        return None
    prefix = _files.file_url(
        context.base_url, owner["entityName"], owner["name"], record["name"], ""
    ).rstrip("/")
    edges, has_next = _files.list_files(
        context.conn,
        record["_row"],
        prefix,
        names=names,
        pattern=pattern,
        after=after,
        first=page_size(first),
    )
    page = connection(edges, has_next, after)
    page["totalCount"] = _files.count_files(context.conn, record["_row"])
    page["uploadHeaders"] = []
    return page


def _run_artifacts(
    record: Record, info: ResolveInfo, direction: str, after: str | None, first: int | None
) -> Record:
    edges, has_next, total = _artifacts.list_run_artifacts(
        context_of(info).conn, record["_row"], direction, after=after, first=page_size(first)
    )
    page = connection(edges, has_next, after)
    page["totalCount"] = total
    return page


@run.field("outputArtifacts")
def _output_artifacts(
    record: Record, info: ResolveInfo, after: str | None = None, first: int | None = None
) -> Record:
    return _run_artifacts(record, info, "output", after, first)


@run.field("inputArtifacts")
def _input_artifacts(
    record: Record, info: ResolveInfo, after: str | None = None, first: int | None = None
) -> Record:
    return _run_artifacts(record, info, "input", after, first)


BINDABLES = (run,)
