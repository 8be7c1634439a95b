"""What a resolver knows about its request: the store, the viewer, and small caches."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from runsapi.server import _accounts, _history, _json_indexes, _projects, _signing
from runsapi.server._accounts import Viewer
from runsapi.server._constants import DEFAULT_PAGE_SIZE, SERVER_FEATURES
from runsapi.server._filters import RunFilter, compile_filter_text
from runsapi.server._ordering import parse_order
from runsapi.server._store import Store

Record = dict[str, Any]


@dataclass
class RequestContext:
    store: Store
    viewer: Viewer
    base_url: str
    # The optional features enabled on this server (`serverInfo.features`).
    features: frozenset[str] = SERVER_FEATURES
    # Called after a change of accounts (a key deleted, a membership added or removed),
    # so that the app's cache of viewers by key forgets what changed.
    accounts_changed: Callable[[], None] = field(default=lambda: None)
    _users: dict[int, Record | None] = field(default_factory=dict)
    _projects: dict[int, Record | None] = field(default_factory=dict)
    _history_keys: dict[int, Record] = field(default_factory=dict)
    # Runs listed in this request whose history keys are not loaded yet: row -> last step.
    _listed: dict[int, int] = field(default_factory=dict)
    _run_filters: dict[str | None, RunFilter] = field(default_factory=dict)
    _signer: _signing.Signer | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        return self.store.connection()

    def can_see(self, entity_id: int) -> bool:
        return entity_id in self.viewer.entity_ids

    def signer(self) -> _signing.Signer:
        """What signs this request's storage URLs (the secret read once per request)."""
        if self._signer is None:
            self._signer = _signing.signer(self.store)
        return self._signer

    def user(self, user_id: int | None) -> Record | None:
        if user_id is None:
            return None
        if user_id not in self._users:
            self._users[user_id] = _accounts.user_record(self.conn, user_id)
        return self._users[user_id]

    def project(self, project_id: int) -> Record | None:
        """The project, or None when it does not exist or the viewer may not see it."""
        if project_id not in self._projects:
            record = _projects.project_record(self.conn, project_id)
            visible = record is not None and self.can_see(record["_entity_row"])
            self._projects[project_id] = record if visible else None
        return self._projects[project_id]

    def run_filter(self, text: str | None) -> RunFilter:
        """A `filters` argument compiled to SQL once per request, however many fields
        (`runCount`, `runs`) pass the same text."""
        if text not in self._run_filters:
            compiled = compile_filter_text(text)
            _json_indexes.ensure(self.store, [compiled.condition])
            self._run_filters[text] = compiled
        return self._run_filters[text]

    def run_order(self, order: str | None) -> str | None:
        """The `order` argument, once the index of the key it names exists."""
        _json_indexes.ensure(self.store, [parse_order(order).field.value_sql])
        return order

    def walk_index(self, order: str | None, filters: RunFilter) -> str | None:
        """The walk index of a page's order and filter (_json_indexes.walk_index)."""
        return _json_indexes.walk_index(
            self.store, parse_order(order).field.value_sql, filters.condition
        )

    def listed(self, runs: Iterable[Record]) -> None:
        """Note a page of runs, so that their history keys load together when asked."""
        for run in runs:
            self._listed[run["_row"]] = run["_last_step"]

    def history_keys(self, run: Record) -> Record:
        """A run's `historyKeys`: one query for it and every run listed with it."""
        row = run["_row"]
        if row not in self._history_keys:
            pending = {**self._listed, row: run["_last_step"]}
            self._listed.clear()
            self._history_keys.update(_history.history_keys(self.conn, pending))
        return self._history_keys[row]


class ResolveInfo(Protocol):
    """What resolvers read of graphql-core's `GraphQLResolveInfo` (which is generic in
    graphql-core 3.3 and not in 3.2, so it cannot be annotated the same way in both)."""

    @property
    def context(self) -> Any: ...


def context_of(info: ResolveInfo) -> RequestContext:
    context = info.context
    assert isinstance(context, RequestContext)
    return context


def page_size(first: int | None) -> int:
    """`first`, or the default page size; a request asking for more than MAX_PAGE_SIZE is
    refused before it runs (_limits.py)."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0:
        raise ValueError("first must not be negative")
    return first


def connection(edges: list[tuple[Record, str]], has_next: bool, after: str | None) -> Record:
    """A Relay connection; `endCursor` is the last edge's cursor, as clients expect."""
    return {
        "edges": [{"node": node, "cursor": cursor} for node, cursor in edges],
        "pageInfo": {
            "startCursor": edges[0][1] if edges else None,
            "endCursor": edges[-1][1] if edges else None,
            "hasNextPage": has_next,
            "hasPreviousPage": after is not None,
        },
    }
