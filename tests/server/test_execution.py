"""The server's executor answers exactly as graphql-core's own does, on 3.2 and 3.3.

On graphql-core 3.2 the server's executor is the leaf shortcut; elsewhere it is
graphql-core's executor itself. CI runs these tests on both versions.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import ExecutionResult, build_schema, execute, parse, version_info

from runsapi.server._execution import LEAF_SHORTCUT_SUPPORTED, executor_options

SCHEMA = build_schema(
    """
    enum Color { RED GREEN }
    type Item {
      id: ID!
      name: String
      size: Int
      ratio: Float
      color: Color
      required: String!
      computed: String
      withArg(x: Int): String
      tags: [String]
      child: Item
    }
    type Query { items: [Item] item: Item }
    """
)


def _computed(_info: Any, **_: Any) -> str:
    return "called"


ROOT = {
    "items": [
        {
            "id": 1,
            "name": "a",
            "size": 3,
            "ratio": 0.5,
            "color": "RED",
            "required": "r",
            "computed": _computed,
            "withArg": "w",
            "tags": ["x", None],
            "child": {"id": "c", "name": None, "required": "q"},
        },
        {"id": "2", "name": None, "size": "not a number", "color": "BLUE", "required": None},
        {"id": "3", "size": 2**40, "ratio": "1.5", "required": "ok"},
    ],
    "item": {"id": "9", "required": "x"},
}

QUERIES = [
    "{ items { id name size ratio color required computed withArg(x: 1) tags } }",
    "{ items { ident: id n: name __typename child { id name required } } }",
    "query($skip: Boolean!) { items { id name @skip(if: $skip) ...F } }"
    " fragment F on Item { size color }",
    "{ item { id required } items { required } }",
]


def _run(query: str, *, fast: bool) -> ExecutionResult:
    result = execute(
        SCHEMA,
        parse(query),
        ROOT,
        variable_values={"skip": False},
        **executor_options(leaf_shortcut=fast),
    )
    assert isinstance(result, ExecutionResult)
    return result


def test_the_shortcut_is_used_exactly_on_graphql_core_3_2() -> None:
    on_3_2 = (version_info.major, version_info.minor) == (3, 2)
    assert on_3_2 == LEAF_SHORTCUT_SUPPORTED
    assert bool(executor_options()) == on_3_2
    assert executor_options(leaf_shortcut=False) == {}
    if on_3_2:
        from runsapi.server._leaf_shortcut import LeafShortcutExecutionContext  # noqa: PLC0415

        assert executor_options() == {"execution_context_class": LeafShortcutExecutionContext}


@pytest.mark.parametrize("query", QUERIES)
def test_same_data_and_errors_as_graphql_core(query: str) -> None:
    plain, fast = _run(query, fast=False), _run(query, fast=True)
    assert fast.data == plain.data
    assert [e.formatted for e in fast.errors or []] == [e.formatted for e in plain.errors or []]


def test_the_cases_above_do_produce_errors_and_nulls() -> None:
    """Guard against a table that exercises nothing: errors and nulls are really there."""
    result = _run(QUERIES[0], fast=True)
    messages = " ".join(error.message for error in result.errors or [])
    assert "Cannot return null for non-nullable field Item.required" in messages
    assert "Int cannot represent" in messages
    assert result.data is not None
    assert result.data["items"][0]["computed"] == "called"
    assert result.data["items"][1] is None  # its non-null `required` was null
    assert result.data["items"][2]["name"] is None
