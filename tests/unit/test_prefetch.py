"""The paginator's growing pages and its one page fetched ahead: sizes, bounds, errors,
closing, threads. Requests are counted and ordered by events, never timed."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from runsapi import PaginationError
from runsapi._sync._pagination import BackgroundListings, DefaultPageSize, Page, Paginator

WAIT = 10.0  # seconds an event may take before a test fails (never reached when it passes)


class Server:
    """Serves `count` items in pages (cursors are offsets); records every request, and
    can hold a page until released or fail it a number of times."""

    def __init__(self, count: int) -> None:
        self.items = [f"i{n}" for n in range(count)]
        self.requests: list[tuple[str | None, int]] = []
        self.threads: list[str] = []
        self.hold: dict[str | None, threading.Event] = {}
        self.failures: dict[str | None, int] = {}
        self._sent = threading.Condition()

    def fetch(self, cursor: str | None, size: int) -> Page[str]:
        with self._sent:
            self.requests.append((cursor, size))
            self.threads.append(threading.current_thread().name)
            failing = self.failures.get(cursor, 0)
            if failing:
                self.failures[cursor] = failing - 1
            self._sent.notify_all()
        if cursor in self.hold:
            assert self.hold[cursor].wait(WAIT)
        if failing:
            raise ConnectionError(f"page after {cursor} failed")
        start = int(cursor) if cursor else 0
        nodes = self.items[start : start + size]
        end = start + len(nodes)
        return Page(nodes, str(end), end < len(self.items), total=len(self.items))

    def wait_for_requests(self, count: int) -> None:
        with self._sent:
            assert self._sent.wait_for(lambda: len(self.requests) >= count, WAIT)


def listing(
    server: Server,
    per_page: int = 5,
    *,
    grow_to: int | None = None,
    prefetch: bool = True,
    limit: int | None = None,
) -> Paginator[str]:
    return Paginator(
        fetch=server.fetch,
        convert=list,
        identity=lambda item: item,
        per_page=per_page,
        limit=limit,
        max_per_page=grow_to,
        prefetch=BackgroundListings() if prefetch else None,
    )


def sizes(server: Server) -> list[int]:
    return [size for _, size in server.requests]


def prefetch_threads() -> int:
    return sum(thread.name == "runsapi-prefetch" for thread in threading.enumerate())


# -- growing pages -------------------------------------------------------------------------


def test_pages_left_at_their_default_size_grow_to_the_maximum() -> None:
    server = Server(200)
    pages = listing(server, DefaultPageSize(3), grow_to=50, prefetch=False)
    assert pages.per_page == 3 and repr(pages.per_page) == "3" and pages.grows
    assert list(pages) == server.items
    assert sizes(server) == [3, 12, 48, 50, 50, 50]


def test_a_page_size_given_is_the_size_of_every_page() -> None:
    server = Server(20)
    pages = listing(server, 3, grow_to=50, prefetch=False)
    assert not pages.grows
    assert list(pages) == server.items
    assert sizes(server) == [3] * 7


def test_growing_pages_stop_at_the_limit() -> None:
    server = Server(200)
    assert len(list(listing(server, DefaultPageSize(3), grow_to=50, limit=20))) == 20
    assert sizes(server) == [3, 12, 5]


# -- one page ahead ------------------------------------------------------------------------


def test_the_next_page_is_fetched_while_the_caller_is_on_the_last_one() -> None:
    server = Server(12)
    pages = listing(server)
    items = iter(pages)
    assert next(items) == "i0"
    server.wait_for_requests(2)  # page 2, asked for without the caller asking
    assert server.requests == [(None, 5), ("5", 5)]
    assert server.threads[1] == "runsapi-prefetch"
    assert pages.pages_loaded == 1, "the page ahead is the caller's when it reaches it"
    assert list(items) == server.items[1:]
    assert server.requests == [(None, 5), ("5", 5), ("10", 5)]


def test_never_more_than_one_page_ahead() -> None:
    server = Server(53)
    pages = listing(server, DefaultPageSize(2), grow_to=8)
    for index, _ in enumerate(pages):
        # Requests sent so far: the pages loaded, plus at most the one ahead.
        assert len(server.requests) <= pages.pages_loaded + 1, index
    assert sizes(server) == [2, 8, 8, 8, 8, 8, 8, 8]
    assert pages.pages_loaded == 8


def test_indexing_and_len_fetch_nothing_ahead() -> None:
    server = Server(12)
    pages = listing(server)
    assert len(pages) == 12 and pages[3] == "i3" and pages[7] == "i7"
    assert pages.loaded == server.items[:10]
    assert server.requests == [(None, 5), ("5", 5)]
    assert prefetch_threads() == 0


def test_results_match_a_listing_without_prefetch() -> None:
    for count in (0, 1, 5, 6, 49, 50, 51):
        plain, ahead = Server(count), Server(count)
        assert list(listing(ahead)) == list(listing(plain, prefetch=False)) == plain.items
        assert ahead.requests == plain.requests


def test_concurrent_iteration_loads_each_page_once() -> None:
    server = Server(100)
    pages = listing(server, 7)
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda: results.append(list(pages))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [server.items] * 8
    assert [cursor for cursor, _ in server.requests] == [None, *(str(n) for n in range(7, 99, 7))]


# -- errors --------------------------------------------------------------------------------


def test_an_error_of_the_page_ahead_reaches_the_caller_once_there() -> None:
    server = Server(12)
    server.failures["5"] = 1
    pages = listing(server)
    seen: list[str] = []
    with pytest.raises(ConnectionError, match="page after 5 failed"):
        for item in pages:
            seen.append(item)
    assert seen == server.items[:5], "raised when the caller reached the failed page"
    assert list(pages) == server.items, "iterating again asks for that page again"
    assert pages.next() == "i0"
    assert [cursor for cursor, _ in server.requests] == [None, "5", "5", "10"]
    assert pages.duplicates_skipped == 0


def test_a_cursor_that_does_not_advance_is_refused_from_the_page_ahead() -> None:
    def fetch(cursor: str | None, size: int) -> Page[str]:
        return Page([f"x{cursor}"], "same", has_next=True)

    pages = Paginator(
        fetch=fetch, convert=list, identity=lambda i: i, per_page=1, prefetch=BackgroundListings()
    )
    with pytest.raises(PaginationError, match="the same cursor again after 1 of them"):
        list(pages)


# -- closing -------------------------------------------------------------------------------


def test_close_waits_for_the_page_on_the_wire_and_stops_fetching_ahead() -> None:
    server = Server(20)
    server.hold["5"] = release = threading.Event()
    pages = listing(server)
    items = iter(pages)
    assert next(items) == "i0"
    server.wait_for_requests(2)
    assert prefetch_threads() == 1
    closer = threading.Thread(target=pages.close)
    closer.start()
    release.set()
    closer.join(WAIT)
    assert not closer.is_alive() and prefetch_threads() == 0
    assert list(items) == server.items[1:], "what follows loads on demand"
    assert server.threads.count("runsapi-prefetch") == 1
    assert [cursor for cursor, _ in server.requests] == [None, "5", "5", "10", "15"]


def test_a_with_block_closes_and_keeps_the_collection_type() -> None:
    server = Server(12)

    class Listing(Paginator[str]):
        pass

    with Listing(
        fetch=server.fetch,
        convert=list,
        identity=lambda i: i,
        per_page=5,
        prefetch=BackgroundListings(),
    ) as pages:
        assert isinstance(pages, Listing)
        assert next(iter(pages)) == "i0"
    assert prefetch_threads() == 0
    assert len(server.requests) == 2


def test_closing_the_listings_of_an_api_stops_each() -> None:
    background = BackgroundListings()
    servers = [Server(12) for _ in range(3)]
    listings = [
        Paginator(
            fetch=server.fetch,
            convert=list,
            identity=lambda i: i,
            per_page=5,
            prefetch=background,
        )
        for server in servers
    ]
    iterators: list[Iterator[str]] = [iter(pages) for pages in listings]
    assert [next(items) for items in iterators] == ["i0"] * 3
    background.close_all()
    assert prefetch_threads() == 0
    assert [list(items) for items in iterators] == [servers[0].items[1:]] * 3
    assert prefetch_threads() == 0
    assert all(server.threads.count("runsapi-prefetch") == 1 for server in servers)
