"""One filter grammar: the client's check and the server's compiler accept the same language.

Filter documents are drawn over the grammar (README, "Filtering runs"), including wrong
operators, wrong operand types, unknown fields and deep nesting. For each:
a filter the client accepts compiles on the server and runs there, which is to say that
a filter the server rejects is rejected by the client. The server may accept more (spellings the client steers to their W&B names, `$options`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runsapi import InvalidFilterError
from runsapi._filters import MAX_FILTER_DEPTH, validate_filters
from runsapi.server._fields import FilterError
from runsapi.server._filters import compile_filter_text
from runsapi.server._runs import count_runs
from runsapi.server._store import Store

ROOT_FIELDS = [
    "state",
    "name",
    "displayName",
    "display_name",
    "tags",
    "createdAt",
    "heartbeatAt",
    "group",
    "jobType",
    "sweep",
    "username",
    "host",
    "duration",
]
WRONG_FIELDS = ["Name", "run_id", "created_at", "summary", "config", "config.", "config..a", "$x"]
KEYS = ["lr", "loss", "eval/loss", "a b", "optimizer.name", "lr.value", "_runtime", "x-y"]
COMPARISONS = ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"]
WRONG_OPERATORS = ["$contains", "$options", "$size", "$elemMatch", "$where", "$and", "$or", "gt"]
# Patterns for the drawn documents, valid and not; RE2_LACKS below lists more.
PATTERNS = ["^a", "b$", "(?i)^EXP", "a|b", "[0-9]+", "x{2,3}", "(", "[", "a**", "", ".*-\\d"]
TIMES = ["2024-01-01T00:00:00", "2024-01-01T00:00:00Z", "2024-01-01T02:00:00+02:00", "yesterday"]

fields = st.sampled_from(ROOT_FIELDS) | st.builds(
    "{}.{}".format, st.sampled_from(["config", "summary_metrics"]), st.sampled_from(KEYS)
)
# A mistake now and then: most documents should be valid, to test what the server runs.
fields_or_wrong = st.one_of(fields, fields, fields, fields, st.sampled_from(WRONG_FIELDS))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers() | st.sampled_from([2**63, -(2**63) - 1, 10**30]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["finished", "crashed", "gpu", "", *TIMES]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner),
    max_leaves=4,
)


def operator_conditions(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    """`{"$op": operand, ...}` under a field: right and wrong operators and operands."""
    pairs = [
        st.tuples(st.sampled_from(COMPARISONS), scalars),
        st.tuples(st.sampled_from(COMPARISONS), values),
        st.tuples(st.sampled_from(["$in", "$nin"]), st.lists(scalars, max_size=3)),
        st.tuples(st.sampled_from(["$in", "$nin"]), scalars),
        st.tuples(st.just("$regex"), st.sampled_from(PATTERNS)),
        st.tuples(st.just("$regex"), scalars),
        st.tuples(st.just("$exists"), st.booleans()),
        st.tuples(st.sampled_from(WRONG_OPERATORS), values),
    ]
    if depth > 0:
        pairs.append(st.tuples(st.just("$not"), operator_conditions(depth - 1)))
        pairs.append(st.tuples(st.just("$not"), values))
    return st.lists(st.one_of(pairs), min_size=1, max_size=3).map(dict)


conditions = st.one_of(values, operator_conditions(2), operator_conditions(2))


def documents() -> st.SearchStrategy[dict[str, Any]]:
    leaves = st.dictionaries(fields_or_wrong, conditions, max_size=3)

    def combine(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        return st.one_of(
            st.builds(
                lambda op, items: {op: items},
                st.sampled_from(["$and", "$or", "$nor"]),
                st.lists(inner, min_size=1, max_size=3),
            ),
            st.builds(
                lambda op, item: {op: item},
                st.sampled_from(["$and", "$or", "$nor", "$not"]),
                st.lists(inner, max_size=1) | inner | values,
            ),
            st.builds(lambda item: {"$not": item}, inner),
            st.builds(lambda a, b: {**a, **b}, inner, leaves),
        )

    return st.recursive(leaves, combine, max_leaves=8)


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    store = Store(tmp_path_factory.mktemp("grammar") / "runs.db")
    yield store.connection()
    store.close()


def client_accepts(document: dict[str, Any]) -> bool:
    try:
        validate_filters(document)
    except InvalidFilterError:
        return False
    return True


def server_accepts(conn: sqlite3.Connection, document: dict[str, Any]) -> bool:
    """Whether the server compiles the filter as sent (JSON text) and SQLite runs it."""
    try:
        count_runs(conn, 0, compile_filter_text(json.dumps(document)))
    except FilterError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(document=documents())
def test_client_and_server_accept_the_same_filters(
    conn: sqlite3.Connection, document: dict[str, Any]
) -> None:
    client, server = client_accepts(document), server_accepts(conn, document)
    assert server or not client, f"the client accepts what the server rejects: {document}"


def nested(depth: int) -> dict[str, Any]:
    document: dict[str, Any] = {"state": "finished"}
    for _ in range(depth - 1):
        document = {"$not": document}
    return document


@pytest.mark.parametrize("depth", [MAX_FILTER_DEPTH - 1, MAX_FILTER_DEPTH, MAX_FILTER_DEPTH + 1])
def test_both_sides_limit_nesting_alike(conn: sqlite3.Connection, depth: int) -> None:
    document = nested(depth)
    assert client_accepts(document) == server_accepts(conn, document) == (depth <= MAX_FILTER_DEPTH)


# What Python's `re` (the client's syntax check) takes and RE2 (the server's engine) lacks,
# and keys SQLite's JSON paths cannot name: the client refuses them all, as the server does.
RE2_LACKS = [
    "(?=a)",
    "(?!a)",
    "(?<=a)b",
    "(?<!a)b",
    "(?>a)",
    "(a)\\1",
    "(?P<n>a)(?P=n)",
    "a++",
    "a*+",
    "a?+",
    "a{2}+",
    "a\\Z",
]


@pytest.mark.parametrize(
    "document",
    [
        *({"name": {"$regex": pattern}} for pattern in RE2_LACKS),
        {'config.a"b': 1},
        {'summary_metrics.a"b': 1},
    ],
)
def test_what_the_server_cannot_run_the_client_refuses(
    conn: sqlite3.Connection, document: dict[str, Any]
) -> None:
    assert not server_accepts(conn, document)
    assert not client_accepts(document)


@pytest.mark.parametrize("pattern", ["[(?=]", "\\(?=", "[a\\]+]", "a+?", "\\\\1", "(?i)a|b"])
def test_what_only_looks_like_it_is_accepted_by_both(
    conn: sqlite3.Connection, pattern: str
) -> None:
    document = {"name": {"$regex": pattern}}
    assert client_accepts(document) and server_accepts(conn, document)
