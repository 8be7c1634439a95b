"""Comparisons written as plain comparisons of indexed values (runsapi.server._filters'
module doc) match exactly what the rules say, at the edges where a value alone could be of
another kind: booleans read as 1 and 0, arrays and objects as JSON text, numbers sort
before text. Each filter is read every way the server reads one (a page searching the
filter's index, a page walking the order's index, a count) and negated, against the
oracle; walked pages walk the walk index of the order and the filter's keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runsapi.server import _json_indexes, _runs
from runsapi.server._filters import compile_filters
from runsapi.server._ordering import parse_order
from runsapi.server._seed import bare_spec, seeded_store
from runsapi.server._store import Store
from tests.server import oracle

VALUES: list[Any] = [
    True,
    False,
    0,
    1,
    0.0,
    1.0,
    0.5,
    2,
    -1,
    "[1, 2]",
    "[",
    [1, 2],
    {"a": 1},
    '{"a": 1}',
    "abc",
    "",
    "Z",
    "0",
    "1",
    None,
]
OPERANDS: list[Any] = [0, 1, 1.0, 0.5, 2, -1, "[1, 2]", '{"a": 1}', "[", "Z", "a", "", "0"]
FILTERS: list[dict[str, Any]] = [
    *({"config.x": operand} for operand in [*OPERANDS, True, False]),
    *(
        {key: {op: operand}}
        for key in ("config.x", "summary_metrics.x")
        for op in ("$gt", "$gte", "$lt", "$lte")
        for operand in OPERANDS
    ),
    {"summary_metrics.x": {"$in": [0, 1, "[1, 2]", "abc"]}},
    {"summary_metrics.x": {"$gt": 0, "$lt": 1}},
    {"tags": "1"},
    {"tags": {"$in": ["1", "[1, 2]"]}},
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, int]]:
    path: Path = tmp_path_factory.mktemp("forms") / "forms.db"
    store, seeded = seeded_store(path, bare_spec("forms", "p", runs=0))
    with store.write() as conn:
        for index, value in enumerate([*VALUES, oracle.MISSING]):
            has = value is not oracle.MISSING
            tags = [str(value)] if isinstance(value, (int, str)) else ["[1, 2]", "1"]
            _runs.create_run(
                conn,
                seeded.project_id,
                None,
                f"run-{index}",
                {
                    "config": json.dumps({"x": {"value": value}} if has else {}),
                    "summaryMetrics": json.dumps({"x": value} if has else {}),
                    "tags": tags,
                },
            )
    yield store, seeded.project_id
    store.close()


def _names(store: Store, project_id: int, filters: dict[str, Any], order: str) -> list[str]:
    compiled = compile_filters(filters)
    value = parse_order(order).field.value_sql
    _json_indexes.ensure(store, [compiled.condition, value])
    edges, more = _runs.list_runs(
        store.connection(),
        project_id,
        filters=compiled,
        order=order,
        after=None,
        first=100,
        walk_index=_json_indexes.walk_index(store, value, compiled.condition),
    )
    assert not more
    return sorted(run["name"] for run, _ in edges)


@pytest.mark.parametrize("searched", [True, False], ids=["searched", "walked"])
@pytest.mark.parametrize("order", ["+created_at", "-summary_metrics.x", "+config.x"])
def test_index_forms_match_the_rules(
    store: tuple[Store, int], order: str, searched: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_runs, "SELECTIVE_RUNS", 10_000 if searched else 0)
    runs = oracle.load_runs(store[0].connection(), store[1])
    assert len(runs) == len(VALUES) + 1
    for filters in FILTERS:
        for document in (filters, {"$not": filters}):
            expected = sorted(run["name"] for run in runs if oracle.matches(run, document))
            assert _names(*store, document, order) == expected, document
            counted = _runs.count_runs(store[0].connection(), store[1], compile_filters(document))
            assert counted == len(expected), document


def test_a_number_comparison_reads_no_type_unless_0_or_1_is_in_range() -> None:
    """The type of a key is read (from the run, not the index) only where a boolean
    could pass for the number: the common comparisons read the index alone."""
    plain = [{"summary_metrics.x": {"$gt": 1}}, {"config.x": 16}, {"config.x": {"$lt": -1}}]
    for filters in plain:
        assert "json_type" not in compile_filters(filters).condition, filters
    for filters in [{"summary_metrics.x": {"$lt": 0.5}}, {"config.x": 1}]:
        assert "json_type" in compile_filters(filters).condition, filters
