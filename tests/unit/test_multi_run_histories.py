"""Multi-run histories page through the runs with the one paginator and its cursor guard."""

from __future__ import annotations

import json

import httpx
import pytest

from runsapi import Api, PaginationError

API_KEY = "local-" + "k" * 40


def page(names: list[str], *, cursor: str, has_next: bool) -> dict[str, object]:
    """A RunsSampledHistory page of these runs, ending at `cursor`."""
    edges = [
        {"node": {"id": name, "name": name, "sampledHistory": [[{"_step": 0}]]}, "cursor": cursor}
        for name in names
    ]
    page_info = {"endCursor": cursor, "hasNextPage": has_next}
    return {"data": {"project": {"runs": {"edges": edges, "pageInfo": page_info}}}}


def histories_of_pages(*pages: dict[str, object]) -> tuple[list[str], list[str | None]]:
    """(run ids of `runs.histories()`, cursors sent) against a server answering `pages`."""
    answers = iter(pages)
    cursors: list[str | None] = []

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["operationName"] == "RunsSampledHistory"
        cursors.append(body["variables"].get("cursor"))
        return httpx.Response(200, json=next(answers))

    with Api(
        {"base_url": "http://127.0.0.1:1"}, api_key=API_KEY, transport=httpx.MockTransport(handle)
    ) as api:
        rows = api.runs("team/project", per_page=2).histories(keys=["loss"], progress=False)
    return [row["run_id"] for row in rows], cursors


def test_pages_follow_the_cursor() -> None:
    ids, cursors = histories_of_pages(
        page(["a", "b"], cursor="p1", has_next=True), page(["c"], cursor="p2", has_next=False)
    )
    assert ids == ["a", "b", "c"] and cursors == [None, "p1"]


def test_a_cursor_that_does_not_advance_raises_instead_of_truncating() -> None:
    with pytest.raises(PaginationError, match="the same cursor again after 2 of them"):
        histories_of_pages(
            page(["a", "b"], cursor="p1", has_next=True),
            page(["c", "d"], cursor="p1", has_next=True),
        )
