"""`Paginator`: the one collection of runsapi, over a cursor-paginated GraphQL connection.

Runs, files, artifacts and projects are each a `Paginator` (`Runs` and `Files` are
subclasses adding their own methods). A collection supplies only "fetch the page after
this cursor" and "turn a page's nodes into items". The paginator loads pages on demand,
keeps what it loaded, de-duplicates by id (rows inserted while paging can shift a page
boundary), and refuses a cursor that does not advance instead of looping forever.

Two ways to fewer round trips, each chosen by the collection:

- Growing pages: when the caller left `per_page` at its default (a `DefaultPageSize`),
  the first page has that size, for a fast first result, and each later one is
  PAGE_GROWTH times the one before, up to the collection's `max_per_page`. A number the
  caller passes, even the default's, is the size of every page.
- Prefetching: while an iterator is on the last page loaded, the page after it is fetched
  in the background (a task; a thread in the sync layer). One page ahead at most; its
  error is raised to the caller that reaches it, once (iterating again fetches that page
  again); `aclose()` stops it.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar, overload

from runsapi._async import _backend
from runsapi._checks import check_count
from runsapi._constants import PAGE_GROWTH
from runsapi._exceptions import PaginationError
from runsapi._pages import DefaultPageSize, Page, check_limit

logger = logging.getLogger("runsapi")

N = TypeVar("N")
T = TypeVar("T")
_P = TypeVar("_P", bound="AsyncPaginator[Any]")


FetchPage = Callable[[str | None, int], Awaitable[Page[N]]]
"""fetch(cursor, page_size) -> Page; cursor None means the first page."""


class _Closable(Protocol):
    async def aclose(self) -> None: ...


class AsyncBackgroundListings:
    """The listings of one Api that have fetched pages in the background, so that
    `AsyncApi.aclose()` can stop them. Held weakly: a listing no one holds is forgotten."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listings: weakref.WeakSet[_Closable] = weakref.WeakSet()

    def add(self, listing: _Closable) -> None:
        with self._lock:
            self._listings.add(listing)

    async def close_all(self) -> None:
        """Close every listing (each waits for a request it has on the wire)."""
        with self._lock:
            listings = list(self._listings)
        for listing in listings:
            await listing.aclose()


class AsyncPaginator(Generic[T]):
    """Items loaded lazily, a page at a time: iterate, index (negative indices and
    slices load what they need), or take `len()` (the server's count when it has one).

    `cursor` resumes a listing later; items repeated by a later page are skipped; a
    cursor that does not advance raises PaginationError. Thread-safe (the sync twin) and
    task-safe. Listings that fetch ahead in the background stop doing so on `aclose()`
    (or at the end of an `async with` block); what they loaded stays readable, and
    further pages load on demand.
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
        max_per_page: int | None = None,
        prefetch: AsyncBackgroundListings | None = None,
    ) -> None:
        """`max_per_page`: the size pages grow to when `per_page` is a DefaultPageSize
        (None: they do not grow). `prefetch`: fetch the next page in the background while
        an iterator is on the last one, registered there so that the Api can stop it."""

        async def fetch_items(cursor: str | None, size: int) -> Page[T]:
            page = await fetch(cursor, size)
            return Page(convert(page.nodes), page.next_cursor, page.has_next, page.total)

        self._fetch_items = fetch_items
        self._identity = identity
        self.per_page = check_count(per_page, "per_page")
        self._grow_to = max_per_page if isinstance(per_page, DefaultPageSize) else None
        self.limit = check_limit(limit)
        self._what = what
        self._items: list[T] = []
        self._seen: set[Hashable] = set()
        self._cursor = cursor
        self._more = True
        self._total: int | None = None
        self._pages_loaded = 0
        self._last_page_start = 0
        self._next_index = 0
        self.duplicates_skipped = 0
        """How many items a later page repeated (skipped, and logged)."""
        self._lock = _backend.RLock()
        self._background = prefetch
        self._ahead: _backend.Background[Page[T]] | None = None
        self._closed = False

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

    @property
    def grows(self) -> bool:
        """Whether pages grow (`per_page` was left at its default)."""
        return self._grow_to is not None

    def _loaded_state(self) -> tuple[list[T], str | None, bool]:
        """The items loaded, the cursor after them and whether more may follow, read
        together (another thread may be loading a page)."""
        with self._lock:
            return list(self._items), self._cursor, self.more

    async def total(self) -> int | None:
        """The server's total count (loads the first page if needed); None if it has none."""
        async with self._lock:
            if self._pages_loaded == 0:
                await self.load_next_page()
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

    def _page_size(self) -> int:
        """The size of the next page: `per_page`, or grown from it, within `limit`."""
        size = self.per_page
        if self._grow_to is not None:
            grown = size * PAGE_GROWTH ** min(self._pages_loaded, 32)
            size = max(size, min(grown, self._grow_to))
        if self.limit is not None:
            size = min(size, self.limit - len(self._items))
        return size

    async def load_next_page(self) -> list[T]:
        """Load one more page and return the items it added."""
        async with self._lock:
            if not self.more:
                return []
            ahead = self._ahead
            if ahead is not None:
                await ahead.wait()  # interrupted, it stays there for aclose() to find
                self._ahead = None
                page = ahead.outcome()  # its error is raised here, once
            else:
                page = await self._fetch_items(self._cursor, self._page_size())
            self._pages_loaded += 1
            if page.total is not None:
                self._total = page.total
            if page.has_next and (page.next_cursor is None or page.next_cursor == self._cursor):
                raise PaginationError(
                    f"the server said more {self._what} follow but gave "
                    f"{'no cursor' if page.next_cursor is None else 'the same cursor again'} "
                    f"after {len(self._items)} of them; stopping instead of looping"
                )
            self._last_page_start = len(self._items)
            added = self._add(list(page.nodes))
            self._cursor = page.next_cursor if page.next_cursor is not None else self._cursor
            self._more = page.has_next
            return added

    def _prefetch(self) -> None:
        """Start fetching the page after the last one loaded, unless one is on its way,
        none follows, or the listing does not prefetch (or is closed)."""
        with self._lock:
            if (
                self._background is None
                or self._closed
                or self._ahead is not None
                or self._pages_loaded == 0
                or not self.more
            ):
                return
            self._background.add(self)
            fetch, cursor, size = self._fetch_items, self._cursor, self._page_size()
            self._ahead = _backend.Background.start(
                lambda: fetch(cursor, size), name="runsapi-prefetch"
            )

    async def _settle_prefetch(self) -> None:
        """Take in the page fetched ahead, if any (raising its error), so that what comes
        next is fetched as the collection now asks (Runs switching to full data)."""
        async with self._lock:
            if self._ahead is not None:
                await self.load_next_page()

    async def aclose(self) -> None:
        """Stop fetching ahead: a page not yet asked for is cancelled, a request on the
        wire is waited for and its page dropped. Loaded items stay readable, and further
        pages still load on demand, without prefetching."""
        self._closed = True  # first, so that no iterator starts another meanwhile
        with self._lock:
            ahead, self._ahead = self._ahead, None
        if ahead is not None:
            await ahead.stop()

    async def __aenter__(self: _P) -> _P:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

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

    async def load_all(self) -> list[T]:
        async with self._lock:
            while self.more:
                await self.load_next_page()
            return list(self._items)

    async def _load_until(self, count: int) -> None:
        async with self._lock:
            while len(self._items) < count and self.more:
                await self.load_next_page()

    async def __aiter__(self) -> AsyncIterator[T]:
        index = 0
        while True:
            await self._load_until(index + 1)
            with self._lock:
                if index >= len(self._items):
                    return
                item = self._items[index]
                on_last_page = index >= self._last_page_start
            if on_last_page:
                self._prefetch()
            yield item
            index += 1

    async def next(self) -> T:
        """The next item: the first, then the one after the item `next()` last returned
        (loading pages as needed); StopIteration after the last, as in the official client."""
        async with self._lock:
            await self._load_until(self._next_index + 1)
            index = self._next_index
            if index >= len(self._items):
                raise StopAsyncIteration
            self._next_index += 1
            item = self._items[index]
            on_last_page = index >= self._last_page_start
        if on_last_page:
            self._prefetch()
        return item

    # sync: @property
    # sync: def length(self) -> int:
    # sync:     """`len()`, under the official client's older name."""
    # sync:     return self.len()
    # sync:
    # sync: def __len__(self) -> int:
    # sync:     return self.len()
    # sync:
    # sync: @overload
    # sync: def __getitem__(self, index: int) -> T: ...
    # sync: @overload
    # sync: def __getitem__(self, index: slice) -> list[T]: ...
    # sync: def __getitem__(self, index: int | slice) -> T | list[T]:
    # sync:     return self.at(index)
    # sync:
    async def len(self) -> int:
        """The number of items: the server's count (capped by `limit`), else all loaded
        (`len(listing)` in the sync layer)."""
        total = await self.total()
        if total is None:
            return len(await self.load_all())
        return total if self.limit is None else min(total, self.limit)

    @overload
    async def at(self, index: int) -> T: ...
    @overload
    async def at(self, index: slice) -> list[T]: ...
    async def at(self, index: int | slice) -> T | list[T]:
        """The item at `index`, or a list for a slice, loading the pages it needs
        (`listing[index]` in the sync layer); negative indices load everything."""
        if isinstance(index, slice):
            stop, start = index.stop, index.start
            if (stop is None or stop < 0) or (start is not None and start < 0):
                await self.load_all()
            else:
                await self._load_until(stop)
            with self._lock:
                return self._items[index]
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(
                f"{self._what} indices must be integers or slices, not {type(index).__name__}"
            )
        if index < 0:
            await self.load_all()
        else:
            await self._load_until(index + 1)
        with self._lock:
            try:
                return self._items[index]
            except IndexError:
                raise IndexError(
                    f"{self._what} index {index} out of range ({len(self._items)} {self._what})"
                ) from None
