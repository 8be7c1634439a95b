"""The paginator: lazy pages, indexing, limits, de-duplication and the cursor guard."""

from __future__ import annotations

import threading

import pytest

from runsapi import PaginationError, UsageError
from runsapi._sync._pagination import Page, Paginator


class Server:
    """Serves `items` in pages; cursors are stringified offsets."""

    def __init__(self, items: list[str], *, total: int | None = -1) -> None:
        self.items = items
        self.total = len(items) if total == -1 else total
        self.requests: list[tuple[str | None, int]] = []

    def fetch(self, cursor: str | None, size: int) -> Page[str]:
        self.requests.append((cursor, size))
        start = int(cursor) if cursor else 0
        nodes = self.items[start : start + size]
        end = start + len(nodes)
        return Page(
            nodes=nodes, next_cursor=str(end), has_next=end < len(self.items), total=self.total
        )


def paginate(server: Server, per_page: int = 3, limit: int | None = None) -> Paginator[str]:
    return Paginator(
        fetch=server.fetch,
        convert=lambda nodes: [node.upper() for node in nodes],
        identity=lambda item: item,
        per_page=per_page,
        limit=limit,
        what="things",
    )


ITEMS = [f"i{n}" for n in range(10)]


def test_nothing_is_fetched_until_needed() -> None:
    server = Server(ITEMS)
    pages = paginate(server)
    assert server.requests == []
    assert pages.more
    assert next(iter(pages)) == "I0"
    assert server.requests == [(None, 3)]


def test_len_asks_for_one_page_only() -> None:
    server = Server(ITEMS)
    assert len(paginate(server)) == 10
    assert len(server.requests) == 1


def test_len_loads_everything_when_the_server_has_no_count() -> None:
    server = Server(ITEMS, total=None)
    assert len(paginate(server)) == 10
    assert len(server.requests) == 4


def test_iteration_loads_pages_in_order_and_reiteration_reuses_them() -> None:
    server = Server(ITEMS)
    pages = paginate(server)
    assert list(pages) == [item.upper() for item in ITEMS]
    assert [cursor for cursor, _ in server.requests] == [None, "3", "6", "9"]
    assert list(pages) == [item.upper() for item in ITEMS]
    assert len(server.requests) == 4
    assert not pages.more


@pytest.mark.parametrize(
    ("index", "requests"),
    [
        (0, 1),
        (2, 1),
        (3, 2),
        (9, 4),
        (-1, 4),
        (-10, 4),
        (slice(0, 4), 2),
        (slice(2, None), 4),
        (slice(-3, None), 4),
        (slice(None, None, 2), 4),
    ],
)
def test_indexing_and_slicing(index: int | slice, requests: int) -> None:
    server = Server(ITEMS)
    expected = [item.upper() for item in ITEMS][index]
    assert paginate(server)[index] == expected
    assert len(server.requests) == requests


def test_index_past_the_end() -> None:
    with pytest.raises(IndexError, match="things index 10 out of range"):
        paginate(Server(ITEMS))[10]


def test_limit_is_separate_from_page_size() -> None:
    server = Server(ITEMS)
    pages = paginate(server, per_page=4, limit=6)
    assert list(pages) == ["I0", "I1", "I2", "I3", "I4", "I5"]
    assert server.requests == [(None, 4), ("4", 2)]
    assert len(pages) == 6
    assert not pages.more


def test_cursor_resumes_where_a_previous_listing_stopped() -> None:
    server = Server(ITEMS)
    first = paginate(server, per_page=4)
    first[0]
    resumed = Paginator(
        fetch=server.fetch,
        convert=list,
        identity=lambda item: item,
        per_page=4,
        cursor=first.cursor,
    )
    assert list(resumed) == ITEMS[4:]


def test_duplicates_across_pages_are_skipped() -> None:
    def fetch(cursor: str | None, size: int) -> Page[str]:
        if cursor is None:
            return Page(nodes=["a", "b", "c"], next_cursor="c1", has_next=True, total=4)
        return Page(nodes=["c", "d"], next_cursor="c2", has_next=False, total=4)

    pages = Paginator(fetch=fetch, convert=list, identity=lambda item: item, per_page=3)
    assert list(pages) == ["a", "b", "c", "d"]
    assert pages.duplicates_skipped == 1


@pytest.mark.parametrize("next_cursor", [None, "same"])
def test_a_cursor_that_does_not_advance_is_refused(next_cursor: str | None) -> None:
    calls = 0

    def fetch(cursor: str | None, size: int) -> Page[str]:
        nonlocal calls
        calls += 1
        return Page(nodes=[f"x{calls}"], next_cursor=next_cursor, has_next=True)

    pages = Paginator(
        fetch=fetch, convert=list, identity=lambda item: item, per_page=1, cursor="same"
    )
    with pytest.raises(PaginationError, match="stopping instead of looping"):
        list(pages)
    assert calls == 1


def test_empty_pages_with_more_to_come_are_skipped_over() -> None:
    answers = iter(
        [
            Page(nodes=[], next_cursor="1", has_next=True),
            Page(nodes=["a"], next_cursor="2", has_next=False),
        ]
    )
    pages = Paginator(
        fetch=lambda c, s: next(answers), convert=list, identity=lambda i: i, per_page=5
    )
    assert list(pages) == ["a"]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_page_size_is_checked_before_any_request(bad: object) -> None:
    with pytest.raises(UsageError, match="per_page must be a positive integer"):
        paginate(Server(ITEMS), per_page=bad)  # type: ignore[arg-type]


def test_concurrent_iteration_loads_each_page_once() -> None:
    server = Server([f"i{n}" for n in range(100)])
    pages = paginate(server, per_page=7)
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda: results.append(list(pages))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result == [f"I{n}" for n in range(100)] for result in results)
    assert len(server.requests) == 15
