"""`$regex` is RE2: linear time whatever the pattern, RE2's syntax and flags."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runsapi.server import LocalServer
from tests.server.conftest import Client

RUNS = (
    'query($f: JSONString) { project(name: "demo-project", entityName: "demo") {'
    " runs(filters: $f, first: 100) { edges { node { name } } } } }"
)
CREATE = (
    "mutation($name: String!, $display: String) { upsertBucket(input: {name: $name,"
    ' modelName: "demo-project", entityName: "demo", displayName: $display}) { bucket { id } } }'
)


def _names(client: Client, filters: dict[str, Any]) -> list[str]:
    data = client.data(RUNS, {"f": json.dumps(filters)})
    return [edge["node"]["name"] for edge in data["project"]["runs"]["edges"]]


def _create(client: Client, name: str, display: str) -> None:
    client.data(CREATE, {"name": name, "display": display})


def test_a_backtracking_pattern_answers_at_once(fresh_client: Client) -> None:
    """`(a+)+$` against a's and a "!": Python's re would backtrack 2 ** 32 times, holding
    the whole server (the client's 30 s timeout detects a hang)."""
    _create(fresh_client, "backtrack", "a" * 32 + "!")
    assert _names(fresh_client, {"display_name": {"$regex": "(a+)+$"}}) == []
    assert _names(fresh_client, {"display_name": {"$regex": "^(a+)+!$"}}) == ["backtrack"]


@pytest.mark.parametrize(
    ("pattern", "options"),
    [
        (r"(a)\1", ""),  # backreference
        ("(?<=a)b", ""),  # lookbehind
        ("a(?=b)", ""),  # lookahead
        ("a{1001}", ""),  # RE2's repetition limit
        ("a b", "x"),  # no verbose mode
    ],
)
def test_patterns_re2_cannot_run_are_graphql_errors_naming_them(
    client: Client, pattern: str, options: str
) -> None:
    regex = {"$regex": pattern, **({"$options": options} if options else {})}
    errors = client.errors(RUNS, {"f": json.dumps({"display_name": regex})})
    assert any(f"invalid $regex {pattern!r}" in error for error in errors), errors


def test_options_are_re2_flags(fresh: LocalServer, fresh_client: Client) -> None:
    _create(fresh_client, "lines", "First line\nsecond line")

    def matches(pattern: str, options: str) -> bool:
        found = _names(fresh_client, {"display_name": {"$regex": pattern, "$options": options}})
        return "lines" in found

    assert matches("^SECOND", "im") and not matches("^SECOND", "i")
    assert matches("line.second", "s") and not matches("line.second", "m")
    assert matches("(?i)^first", "")  # RE2's own inline flags
