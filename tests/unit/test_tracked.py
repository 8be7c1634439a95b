"""Change-tracking config and summary views."""

from __future__ import annotations

import copy
import datetime
import json
import math
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from runsapi import InvalidValueError, UsageError
from runsapi._json import encode
from runsapi._shared.changes import DELETED, Change, apply_changes
from runsapi._tracked import Summary, TrackedDict


def test_nested_edits_are_recorded_as_paths() -> None:
    tracked = TrackedDict({"best": {"acc": 0.5, "loss": 1.0}, "lr": 0.1})
    tracked["best"]["acc"] = 0.9
    del tracked["best"]["loss"]
    tracked["new"] = {"a": 1}
    tracked["new"]["b"] = 2
    assert tracked.changes == [
        Change(("best", "acc"), 0.9),
        Change(("best", "loss"), DELETED),
        Change(("new",), {"a": 1}),
        Change(("new", "b"), 2),
    ]
    assert tracked.to_dict() == {"best": {"acc": 0.9}, "lr": 0.1, "new": {"a": 1, "b": 2}}
    assert tracked == {"best": {"acc": 0.9}, "lr": 0.1, "new": {"a": 1, "b": 2}}


def test_changes_replay_onto_a_newer_value() -> None:
    tracked = TrackedDict({"a": 1, "nested": {"x": 1}})
    tracked["a"] = 2
    tracked["nested"]["y"] = 3
    del tracked["nested"]["x"]
    # Meanwhile another writer added "b" and "nested.z".
    newer = {"a": 1, "b": 5, "nested": {"x": 1, "z": 9}}
    assert apply_changes(newer, tracked.changes) == {"a": 2, "b": 5, "nested": {"y": 3, "z": 9}}
    assert newer == {"a": 1, "b": 5, "nested": {"x": 1, "z": 9}}, "the input is not modified"


def test_deleting_under_a_parent_another_writer_removed_is_a_no_op() -> None:
    assert apply_changes({}, [Change(("gone", "x"), DELETED)]) == {}


def test_values_are_copied_in_and_out() -> None:
    value = {"k": [1, 2]}
    tracked = TrackedDict({})
    tracked["v"] = value
    value["k"].append(3)
    assert tracked.to_dict() == {"v": {"k": [1, 2]}}


def test_summary_update_saves_only_the_pending_changes() -> None:
    saved: list[list[Change]] = []
    summary = Summary({"loss": 1.0}, saved.append)
    summary["acc"] = 0.5
    summary.update({"loss": 0.25})
    assert saved == [[Change(("acc",), 0.5), Change(("loss",), 0.25)]]


def test_a_nested_summary_update_saves_like_the_official_clients() -> None:
    saved: list[list[Change]] = []
    summary = Summary({"best": {"acc": 0.5}}, saved.append)
    summary["loss"] = 0.1
    summary["best"].update({"acc": 1.0})
    summary.update(None)  # the official client's way to save without setting anything
    assert saved[0] == [Change(("loss",), 0.1), Change(("best", "acc"), 1.0)]
    assert len(saved) == 2 and type(summary["best"]) is Summary


def test_summary_save_without_changes_hands_the_saver_no_changes() -> None:
    # The run's saver sends nothing for no changes; the Summary returns what it returns
    # (an awaitable in the async layer), so it always calls it.
    saved: list[Any] = []
    Summary({"loss": 1.0}, saved.append).save()
    assert saved == [[]]


def _cycle() -> list[object]:
    cycle: list[object] = []
    cycle.append(cycle)
    return cycle


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (object(), "object"),
        (b"bytes", "bytes"),
        (1j, "complex"),
        ({"deep": [object()]}, "object"),
        ({(1, 2): "tuple key"}, "tuple"),
        (_cycle(), "Circular reference"),
    ],
)
def test_values_json_cannot_hold_are_refused_when_set(value: object, named: str) -> None:
    tracked = TrackedDict({"best": {"acc": 0.5}})
    with pytest.raises(InvalidValueError, match=rf"'best\.new' .*{named}.*JSON values are"):
        tracked["best"]["new"] = value
    assert tracked.to_dict() == {"best": {"acc": 0.5}} and tracked.changes == []


def test_summary_update_with_one_bad_value_sets_and_saves_nothing() -> None:
    saved: list[list[Change]] = []
    summary = Summary({"loss": 1.0}, saved.append)
    with pytest.raises(
        InvalidValueError, match="'bad' cannot be set to a value of type set"
    ) as caught:
        summary.update({"loss": 0.5, "bad": {object()}})
    # Also what json raises for such values, for code that catches that.
    assert isinstance(caught.value, UsageError) and isinstance(caught.value, TypeError)
    assert summary.to_dict() == {"loss": 1.0} and summary.changes == [] and saved == []
    summary.update(loss=0.25)
    assert saved == [[Change(("loss",), 0.25)]]


def test_every_value_encode_can_store_is_accepted() -> None:
    values = {
        "nan": math.nan,
        "inf": -math.inf,
        "when": datetime.datetime(2026, 1, 2, 3, 4, 5),
        "scalar": np.float32(0.5),
        "array": np.arange(3),
        "set": {1},
        "tuple": (1, "a"),
        "int_keys": {1: None},
    }
    tracked = TrackedDict({})
    tracked.update(values)
    assert encode(tracked.to_dict()) == (
        '{"nan":NaN,"inf":-Infinity,"when":"2026-01-02T03:04:05","scalar":0.5,'
        '"array":[0,1,2],"set":[1],"tuple":[1,"a"],"int_keys":{"1":null}}'
    )


def test_they_are_plain_dicts_to_json_and_pandas() -> None:
    config = TrackedDict({"lr": 0.1, "opt": {"name": "adam", "betas": [0.9, 0.99]}})
    summary = Summary({"loss": 0.5, "best": {"acc": 0.9}}, print)
    for value in (config, config["opt"], summary, summary["best"]):
        assert isinstance(value, dict)
        assert json.loads(json.dumps(value)) == value
    assert json.dumps(config) == '{"lr": 0.1, "opt": {"name": "adam", "betas": [0.9, 0.99]}}'
    assert pd.json_normalize(config).to_dict("records") == [
        {"lr": 0.1, "opt.name": "adam", "opt.betas": [0.9, 0.99]}
    ]
    frame = pd.DataFrame([{**config, **summary}])
    assert list(frame.columns) == ["lr", "opt", "loss", "best"]
    assert frame.loc[0, "best"] == {"acc": 0.9}


@pytest.mark.parametrize(
    "copied",
    [copy.deepcopy, copy.copy, dict.copy, lambda d: pickle.loads(pickle.dumps(d))],
    ids=["deepcopy", "copy", "dict.copy", "pickle"],
)
def test_copies_are_plain_dicts(copied: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    summary = Summary({"best": {"acc": 0.9}}, print)
    summary["best"]["acc"] = 1.0
    duplicate = copied(summary)
    assert type(duplicate) is dict and duplicate == {"best": {"acc": 1.0}}


def test_deep_copies_and_pickles_are_plain_at_every_level() -> None:
    tracked = TrackedDict({"best": {"deep": {"acc": 0.9}}})
    for duplicate in (
        copy.deepcopy(tracked),
        pickle.loads(pickle.dumps(tracked)),
        tracked.to_dict(),
    ):
        assert type(duplicate["best"]) is dict and type(duplicate["best"]["deep"]) is dict
        duplicate["best"]["deep"]["acc"] = 0
    assert tracked == {"best": {"deep": {"acc": 0.9}}} and tracked.changes == []


@pytest.mark.parametrize(
    ("edit", "changes"),
    [
        (lambda d: d.__setitem__("a", 2), [Change(("a",), 2)]),
        (lambda d: d.__delitem__("a"), [Change(("a",), DELETED)]),
        (lambda d: d.update({"a": 2}, c=3), [Change(("a",), 2), Change(("c",), 3)]),
        (lambda d: d.__ior__({"c": 3}), [Change(("c",), 3)]),
        (lambda d: d.pop("a"), [Change(("a",), DELETED)]),
        (lambda d: d.pop("missing", None), []),
        (lambda d: d.popitem(), [Change(("b",), DELETED)]),
        (lambda d: d.setdefault("c", 3), [Change(("c",), 3)]),
        (lambda d: d.setdefault("a", 3), []),
        (lambda d: d.clear(), [Change(("a",), DELETED), Change(("b",), DELETED)]),
    ],
    ids=[
        "setitem",
        "delitem",
        "update",
        "ior",
        "pop",
        "pop-default",
        "popitem",
        "setdefault",
        "setdefault-present",
        "clear",
    ],
)
@pytest.mark.parametrize("nested", [False, True], ids=["top", "nested"])
def test_every_mutating_method_records_its_changes(
    edit: Callable[[TrackedDict], object], changes: list[Change], nested: bool
) -> None:
    tracked = TrackedDict({"n": {"a": 1, "b": {"x": 1}}} if nested else {"a": 1, "b": {"x": 1}})
    node = tracked["n"] if nested else tracked
    expected = apply_changes(node, changes)
    edit(node)
    prefix = ("n",) if nested else ()
    assert tracked.changes == [Change((*prefix, *c.path), c.value) for c in changes]
    assert node == expected


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.__setitem__("bad", object()),
        lambda d: d.update({"ok": 1, "bad": object()}),
        lambda d: d.__ior__({"ok": 1, "bad": object()}),
        lambda d: d.setdefault("bad", object()),
    ],
    ids=["setitem", "update", "ior", "setdefault"],
)
def test_a_refused_value_leaves_the_dict_unchanged(edit: Callable[[TrackedDict], object]) -> None:
    tracked = TrackedDict({"a": {"b": 1}})
    with pytest.raises(InvalidValueError, match=r"'a\.bad' cannot be set"):
        edit(tracked["a"])
    assert tracked == {"a": {"b": 1}} and tracked.changes == []


def test_values_are_held_as_json_reads_them_back() -> None:
    tracked = TrackedDict({})
    tracked["v"] = {"t": (1, 2), "when": datetime.date(2026, 1, 2), 1: np.float64(0.5)}
    assert tracked == {"v": {"t": [1, 2], "when": "2026-01-02", "1": 0.5}}
    assert type(tracked["v"]) is TrackedDict


def test_a_removed_nested_dict_records_nothing_more() -> None:
    tracked = TrackedDict({"best": {"acc": 0.5}, "old": {"x": 1}})
    best, old = tracked["best"], tracked["old"]
    del tracked["best"]
    tracked["old"] = {"x": 2}
    best["acc"] = 1.0
    old["x"] = 3
    assert tracked.changes == [Change(("best",), DELETED), Change(("old",), {"x": 2})]
    assert tracked == {"old": {"x": 2}}


def test_held_nested_dicts_survive_a_reload() -> None:
    tracked = TrackedDict({"best": {"acc": 0.5}})
    best = tracked["best"]
    tracked._reset({"best": {"acc": 0.7, "loss": 1.0}, "lr": 0.1})
    assert tracked["best"] is best and best == {"acc": 0.7, "loss": 1.0}
    best["acc"] = 0.9
    assert tracked.changes == [Change(("best", "acc"), 0.9)]
