"""Requests too deep or too large for the server's parsers and for SQLite are the client's
mistake: a clear error for the client, logged at DEBUG (not ERROR with a traceback)."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator

import httpx
import pytest

from runsapi.server import LocalServer
from runsapi.server._filters import MAX_FILTER_DEPTH
from tests.server.conftest import Client

COUNT = (
    'query($f: JSONString) { project(name: "demo-project", entityName: "demo") {'
    " runCount(filters: $f) runs(filters: $f, first: 5) { edges { node { name } } } } }"
)
SPEC = (
    'query($specs: [JSONString!]!) { project(name: "demo-project", entityName: "demo") {'
    " runs(first: 1) { edges { node { sampledHistory(specs: $specs) } } } } }"
)


def _nested(prefix: str, suffix: str, depth: int, inner: str = '{"state": "x"}') -> str:
    """JSON nested `depth` times, built as text (json.dumps itself would recurse)."""
    return prefix * depth + inner + suffix * depth


@pytest.fixture
def server_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG, logger="runsapi.server"):
        yield caplog
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [], "a client's mistake was logged as a server error"


def _logged_at_debug(log: pytest.LogCaptureFixture, text: str) -> bool:
    return any(
        record.levelno == logging.DEBUG and text in record.getMessage() for record in log.records
    )


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        # Too deep for the server's own limit (compiling would run out of stack).
        (_nested('{"$not": ', "}", 150), f"at most {MAX_FILTER_DEPTH} deep"),
        (_nested('{"$and": [', "]}", 90), f"at most {MAX_FILTER_DEPTH} deep"),
        # Too deep for any JSON parser's recursion.
        (_nested("[", "]", 100_000, ""), "filters is nested too deeply"),
    ],
)
def test_filters_too_deep_are_clear_errors(
    client: Client, server_log: pytest.LogCaptureFixture, filters: str, message: str
) -> None:
    errors = client.errors(COUNT, {"f": filters})
    assert errors and all(message in error for error in errors), errors
    assert _logged_at_debug(server_log, message)


@pytest.mark.parametrize(
    "filters",
    [
        _nested('{"$not": ', "}", MAX_FILTER_DEPTH - 1),
        _nested('{"$or": [{"state": "y"}, ', "]}", MAX_FILTER_DEPTH // 2 - 1),
        _nested('{"state": "y", "$not": ', "}", MAX_FILTER_DEPTH - 1),
        _nested('{"$not": {"$or": [{"state": "y"}, ', "]}}", MAX_FILTER_DEPTH // 3),
    ],
)
def test_filters_as_deep_as_allowed_run(client: Client, filters: str) -> None:
    """Negations reach only the leaves and the deepest operand comes first, within what
    SQLite's parser takes (_filters._join)."""
    client.data(COUNT, {"f": filters})


def test_long_in_lists_run(client: Client, seeded: LocalServer) -> None:
    """`$in` values join as a balanced tree: thousands of them stay within SQLite's
    expression depth (the client asks for pages of runs by name this way)."""
    assert seeded.seeded is not None
    names = [*seeded.seeded.run_names[:5], *(f"absent-{index}" for index in range(5_000))]
    data = client.data(COUNT, {"f": json.dumps({"name": {"$in": names}})})
    assert data["project"]["runCount"] == 5
    assert {edge["node"]["name"] for edge in data["project"]["runs"]["edges"]} == set(names[:5])


def test_more_in_values_than_sqlite_binds_is_a_clear_error(
    client: Client, seeded: LocalServer, server_log: pytest.LogCaptureFixture
) -> None:
    limit = seeded.store.connection().getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    filters = json.dumps({"name": {"$in": [str(index) for index in range(limit + 1)]}})
    errors = client.errors(COUNT, {"f": filters})
    assert all("too large for SQLite (too many SQL variables)" in error for error in errors)
    assert _logged_at_debug(server_log, "too many SQL variables")


def test_a_spec_too_deep_is_a_clear_error(
    client: Client, server_log: pytest.LogCaptureFixture
) -> None:
    errors = client.errors(SPEC, {"specs": [_nested("[", "]", 100_000, "")]})
    assert errors == ["a sampledHistory spec is nested too deeply"]
    assert _logged_at_debug(server_log, "nested too deeply")


def test_a_body_too_deep_is_a_400(seeded: LocalServer) -> None:
    body = b'{"query": "{ viewer { id } }", "variables": {"x": ' + b"[" * 100_000
    body += b"]" * 100_000 + b"}}"
    response = httpx.post(
        seeded.graphql_url,
        content=body,
        auth=("api", seeded.api_key),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "the request body is not valid JSON"


def test_a_document_too_deep_is_a_400(client: Client, server_log: pytest.LogCaptureFixture) -> None:
    query = "{ viewer " + "{ id " * 2_000 + "}" * 2_001
    response = client.post(query)
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["errors"][0]["message"]
    assert _logged_at_debug(server_log, "nested too deeply")
