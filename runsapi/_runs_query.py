"""`RunsQuery`: which runs a listing asks for, as the runs operations take it."""

from __future__ import annotations

from dataclasses import dataclass

from runsapi._paths import ProjectPath


@dataclass(frozen=True)
class RunsQuery:
    """A project's runs matching a filter, in an order (both checked already)."""

    path: ProjectPath
    filters: str
    """The filter document, as JSON."""
    order: str
