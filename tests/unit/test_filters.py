"""Run filters and sort orders: raw documents pass unchanged, mistakes are named with a fix,
and the builder compiles to the documents users would write by hand."""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone, tzinfo
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runsapi._filter_builder import F, Filter, normalize_filters
from runsapi._filters import (
    FIELD_OPERATORS,
    FILTER_FIELDS,
    LOGICAL_OPERATORS,
    InvalidFilterError,
    InvalidOrderError,
    validate_filters,
    validate_order,
)

# --- raw documents -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"state": "finished", "config.batch_size": 32},
        {"$or": [{"config.experiment_name": "foo"}, {"config.experiment_name": "bar"}]},
        {"config.experiment_name": {"$regex": "b.*"}},
        {"tags": {"$in": ["best"]}},
        {"tags": "best"},
        {"$and": [{"sweep": "abc"}]},
        {"summary_metrics.eval/loss": {"$lt": 0.5}},
        {"summary_metrics.best.acc": {"$gte": 0.9, "$lte": 1}},
        {"createdAt": {"$gt": "2024-01-01T00:00:00"}},
        {"heartbeatAt": {"$lte": "2024-06-01T12:00:00"}},
        {"display_name": {"$regex": "^exp-"}, "displayName": {"$ne": "x"}},
        {"config.optimizer.name": "adam", "config.lr.value": {"$in": [0.1, 0.01]}},
        {"state": {"$nin": ["crashed", "failed"]}, "group": None, "jobType": "train"},
        {"name": {"$in": ["abc123", "def456"]}, "username": "me", "host": "gpu-1"},
        {"duration": {"$gt": 3600}, "config.tags": ["a", "b"], "config.opt": {"a": 1}},
        {"summary_metrics.eval loss": {"$exists": True}, "config.seed": {"$exists": False}},
        {"config.lr": {"$not": {"$gt": 0.1}}},
        {"$not": {"state": "crashed"}},
        {"$nor": [{"state": "crashed"}, {"tags": {"$in": ["debug"]}}]},
        {
            "$and": [
                {"$or": [{"state": "finished"}, {"state": "running"}]},
                {"$nor": [{"$and": [{"config.lr": {"$lt": 1e-5}}, {"group": "old"}]}]},
                {"$not": {"$or": [{"tags": {"$in": ["debug"]}}, {"host": {"$regex": "^dev"}}]}},
            ]
        },
    ],
)
def test_valid_raw_filters_pass_unchanged(filters: dict[str, Any]) -> None:
    result = validate_filters(filters)
    assert result == filters
    assert type(result) is dict
    assert normalize_filters(filters) == filters


def test_any_mapping_comes_back_as_a_plain_dict() -> None:
    result = validate_filters(MappingProxyType({"state": "finished"}))
    assert result == {"state": "finished"}
    assert type(result) is dict


def test_normalize_filters() -> None:
    assert normalize_filters(None) == {}
    assert normalize_filters(F.state == "finished") == {"state": "finished"}


def test_errors_are_value_errors() -> None:
    assert issubclass(InvalidFilterError, ValueError)
    assert issubclass(InvalidOrderError, ValueError)


def check_error(filters: object, *expected: str) -> InvalidFilterError:
    with pytest.raises(InvalidFilterError) as caught:
        validate_filters(filters)  # type: ignore[arg-type]
    for text in expected:
        assert text in str(caught.value), f"{text!r} not in {caught.value}"
    return caught.value


@pytest.mark.parametrize(
    ("field", "suggestion"),
    [
        ("summary", "summary_metrics.<key>"),
        ("summary.acc", "summary_metrics.acc"),
        ("summary.eval/loss", "summary_metrics.eval/loss"),
        ("summaryMetrics.acc", "summary_metrics.acc"),
        ("Name", "display_name"),
        ("run_name", "display_name"),
        ("id", "name"),
        ("created_at", "createdAt"),
        ("heartbeat_at", "heartbeatAt"),
        ("job_type", "jobType"),
        ("tag", "tags"),
        ("configs.lr", "config.lr"),
        ("cfg.lr", "config.lr"),
        ("Config.lr", "config.lr"),
        ("sweep_name", "sweep"),
        ("sweepName", "sweep"),
        ("State", "state"),
        ("usernme", "username"),
        ("lr", "config.lr' or 'summary_metrics.lr"),
    ],
)
def test_unknown_field_names_it_and_suggests_the_fix(field: str, suggestion: str) -> None:
    error = check_error(
        {field: 1},
        f"unknown field {field!r}",
        f"(did you mean '{suggestion}'?)",
        "accepted fields: createdAt, displayName, display_name",
        "config.<key>, summary_metrics.<key>",
    )
    assert error.path == field


@pytest.mark.parametrize("field", ["config", "summary_metrics", "config.", "config.a..b"])
def test_keyed_fields_need_a_key(field: str) -> None:
    prefix = field.partition(".")[0]
    check_error({field: 1}, f"{field!r} needs a key", f"e.g. {prefix}.lr")


@pytest.mark.parametrize(
    ("filters", "expected", "path"),
    [
        ({"state": {"$foo": 1}}, ["unknown operator '$foo'", "accepted here: $eq"], "state.$foo"),
        (
            {"tags": {"$contains": "x"}},
            ["unknown operator '$contains'", "(did you mean '$in'?)"],
            "tags.$contains",
        ),
        (
            {"config.lr": {"$exist": True}},
            ["unknown operator '$exist'", "(did you mean '$exists'?)"],
            "config.lr.$exist",
        ),
        (
            {"group": {"$regex": "a", "$options": "i"}},
            ["unknown operator '$options'", "RE2", "'(?i)^exp'"],
            "group.$options",
        ),
        ({"$xor": []}, ["unknown operator '$xor'", "accepted here: $and, $nor, $not, $or"], "$xor"),
        ({"state": {"$IN": ["x"]}}, ["(did you mean '$in'?)"], "state.$IN"),
    ],
)
def test_unknown_operators(filters: dict[str, Any], expected: list[str], path: str) -> None:
    assert check_error(filters, *expected).path == path


@pytest.mark.parametrize(
    ("filters", "expected", "path"),
    [
        (
            {"tags": {"$in": "best"}},
            ["$in needs a list", "got str 'best'", "write ['best']"],
            "tags.$in",
        ),
        ({"state": {"$nin": 3}}, ["$nin needs a list", "got int 3"], "state.$nin"),
        ({"config.lr": {"$in": ("a",)}}, ["$in needs a list", "got tuple"], "config.lr.$in"),
        ({"config.lr": {"$exists": "yes"}}, ["$exists needs True or False"], "config.lr.$exists"),
        (
            {"config.lr": {"$exists": 1}},
            ["$exists needs True or False", "got int 1"],
            "config.lr.$exists",
        ),
        ({"$and": {}}, ["$and needs a non-empty list of filter documents", "got dict"], "$and"),
        ({"$or": []}, ["$or needs a non-empty list of filter documents"], "$or"),
        ({"$nor": "state"}, ["$nor needs a non-empty list", "got str"], "$nor"),
        (
            {"$and": [{"state": "x"}, "y"]},
            ["$and takes filter documents", "got str 'y'"],
            "$and[1]",
        ),
        ({"$not": [{"state": "x"}]}, ["$not needs a filter document"], "$not"),
        ({"state": {"$not": "x"}}, ["$not under a field needs operators"], "state.$not"),
        ({"state": {"$not": {"a": 1}}}, ["$not under a field needs operators"], "state.$not"),
        ({"display_name": {"$regex": 1}}, ["$regex needs a pattern string"], "display_name.$regex"),
        (
            {"display_name": {"$regex": "(exp"}},
            ["$regex '(exp' is not a valid regular expression"],
            "display_name.$regex",
        ),
        (
            {"config.lr": {"$gt": True}},
            ["$gt compares with a number or a string", "got bool True"],
            "config.lr.$gt",
        ),
        (
            {"config.lr": {"$lte": None}},
            ["$lte compares with a number or a string"],
            "config.lr.$lte",
        ),
        ({"config.lr": {"$lt": [1]}}, ["$lt compares with a number or a string"], "config.lr.$lt"),
        ({"$in": ["a"]}, ["$in compares a field; put it under one"], "$in"),
        (
            {"state": {"$and": [{"state": "x"}]}},
            ["$and combines whole filters and belongs outside a field"],
            "state.$and",
        ),
        (
            {"state": {"$eq": "x", "plain": 1}},
            ["mixes operators with the plain key 'plain'"],
            "state",
        ),
        (
            {"$and": [{"state": "x"}, {"config.lr": {"$gt": float("nan")}}]},
            ["nan cannot be sent", "NaN and infinity"],
            "$and[1].config.lr.$gt",
        ),
        ({"config.lr": float("inf")}, ["inf cannot be sent"], "config.lr"),
        ({"config.lr": {"$in": [1, float("-inf")]}}, ["-inf cannot be sent"], "config.lr.$in[1]"),
        ({"config.x": {"$eq": {1: "a"}}}, ["keys must be strings"], "config.x.$eq"),
        (
            {"config.x": {1, 2}},
            ["set {1, 2} is not JSON", "str, int, float, bool, None"],
            "config.x",
        ),
        ({"config.x": object()}, ["is not JSON"], "config.x"),
    ],
)
def test_wrong_operands(filters: dict[str, Any], expected: list[str], path: str) -> None:
    assert check_error(filters, *expected).path == path


def test_a_raw_datetime_points_to_iso_strings_and_the_builder() -> None:
    error = check_error(
        {"createdAt": {"$gt": datetime(2024, 1, 2, 3, 4, 5)}},
        "is not JSON",
        "ISO 8601 string such as '2024-01-02T03:04:05'",
        "F.created_at",
    )
    assert error.path == "createdAt.$gt"


@pytest.mark.parametrize("filters", [[{"state": "x"}], "state=finished", None])
def test_filters_must_be_a_dict(filters: object) -> None:
    check_error(filters, "filters must be a dict")


def test_root_keys_must_be_strings() -> None:
    check_error({1: "x"}, "keys must be strings")


def test_message_names_the_path() -> None:
    assert str(check_error({"$or": [{"state": "x"}, {"summary.acc": 1}]})).startswith(
        "invalid filter at $or[1].summary.acc: unknown field"
    )


# --- the builder ---------------------------------------------------------------------------

UTC_PLUS_2 = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("built", "expected"),
    [
        (F.config("lr") >= 1e-3, {"config.lr": {"$gte": 0.001}}),
        (F.config("lr") > 1, {"config.lr": {"$gt": 1}}),
        (F.config("lr") <= 1, {"config.lr": {"$lte": 1}}),
        (F.config("lr") < 1, {"config.lr": {"$lt": 1}}),
        (0.1 < F.config("lr"), {"config.lr": {"$gt": 0.1}}),  # noqa: SIM300
        (F.config("optimizer", "name") == "adam", {"config.optimizer.name": "adam"}),
        (F.config("optimizer.name") == "adam", {"config.optimizer.name": "adam"}),
        (F.config("opt") == {"$gt": 1}, {"config.opt": {"$eq": {"$gt": 1}}}),
        (F.config("opt") == {"a": 1}, {"config.opt": {"a": 1}}),
        (F.config("seed") == None, {"config.seed": None}),  # noqa: E711
        (F.config("lr").matches("e-"), {"config.lr": {"$regex": "e-"}}),
        (F.summary("eval/loss") < 0.5, {"summary_metrics.eval/loss": {"$lt": 0.5}}),
        (F.summary("best", "acc") >= 0.9, {"summary_metrics.best.acc": {"$gte": 0.9}}),
        (F.summary("acc").exists(), {"summary_metrics.acc": {"$exists": True}}),
        (F.summary("acc").exists(False), {"summary_metrics.acc": {"$exists": False}}),
        (F.state == "finished", {"state": "finished"}),
        (F.state != "crashed", {"state": {"$ne": "crashed"}}),
        (F.state.is_in(["running", "pending"]), {"state": {"$in": ["running", "pending"]}}),
        (F.state.is_in(s for s in ("a", "b")), {"state": {"$in": ["a", "b"]}}),
        (F.state.not_in(["crashed"]), {"state": {"$nin": ["crashed"]}}),
        (F.tags.contains("best"), {"tags": {"$in": ["best"]}}),
        (F.tags.contains_any(["a", "b"]), {"tags": {"$in": ["a", "b"]}}),
        (F.tags.contains_none(["debug"]), {"tags": {"$nin": ["debug"]}}),
        (F.tags.exists(), {"tags": {"$exists": True}}),
        (F.display_name.matches("^exp-"), {"display_name": {"$regex": "^exp-"}}),
        (F.name == "abc123", {"name": "abc123"}),
        (F.group == "g", {"group": "g"}),
        (F.job_type == "train", {"jobType": "train"}),
        (F.sweep == "s1", {"sweep": "s1"}),
        (F.username == "me", {"username": "me"}),
        (F.host.matches("^gpu"), {"host": {"$regex": "^gpu"}}),
        (F.duration > 60, {"duration": {"$gt": 60}}),
        (
            F.created_at > datetime(2024, 1, 2, 3, 4, 5),
            {"createdAt": {"$gt": "2024-01-02T03:04:05"}},
        ),
        (
            F.created_at >= datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC_PLUS_2),
            {"createdAt": {"$gte": "2024-01-02T01:04:05"}},
        ),
        (
            F.created_at < datetime(2024, 1, 2, 3, 4, 5, 600, tzinfo=timezone.utc),
            {"createdAt": {"$lt": "2024-01-02T03:04:05.000600"}},
        ),
        (F.created_at <= date(2024, 1, 2), {"createdAt": {"$lte": "2024-01-02T00:00:00"}}),
        (F.created_at > "2024-01-01", {"createdAt": {"$gt": "2024-01-01"}}),
        (F.heartbeat_at == datetime(2024, 1, 2), {"heartbeatAt": "2024-01-02T00:00:00"}),
        (
            F.heartbeat_at.is_in([datetime(2024, 1, 2), "2024-01-03T00:00:00"]),
            {"heartbeatAt": {"$in": ["2024-01-02T00:00:00", "2024-01-03T00:00:00"]}},
        ),
    ],
)
def test_builder_compiles_to_raw_documents(built: Filter, expected: dict[str, Any]) -> None:
    assert built.to_dict() == expected
    assert validate_filters(built.to_dict()) == expected
    assert normalize_filters(built) == expected


def test_and_or_flatten() -> None:
    a, b, c = F.state == "finished", F.group == "g", F.config("lr") > 0
    assert (a & b).to_dict() == {"$and": [{"state": "finished"}, {"group": "g"}]}
    assert (
        ((a & b) & c).to_dict()
        == (a & (b & c)).to_dict()
        == {"$and": [a.to_dict(), b.to_dict(), c.to_dict()]}
    )
    assert ((a | b) | c).to_dict() == {"$or": [a.to_dict(), b.to_dict(), c.to_dict()]}
    assert ((a | b) & c).to_dict() == {"$and": [{"$or": [a.to_dict(), b.to_dict()]}, c.to_dict()]}
    assert ((a & b) | c).to_dict() == {"$or": [{"$and": [a.to_dict(), b.to_dict()]}, c.to_dict()]}


def test_invert_uses_nor() -> None:
    a = F.state == "crashed"
    assert (~a).to_dict() == {"$nor": [{"state": "crashed"}]}
    assert (~~a).to_dict() == a.to_dict()
    assert (~(a | (F.group == "g"))).to_dict() == {
        "$nor": [{"$or": [{"state": "crashed"}, {"group": "g"}]}]
    }


def test_raw_documents_combine_with_built_filters() -> None:
    raw = Filter({"$and": [{"config.lr": 0.1}]})
    assert (raw & (F.state == "x")).to_dict() == {"$and": [{"config.lr": 0.1}, {"state": "x"}]}
    with pytest.raises(InvalidFilterError, match=re.escape("'summary_metrics.acc'")):
        Filter({"summary.acc": 1})


def test_filters_are_copied_in_and_out() -> None:
    raw: dict[str, Any] = {"state": {"$in": ["a"]}}
    built = Filter(raw)
    raw["state"]["$in"].append("b")
    built.to_dict()["state"]["$in"].append("c")  # type: ignore[index]
    assert built.to_dict() == {"state": {"$in": ["a"]}}


@pytest.mark.parametrize(
    "misuse",
    [
        lambda: bool(F.state == "x"),
        lambda: 0 < F.config("x") < 1,
        lambda: (F.state == "x") and (F.group == "y"),
        lambda: not (F.state == "x"),  # noqa: SIM201
    ],
)
def test_filters_have_no_truth_value(misuse: Callable[[], object]) -> None:
    with pytest.raises(TypeError, match="no truth value") as caught:
        misuse()
    assert "(F.config('x') > 0) & (F.config('x') < 1)" in str(caught.value)


def test_missing_parentheses_are_explained() -> None:
    with pytest.raises(TypeError, match="put each comparison in parentheses"):
        F.state == "a" & F.group == "b"  # noqa: B015


def test_tags_equality_points_to_contains() -> None:
    with pytest.raises(TypeError, match=r"F\.tags\.contains\('best'\)"):
        F.tags == "best"  # noqa: B015
    with pytest.raises(TypeError, match="contains_none"):
        F.tags != "best"  # noqa: B015


def test_fields_are_not_hashable() -> None:
    with pytest.raises(TypeError):
        hash(F.state)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: F.config("lr") > float("nan"), "nan cannot be sent"),  # noqa: PLW0177
        (lambda: F.summary("x") == float("inf"), "inf cannot be sent"),
        (lambda: F.display_name.matches("(exp"), "not a valid regular expression"),
        (lambda: F.state.is_in("running"), "pass a list of values, not str 'running'"),
        (F.config, "'config.' needs a key"),
        (lambda: F.summary("a", ""), "'summary_metrics.a.' needs a key"),
        (lambda: F.config("lr") > True, "got bool True"),
        (lambda: F.config("x") == (1, 2), "tuple (1, 2) is not JSON"),
    ],
)
def test_builder_rejects_bad_values_at_once(build: Callable[[], object], expected: str) -> None:
    with pytest.raises(InvalidFilterError, match=re.escape(expected)):
        build()


# --- orders --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (None, "+created_at"),
        ("", "+created_at"),
        ("created_at", "+created_at"),
        ("+created_at", "+created_at"),
        ("-created_at", "-created_at"),
        ("createdAt", "+created_at"),
        ("-heartbeatAt", "-heartbeat_at"),
        ("+displayName", "+display_name"),
        ("-display_name", "-display_name"),
        ("config.lr", "+config.lr.value"),
        ("-config.lr.value", "-config.lr.value"),
        ("config.optimizer.name", "+config.optimizer.value.name"),
        ("-summary_metrics.eval/loss", "-summary_metrics.eval/loss"),
        ("summary_metrics.best.acc", "+summary_metrics.best.acc"),
        ("-summary_metrics.eval loss", "-summary_metrics.eval loss"),
        ("+summary_metrics._step", "+summary_metrics._step"),
    ],
)
def test_valid_orders_are_normalised(order: str | None, expected: str) -> None:
    assert validate_order(order) == expected


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (
            "summary.loss",
            ["cannot sort runs by 'summary.loss'", "(did you mean 'summary_metrics.loss'?)"],
        ),
        ("-summaryMetrics.acc", ["(did you mean 'summary_metrics.acc'?)"]),
        ("created", ["cannot sort runs by 'created'", "(did you mean 'created_at'?)"]),
        ("-heartbeat", ["(did you mean 'heartbeat_at'?)"]),
        (
            "loss",
            ["cannot sort runs by 'loss'", "did you mean 'summary_metrics.loss' or 'config.loss'?"],
        ),
        ("name", ["(did you mean 'display_name'?)"]),
        ("cfg.lr", ["(did you mean 'config.lr'?)"]),
        ("-summary_metrics['eval/loss']", ["(did you mean 'summary_metrics.eval/loss'?)"]),
        ("config.", ["cannot sort runs by 'config.'", "(did you mean 'config.<key>'?)"]),
        ("summary_metrics.a..b", ["cannot sort runs by 'summary_metrics.a..b'"]),
        ("state", ["cannot sort runs by 'state'; use"]),
        ("+", ["no key after '+'"]),
        ("-", ["no key after '-'"]),
        ("--created_at", ["cannot sort runs by '-created_at'"]),
    ],
)
def test_invalid_orders(order: str, expected: list[str]) -> None:
    with pytest.raises(InvalidOrderError) as caught:
        validate_order(order)
    message = str(caught.value)
    for text in expected:
        assert text in message, f"{text!r} not in {message}"
    assert (
        "created_at, heartbeat_at, display_name, config.<key> or summary_metrics.<key>" in message
    )


@pytest.mark.parametrize(
    "order", ["   ", " +created_at", "-created_at ", "- created_at", "+\tloss"]
)
def test_orders_with_surrounding_whitespace_are_rejected(order: str) -> None:
    with pytest.raises(
        InvalidOrderError, match=re.escape(f"order {order!r} has surrounding whitespace")
    ):
        validate_order(order)


def test_order_must_be_a_string() -> None:
    with pytest.raises(InvalidOrderError, match="must be a string"):
        validate_order(["-created_at"])  # type: ignore[arg-type]


def test_sortable_fields_give_order_strings() -> None:
    assert F.created_at.desc() == "-created_at"
    assert F.created_at.asc() == "+created_at"
    assert F.heartbeat_at.desc() == "-heartbeat_at"
    assert F.display_name.asc() == "+display_name"
    assert F.config("lr").asc() == "+config.lr.value"
    assert F.config("optimizer", "name").desc() == "-config.optimizer.value.name"
    assert F.summary("eval/loss").desc() == "-summary_metrics.eval/loss"


@pytest.mark.parametrize("field", [F.state, F.name, F.tags, F.group, F.job_type, F.duration])
def test_unsortable_fields_have_no_order(field: object) -> None:
    assert not hasattr(field, "asc")
    assert not hasattr(field, "desc")


# --- properties ----------------------------------------------------------------------------

# Key segments: no "." (it separates them) and no '"' (refused: no JSON path can name it).
segments = st.text(st.characters(codec="utf-8", exclude_characters='."'), min_size=1, max_size=8)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
numbers = st.integers() | st.floats(allow_nan=False, allow_infinity=False)
bounds = numbers | st.text(max_size=8)
plain_keys = st.text(max_size=5).filter(lambda key: not key.startswith("$"))
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(plain_keys, inner, max_size=3),
    max_leaves=4,
)
# Equality in the builder may compare with a dict that has `$` keys; it gets wrapped in $eq.
any_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=4,
)
patterns = st.sampled_from(["^exp-", "b.*", "(?i)loss$", "[0-9]+"]) | st.text(max_size=8).map(
    re.escape
)
offsets = st.timedeltas(min_value=timedelta(hours=-12), max_value=timedelta(hours=12))
aware_zones: st.SearchStrategy[tzinfo] = st.just(timezone.utc) | st.builds(timezone, offsets)
FIRST, LAST = datetime(1970, 1, 1), datetime(2100, 1, 1)
times = (
    st.datetimes(FIRST, LAST)
    | st.datetimes(FIRST, LAST, timezones=aware_zones)
    | st.dates(min_value=date(1970, 1, 1), max_value=date(2100, 1, 1))
    | st.just("2024-01-01T00:00:00")
)
comparisons = st.sampled_from([operator.lt, operator.le, operator.gt, operator.ge])

text_fields = st.sampled_from(
    [F.state, F.name, F.display_name, F.group, F.job_type, F.sweep, F.username, F.host]
)
keyed_fields = (
    st.builds(F.config, segments)
    | st.builds(F.summary, segments)
    | st.builds(F.config, segments, segments)
)
time_fields = st.sampled_from([F.created_at, F.heartbeat_at])
equality_fields = text_fields | keyed_fields | time_fields | st.just(F.duration)

leaves = st.one_of(
    st.builds(operator.eq, equality_fields, any_values),
    st.builds(operator.ne, equality_fields, any_values),
    st.builds(operator.eq, time_fields, times),
    st.builds(
        lambda field, values: field.is_in(values), equality_fields, st.lists(scalars, max_size=3)
    ),
    st.builds(
        lambda field, values: field.not_in(values), equality_fields, st.lists(scalars, max_size=3)
    ),
    st.builds(
        lambda field, present: field.exists(present),
        equality_fields | st.just(F.tags),
        st.booleans(),
    ),
    st.builds(lambda field, pattern: field.matches(pattern), text_fields | keyed_fields, patterns),
    st.builds(
        lambda compare, field, value: compare(field, value), comparisons, keyed_fields, bounds
    ),
    st.builds(lambda compare, value: compare(F.duration, value), comparisons, numbers),
    st.builds(lambda compare, field, value: compare(field, value), comparisons, time_fields, times),
    st.builds(F.tags.contains, st.text(max_size=8)),
    st.builds(F.tags.contains_any, st.lists(st.text(max_size=8), max_size=3)),
    st.builds(F.tags.contains_none, st.lists(st.text(max_size=8), max_size=3)),
)
built_filters = st.recursive(
    leaves,
    lambda inner: (
        st.builds(operator.and_, inner, inner)
        | st.builds(operator.or_, inner, inner)
        | st.builds(operator.invert, inner)
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(built_filters)
def test_built_filters_are_valid_json_documents(built: Filter) -> None:
    document = built.to_dict()
    assert validate_filters(document) == document
    assert normalize_filters(built) == document
    assert json.loads(json.dumps(document, allow_nan=False)) == document


field_names = st.sampled_from(sorted(FILTER_FIELDS)) | st.builds(
    lambda prefix, key: f"{prefix}.{'.'.join(key)}",
    st.sampled_from(["config", "summary_metrics"]),
    st.lists(
        st.sampled_from(["lr", "eval/loss", "best acc", "_step", "Ω"]), min_size=1, max_size=3
    ),
)
# Shallow values keep generation quick; deep ones are covered by the builder test.
shallow_values = (
    scalars | st.lists(scalars, max_size=3) | st.dictionaries(plain_keys, scalars, max_size=2)
)
OPERANDS: dict[str, st.SearchStrategy[object]] = {
    "$eq": shallow_values,
    "$ne": shallow_values,
    "$gt": bounds,
    "$gte": bounds,
    "$lt": bounds,
    "$lte": bounds,
    "$in": st.lists(scalars, max_size=3),
    "$nin": st.lists(scalars, max_size=3),
    "$regex": patterns,
    "$exists": st.booleans(),
    "$not": st.fixed_dictionaries({"$gt": numbers}) | st.fixed_dictionaries({"$regex": patterns}),
}


def test_every_field_operator_is_generated() -> None:
    assert set(OPERANDS) == FIELD_OPERATORS


@st.composite
def operator_documents(draw: st.DrawFn) -> dict[str, object]:
    operators = draw(
        st.lists(st.sampled_from(sorted(OPERANDS)), min_size=1, max_size=3, unique=True)
    )
    return {op: draw(OPERANDS[op]) for op in operators}


conditions = shallow_values | operator_documents()
field_documents = st.dictionaries(field_names, conditions, min_size=1, max_size=2)
raw_documents = st.recursive(
    field_documents,
    lambda inner: (
        st.builds(
            lambda op, items: {op: items},
            st.sampled_from(["$and", "$or", "$nor"]),
            st.lists(inner, min_size=1, max_size=3),
        )
        | st.builds(lambda document: {"$not": document}, inner)
    ),
    max_leaves=4,
)


@settings(max_examples=200, deadline=None)
@given(raw_documents)
def test_valid_raw_documents_pass_unchanged(document: dict[str, object]) -> None:
    assert validate_filters(document) == document
    assert Filter(document).to_dict() == document


junk_keys = st.text(max_size=20).filter(
    lambda key: (
        key not in FILTER_FIELDS | LOGICAL_OPERATORS
        and not key.startswith(("config.", "summary_metrics."))
    )
)


@settings(max_examples=200, deadline=None)
@given(junk_keys, json_values)
def test_unknown_root_keys_are_rejected(key: str, value: object) -> None:
    with pytest.raises(InvalidFilterError) as caught:
        validate_filters({key: value})
    assert caught.value.path == key


order_segments = segments.filter(lambda segment: segment.strip() == segment)
order_keys = st.sampled_from(
    ["created_at", "heartbeat_at", "display_name", "createdAt", "heartbeatAt", "displayName"]
) | st.builds(
    lambda prefix, key: f"{prefix}.{'.'.join(key)}",
    st.sampled_from(["config", "summary_metrics"]),
    st.lists(order_segments, min_size=1, max_size=3),
)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["", "+", "-"]), order_keys)
def test_validate_order_is_idempotent(sign: str, key: str) -> None:
    once = validate_order(sign + key)
    assert once[0] == (sign or "+")
    assert validate_order(once) == once


@settings(max_examples=200, deadline=None)
@given(st.builds(F.config, order_segments) | st.builds(F.summary, order_segments, order_segments))
def test_order_helpers_give_valid_orders(field: Any) -> None:
    ascending, descending = field.asc(), field.desc()
    assert validate_order(ascending) == ascending
    assert ascending[0] == "+" and descending[0] == "-"
    assert ascending[1:] == descending[1:]
