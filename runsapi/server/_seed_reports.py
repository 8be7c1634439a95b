"""The seeder's reports: a few per project, each with a spec as W&B's report editor saves
it (blocks of text, and `panelGroups` of line plots over the seeded history keys, each
with the run set they draw). Everything derives from the random generator given."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from runsapi.server import _views
from runsapi.server._time import iso

# (title, description, the history keys its panels plot)
_REPORTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Loss curves", "How training loss and accuracy fall across runs.", ("loss", "acc")),
    (
        "Learning-rate sweep: results",
        "Which learning rates converge, and how fast.",
        ("lr", "loss"),
    ),
    ("Weekly update #1", "Evaluation loss of this week's runs.", ("eval/loss", "acc")),
)
_SELECTED_RUNS = 3
_PANEL_WIDTH, _PANEL_HEIGHT = 8, 6
_DAY = timedelta(days=1)


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def _run_set(rng: random.Random, run_names: Sequence[str]) -> dict[str, Any]:
    """A run set as the report editor saves it: no filter, newest first, a few runs
    selected (the official client's `BetaReport.runs` reads `filters`, `sort` and
    `selections`)."""
    return {
        "id": _hex(rng, 9),
        "name": "Run set",
        "enabled": True,
        "runFeed": {"version": 2, "columnVisible": {"run:name": False}, "columnWidths": {}},
        "search": {"query": ""},
        "filters": {"op": "OR", "filters": [{"op": "AND", "filters": []}]},
        "grouping": [],
        "sort": {"key": {"section": "run", "name": "createdAt"}, "ascending": False},
        "selections": {"root": 1, "bounds": [], "tree": list(run_names[:_SELECTED_RUNS])},
        "expandedRowAddresses": [],
    }


def _line_plot(rng: random.Random, key: str, column: int) -> dict[str, Any]:
    return {
        "__id__": _hex(rng, 9),
        "viewType": "Run History Line Plot",
        "config": {"metrics": [key], "xAxis": "_step", "smoothingWeight": 0},
        "layout": {"x": column * _PANEL_WIDTH, "y": 0, "w": _PANEL_WIDTH, "h": _PANEL_HEIGHT},
    }


def _report_spec(
    rng: random.Random, title: str, description: str, keys: Sequence[str], run_names: Sequence[str]
) -> dict[str, Any]:
    panels = [_line_plot(rng, key, column) for column, key in enumerate(keys)]
    return {
        "version": 5,
        "width": "readable",
        "blocks": [
            {"type": "heading", "level": 1, "children": [{"text": title}]},
            {"type": "paragraph", "children": [{"text": description}]},
            {"type": "panel-grid", "children": [{"text": ""}], "metadata": {"openRunSet": 0}},
        ],
        "panelGroups": [
            {
                "name": "Charts",
                "openViz": True,
                "openRunSet": 0,
                "runSets": [_run_set(rng, run_names)],
                "panels": panels,
            }
        ],
        "discussionThreads": [],
        "ref": {},
    }


def add_reports(
    conn: sqlite3.Connection,
    project_id: int,
    user_id: int,
    run_names: Sequence[str],
    *,
    count: int,
    rng: random.Random,
    start: datetime,
) -> None:
    """`count` reports (titles repeat, numbered, past the first few), one a day from
    `start`, each edited a few hours after it was created."""
    for index in range(count):
        title, description, keys = _REPORTS[index % len(_REPORTS)]
        if index >= len(_REPORTS):
            title = f"{title} ({index // len(_REPORTS) + 1})"
        created = start + index * _DAY
        spec = _report_spec(rng, title, description, keys, run_names)
        _views.add_view(
            conn,
            project_id,
            user_id,
            name=_hex(rng, 12),
            display_name=title,
            description=description,
            spec=json.dumps(spec, separators=(",", ":")),
            created_at=iso(created),
            updated_at=iso(created + timedelta(hours=rng.randint(1, 8))),
        )
