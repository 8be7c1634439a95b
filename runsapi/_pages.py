"""Pages of a cursor-paginated GraphQL connection, as both layers read them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, final

from runsapi._exceptions import UsageError

N = TypeVar("N")
N_co = TypeVar("N_co", covariant=True)


@dataclass(frozen=True)
class Page(Generic[N]):
    """One page of a connection, as the server sent it."""

    nodes: Sequence[N]
    next_cursor: str | None
    """The cursor to pass to get the following page."""
    has_next: bool
    total: int | None = None
    """The connection's total count, when the server reports one."""


class _PageInfo(Protocol):
    @property
    def end_cursor(self) -> str | None: ...

    @property
    def has_next_page(self) -> bool: ...


class _Edge(Protocol[N_co]):
    @property
    def node(self) -> N_co | None: ...


class Connection(Protocol[N_co]):
    """The shape of every Relay connection in queries/: edges of nodes, and pageInfo."""

    @property
    def edges(self) -> Sequence[_Edge[N_co]]: ...

    @property
    def page_info(self) -> _PageInfo: ...


def page_of(connection: Connection[N] | None, *, total: int | None = None) -> Page[N]:
    """A Page from a connection as the generated models hold it (None: an empty page).

    The next cursor is the last edge's `cursor` when edges carry one (as the official
    client pages runs and files), else `pageInfo.endCursor`.
    """
    if connection is None:
        return Page(nodes=[], next_cursor=None, has_next=False, total=total)
    edges = connection.edges
    last_cursor = getattr(edges[-1], "cursor", None) if edges else None
    return Page(
        nodes=[edge.node for edge in edges if edge.node is not None],
        next_cursor=last_cursor or connection.page_info.end_cursor,
        has_next=connection.page_info.has_next_page,
        total=total,
    )


def check_limit(limit: int | None) -> int | None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise UsageError(f"limit must be a non-negative integer or None, got {limit!r}")
    return limit


@final
class DefaultPageSize(int):
    """A `per_page` left at its default. It is the number the documentation gives (and
    what `help()` shows), and the size of the first page; later pages grow (see the
    module's docstring). Passing any number, this one's value included, fixes the size."""

    __slots__ = ()
