"""`Paginator`: the one collection of runsapi, over a cursor-paginated GraphQL connection.

Runs, files, artifacts and projects are each a `Paginator` (`Runs` and `Files` are
subclasses adding their own methods). A collection supplies only "fetch the page after
this cursor" and "turn a page's nodes into items". The paginator loads pages on demand,
keeps what it loaded, de-duplicates by id (rows inserted while paging can shift a page
boundary), and refuses a cursor that does not advance instead of looping forever.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, overload

from runsapi._checks import check_count
from runsapi._exceptions import PaginationError, UsageError

logger = logging.getLogger("runsapi")

N = TypeVar("N")
T = TypeVar("T")
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


FetchPage = Callable[[str | None, int], Page[N]]
"""fetch(cursor, page_size) -> Page; cursor None means the first page."""


def check_limit(limit: int | None) -> int | None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise UsageError(f"limit must be a non-negative integer or None, got {limit!r}")
    return limit


class Paginator(Generic[T]):
    """Items loaded lazily, a page at a time: iterate, index (negative indices and
    slices load what they need), or take `len()` (the server's count when it has one).

    `cursor` resumes a listing later; items repeated by a later page are skipped; a
    cursor that does not advance raises PaginationError. Thread-safe.
    """

    def __init__(
        self,
        *,
        fetch: FetchPage[N],
        convert: Callable[[Sequence[N]], list[T]],
        identity: Callable[[T], Hashable],
        per_page: int,
        limit: int | None = None,
        cursor: str | None = None,
        what: str = "items",
    ) -> None:

        def fetch_items(cursor: str | None, size: int) -> Page[T]:
            page = fetch(cursor, size)
            return Page(convert(page.nodes), page.next_cursor, page.has_next, page.total)

        self._fetch_items = fetch_items
        self._identity = identity
        self.per_page = check_count(per_page, "per_page")
        self.limit = check_limit(limit)
        self._what = what
        self._items: list[T] = []
        self._seen: set[Hashable] = set()
        self._cursor = cursor
        self._more = True
        self._total: int | None = None
        self._pages_loaded = 0
        self._next_index = 0
        self.duplicates_skipped = 0
        """How many items a later page repeated (skipped, and logged)."""
        self._lock = threading.RLock()

    @property
    def cursor(self) -> str | None:
        """Where the next page starts; pass it back (`cursor=`) to resume later."""
        return self._cursor

    @property
    def more(self) -> bool:
        """Whether another page may exist (True before the first page is loaded)."""
        with self._lock:
            return self._more and not self._limit_reached()

    @property
    def loaded(self) -> list[T]:
        """A copy of the items loaded so far, without loading more."""
        with self._lock:
            return list(self._items)

    @property
    def pages_loaded(self) -> int:
        return self._pages_loaded

    def total(self) -> int | None:
        """The server's total count (loads the first page if needed); None if it has none."""
        with self._lock:
            if self._pages_loaded == 0:
                self.load_next_page()
            return self._total

    @property
    def known_count(self) -> int | None:
        """The number of items as far as known without loading a page: all of them once
        loaded, else the server's count (capped by `limit`) if a page brought one."""
        with self._lock:
            if not self.more:
                return len(self._items)
            if self._total is None or self.limit is None:
                return self._total
            return min(self._total, self.limit)

    def load_next_page(self) -> list[T]:
        """Load one more page and return the items it added."""
        with self._lock:
            if not self.more:
                return []
            size = self.per_page
            if self.limit is not None:
                size = min(size, self.limit - len(self._items))
            page = self._fetch_items(self._cursor, size)
            self._pages_loaded += 1
            if page.total is not None:
                self._total = page.total
            if page.has_next and (page.next_cursor is None or page.next_cursor == self._cursor):
                raise PaginationError(
                    f"the server said more {self._what} follow but gave "
                    f"{'no cursor' if page.next_cursor is None else 'the same cursor again'} "
                    f"after {len(self._items)} of them; stopping instead of looping"
                )
            added = self._add(list(page.nodes))
            self._cursor = page.next_cursor if page.next_cursor is not None else self._cursor
            self._more = page.has_next
            return added

    def _add(self, items: list[T]) -> list[T]:
        added = []
        for item in items:
            if self.limit is not None and len(self._items) >= self.limit:
                break
            key = self._identity(item)
            if key in self._seen:
                self.duplicates_skipped += 1
                logger.warning("skipped %s %r, already listed on an earlier page", self._what, key)
                continue
            self._seen.add(key)
            self._items.append(item)
            added.append(item)
        return added

    def _limit_reached(self) -> bool:
        return self.limit is not None and len(self._items) >= self.limit

    def load_all(self) -> list[T]:
        with self._lock:
            while self.more:
                self.load_next_page()
            return list(self._items)

    def _load_until(self, count: int) -> None:
        with self._lock:
            while len(self._items) < count and self.more:
                self.load_next_page()

    def __iter__(self) -> Iterator[T]:
        index = 0
        while True:
            self._load_until(index + 1)
            with self._lock:
                if index >= len(self._items):
                    return
                item = self._items[index]
            yield item
            index += 1

    def next(self) -> T:
        """The next item: the first, then the one after the item `next()` last returned
        (loading pages as needed); StopIteration after the last, as in the official client."""
        with self._lock:
            self._load_until(self._next_index + 1)
            if self._next_index >= len(self._items):
                raise StopIteration
            self._next_index += 1
            return self._items[self._next_index - 1]

    @property
    def length(self) -> int:
        """`len()`, under the official client's older name."""
        return len(self)

    def __len__(self) -> int:
        """The number of items: the server's count (capped by `limit`), else all loaded."""
        total = self.total()
        if total is None:
            return len(self.load_all())
        return total if self.limit is None else min(total, self.limit)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            stop, start = index.stop, index.start
            if (stop is None or stop < 0) or (start is not None and start < 0):
                self.load_all()
            else:
                self._load_until(stop)
            with self._lock:
                return self._items[index]
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(
                f"{self._what} indices must be integers or slices, not {type(index).__name__}"
            )
        if index < 0:
            self.load_all()
        else:
            self._load_until(index + 1)
        with self._lock:
            try:
                return self._items[index]
            except IndexError:
                raise IndexError(
                    f"{self._what} index {index} out of range ({len(self._items)} {self._what})"
                ) from None
