"""Sweeps of a project: one by name, a page of them, their runs' count and their project.

Nothing runs sweeps here, so a sweep has no agents: `agents` is empty, `agent` null.
"""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType

from runsapi.server import _runs, _sweeps
from runsapi.server._context import Record, ResolveInfo, connection, context_of, page_size

project = ObjectType("Project")
sweep = ObjectType("Sweep")


@project.field("sweep")
def _project_sweep(record: Record, info: ResolveInfo, sweepName: str) -> Record | None:
    return _sweeps.sweep_by_name(context_of(info).conn, record["_row"], sweepName)


@project.field("totalSweeps")
def _total_sweeps(record: Record, info: ResolveInfo) -> int:
    return _sweeps.count_sweeps(context_of(info).conn, record["_row"])


@project.field("sweeps")
def _project_sweeps(
    record: Record,
    info: ResolveInfo,
    after: str | None = None,
    first: int | None = None,
    filters: str | None = None,
) -> Record:
    state = _sweeps.sweep_state_filter(filters)
    edges, has_next = _sweeps.list_sweeps(
        context_of(info).conn, record["_row"], state=state, after=after, first=page_size(first)
    )
    return connection(edges, has_next, after)


@sweep.field("runCount")
def _sweep_run_count(record: Record, info: ResolveInfo) -> int:
    conn = context_of(info).conn
    return _runs.count_sweep_runs(conn, record["_project_row"], record["name"])


@sweep.field("project")
def _sweep_project(record: Record, info: ResolveInfo) -> Record | None:
    return context_of(info).project(record["_project_row"])


@sweep.field("agents")
def _sweep_agents(*_: Any) -> Record:
    return {"edges": []}


@sweep.field("agent")
def _sweep_agent(*_: Any, agentName: str) -> None:
    return None


BINDABLES = (project, sweep)
