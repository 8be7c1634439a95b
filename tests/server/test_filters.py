"""Filters and orders against the pure-Python oracle, over the same seeded runs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runsapi.server import LocalServer, _filters
from runsapi.server._fields import FilterError
from runsapi.server._filters import compile_filter_text, compile_filters
from runsapi.server._runs import count_runs, list_runs
from tests.server import oracle
from tests.server.conftest import Client

FIELDS = [
    "state",
    "name",
    "display_name",
    "displayName",
    "group",
    "jobType",
    "sweep",
    "username",
    "createdAt",
    "tags",
    "config.lr",
    "config.lr.value",
    "config.batch_size",
    "config.optimizer.name",
    "config.optimizer.value.name",
    "config.model.layers",
    "config.use_amp",
    "config.experiment_name",
    "summary_metrics.loss",
    "summary_metrics.acc",
    "summary_metrics.best.acc",
    "summary_metrics.grad_norm",
    "summary_metrics.eval/loss",
    "config.not_there",
]
ORDER_KEYS = [
    "created_at",
    "heartbeat_at",
    "display_name",
    "name",
    "config.lr.value",
    "config.batch_size",
    "config.use_amp",
    "config.experiment_name",
    "summary_metrics.loss",
    "summary_metrics.acc",
    "summary_metrics.best.acc",
    "summary_metrics.grad_norm",
    "config.optimizer.name",
]
REGEXES = ["^a", "n", "^[a-m]", "ed$", "E", ".", "^résumé$"]
EXTRA_VALUES: list[Any] = [
    None,
    0,
    1,
    0.5,
    32,
    "",
    "a",
    "finished",
    "gpu",
    True,
    False,
    "2024-01-01T10:00:00",
    "2024-01-01T12:00:00Z",
]


@pytest.fixture(scope="module")
def runs(seeded: LocalServer) -> list[dict[str, Any]]:
    assert seeded.seeded is not None
    return oracle.load_runs(seeded.store.connection(), seeded.seeded.project_id)


def value_pool(runs: list[dict[str, Any]], field: str) -> list[Any]:
    if field == "tags":
        values: list[Any] = [tag for run in runs for tag in run["tags"]]
    else:
        values = [oracle.field_value(run, field) for run in runs]
    return [v for v in values if v is not oracle.MISSING] + EXTRA_VALUES


def leaf(runs: list[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        field = draw(st.sampled_from(FIELDS))
        pool = value_pool(runs, field)
        value = st.sampled_from(pool)
        ordered_value = st.sampled_from(
            [v for v in pool if isinstance(v, (int, float, str)) and not isinstance(v, bool)]
        )
        op = draw(
            st.sampled_from(
                [
                    "implicit",
                    "$eq",
                    "$ne",
                    "$gt",
                    "$gte",
                    "$lt",
                    "$lte",
                    "$in",
                    "$nin",
                    "$exists",
                    "$regex",
                    "$not",
                ]
            )
        )
        if op == "implicit":
            return {field: draw(value)}
        if op in ("$in", "$nin"):
            return {field: {op: draw(st.lists(value, max_size=4))}}
        if op in ("$gt", "$gte", "$lt", "$lte"):
            return {field: {op: draw(ordered_value)}}
        if op == "$exists":
            return {field: {op: draw(st.booleans())}}
        if op == "$regex":
            regex: dict[str, Any] = {op: draw(st.sampled_from(REGEXES))}
            if draw(st.booleans()):
                regex["$options"] = "i"
            return {field: regex}
        if op == "$not":
            return {
                field: {
                    "$not": {
                        draw(st.sampled_from(["$eq", "$in"])): draw(st.lists(value, max_size=2))
                    }
                }
            }
        return {field: {op: draw(value)}}

    return build()


def filters(runs: list[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    def combine(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        many = st.lists(children, min_size=1, max_size=3)
        return st.one_of(
            st.builds(lambda items: {"$and": items}, many),
            st.builds(lambda items: {"$or": items}, many),
            st.builds(lambda items: {"$nor": items}, many),
            st.builds(lambda item: {"$not": item}, children),
            st.builds(lambda a, b: {**a, **b}, children, children),
        )

    return st.recursive(leaf(runs), combine, max_leaves=6)


def server_names(
    server: LocalServer, filter_doc: dict[str, Any], order: str | None = None, page: int = 10_000
) -> list[str]:
    assert server.seeded is not None
    conn = server.store.connection()
    names: list[str] = []
    cursor = None
    while True:
        edges, more = list_runs(
            conn,
            server.seeded.project_id,
            filters=compile_filter_text(json.dumps(filter_doc)),
            order=order,
            after=cursor,
            first=page,
        )
        names += [run["name"] for run, _ in edges]
        if not more:
            return names
        cursor = edges[-1][1]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_filters_agree_with_the_oracle(
    seeded: LocalServer, runs: list[dict[str, Any]], data: st.DataObject
) -> None:
    filter_doc = data.draw(filters(runs))
    expected = {run["name"] for run in runs if oracle.matches(run, filter_doc)}
    got = server_names(seeded, filter_doc)
    assert len(got) == len(set(got))
    assert set(got) == expected, filter_doc
    assert seeded.seeded is not None
    assert count_runs(
        seeded.store.connection(),
        seeded.seeded.project_id,
        compile_filter_text(json.dumps(filter_doc)),
    ) == len(expected)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=st.sampled_from(ORDER_KEYS), descending=st.booleans(), page=st.integers(1, 31))
def test_orders_and_pages_agree_with_the_oracle(
    seeded: LocalServer, runs: list[dict[str, Any]], key: str, descending: bool, page: int
) -> None:
    order = ("-" if descending else "+") + key
    assert server_names(seeded, {}, order, page) == oracle.ordered(runs, order)


def test_default_order_is_created_at_ascending(
    seeded: LocalServer, runs: list[dict[str, Any]]
) -> None:
    assert server_names(seeded, {}, None, 7) == oracle.ordered(runs, "+created_at")


@pytest.mark.parametrize(
    ("filter_doc", "check"),
    [
        ({"tags": "gpu"}, lambda run: "gpu" in run["tags"]),
        ({"tags": {"$in": ["gpu", "prod"]}}, lambda run: bool({"gpu", "prod"} & set(run["tags"]))),
        ({"tags": {"$nin": ["gpu"]}}, lambda run: "gpu" not in run["tags"]),
        (
            {"config.optimizer.name": "adam"},
            lambda run: run["config"]["optimizer"]["value"]["name"] == "adam",
        ),
        ({"config.lr": {"$lt": 0.001}}, lambda run: run["config"]["lr"]["value"] < 0.001),
        ({"config.use_amp": {"$exists": False}}, lambda run: "use_amp" not in run["config"]),
        (
            {"summary_metrics.best.acc": {"$gte": 0.8}},
            lambda run: run["summary"]["best"]["acc"] >= 0.8,
        ),
        ({"summary_metrics.loss": None}, lambda run: run["summary"]["loss"] is None),
        (
            {"$or": [{"state": "crashed"}, {"state": "failed"}]},
            lambda run: run["state"] in ("crashed", "failed"),
        ),
        (
            {"display_name": {"$regex": "^(amber|calm)-"}},
            lambda run: run["display_name"].split("-")[0] in ("amber", "calm"),
        ),
        (
            {"createdAt": {"$gte": "2024-01-01T11:00:00Z"}},
            lambda run: run["created_at"] >= "2024-01-01T11:00:00",
        ),
    ],
)
def test_documented_filters_over_graphql(
    client: Client, runs: list[dict[str, Any]], filter_doc: dict[str, Any], check: Any
) -> None:
    data = client.data(
        'query($f: JSONString) { project(name: "demo-project", entityName: "demo") {'
        " runCount(filters: $f) runs(filters: $f, first: 1000) { edges { node { name } } } } }",
        {"f": json.dumps(filter_doc)},
    )
    expected = {run["name"] for run in runs if check(run)}
    assert expected, "the seed should make every documented filter match something"
    names = {edge["node"]["name"] for edge in data["project"]["runs"]["edges"]}
    assert names == expected
    assert data["project"]["runCount"] == len(expected)


@pytest.mark.parametrize(
    ("filter_doc", "message"),
    [
        ({"state": {"$near": 1}}, "unknown operator '$near'"),
        ({"$xor": []}, "unknown top-level operator"),
        ({"$and": []}, "$and needs a non-empty list"),
        ({"nope": 1}, "unknown filter key 'nope'"),
        ({"state": {"$gt": True}}, "$gt needs a number or a string"),
        ({"name": {"$regex": "("}}, "invalid $regex"),
        ({"name": {"$in": "a"}}, "$in needs a list"),
        ({"state": {"$eq": 1, "b": 2}}, "cannot mix operators and fields"),
        ({'config.x"y': 1}, "unsupported key segment"),
    ],
)
def test_bad_filters_are_graphql_errors(
    client: Client, filter_doc: dict[str, Any], message: str
) -> None:
    errors = client.errors(
        'query($f: JSONString) { project(name: "demo-project", entityName: "demo") { runCount(filters: $f) } }',
        {"f": json.dumps(filter_doc)},
    )
    assert any(message in error for error in errors), errors


def test_filter_values_are_parameters_not_sql(seeded: LocalServer) -> None:
    hostile = "x' OR 1=1 --"
    assert server_names(seeded, {"name": hostile}) == []
    assert server_names(seeded, {f"config.{hostile}": 1}) == []
    with pytest.raises(FilterError):
        server_names(seeded, {}, order='+summary_metrics.a"b')


def test_order_by_keys_with_odd_characters(seeded: LocalServer, runs: list[dict[str, Any]]) -> None:
    assert server_names(seeded, {}, "-summary_metrics.eval/loss", 4) == oracle.ordered(
        runs, "-summary_metrics.eval/loss"
    )


def test_a_filter_compiles_once_per_request(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled: list[Any] = []

    def counting(filters: Any) -> Any:
        compiled.append(filters)
        return compile_filters(filters)

    monkeypatch.setattr(_filters, "compile_filters", counting)
    data = client.data(
        'query($f: JSONString) { project(name: "demo-project", entityName: "demo") {'
        " runCount(filters: $f) runs(filters: $f, first: 3) { edges { node { name } } } } }",
        {"f": json.dumps({"state": "finished"})},
    )
    assert data["project"]["runCount"] >= len(data["project"]["runs"]["edges"]) > 0
    assert compiled == [{"state": "finished"}]
