"""Change-tracking config and summary views."""

from __future__ import annotations

import datetime
import math
from typing import Any

import numpy as np
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


def test_summary_save_without_changes_sends_nothing() -> None:
    saved: list[Any] = []
    Summary({"loss": 1.0}, saved.append).save()
    assert saved == []


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
