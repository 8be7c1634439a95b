"""`F`, the typed builder of run filters and sort orders, and `Filter`, what it builds.

from runsapi import F

api.runs(
    "team/project",
    filters=(F.state == "finished") & (F.config("lr") >= 1e-3) & F.tags.contains("best"),
    order=F.summary("eval/loss").asc(),
)
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import ClassVar, Generic, NoReturn, TypeVar

from runsapi._exceptions import InvalidFilterError
from runsapi._filters import (
    check_field,
    describe,
    is_operator,
    iso,
    validate_filters,
    validate_order,
)


def normalize_filters(filters: Mapping[str, object] | Filter | None) -> dict[str, object]:
    """The filter document to send: `{}` for None, a built filter's document, else
    `filters` checked and unchanged.

    Raises:
        InvalidFilterError: See `validate_filters`.
    """
    if filters is None:
        return {}
    if isinstance(filters, Filter):
        return filters.to_dict()
    return validate_filters(filters)


class Filter:
    """A run filter; combine filters with `&` (and), `|` (or) and `~` (not).

    Build one from the fields of `F`, or wrap a raw MongoDB-style document with
    `Filter({...})` (it is checked) to combine it with built ones. Pass it as `filters=`.
    """

    __slots__ = ("_document",)

    def __init__(self, document: Mapping[str, object]) -> None:
        self._document = copy.deepcopy(validate_filters(document))

    def to_dict(self) -> dict[str, object]:
        """The filter as the MongoDB-style document W&B receives."""
        return copy.deepcopy(self._document)

    def __and__(self, other: Filter) -> Filter:
        """Both filters match: `{"$and": [a, b]}`, with nested `$and`s flattened."""
        if not isinstance(other, Filter):
            return NotImplemented
        return Filter({"$and": [*self._operands("$and"), *other._operands("$and")]})

    def __or__(self, other: Filter) -> Filter:
        """Either filter matches: `{"$or": [a, b]}`, with nested `$or`s flattened."""
        if not isinstance(other, Filter):
            return NotImplemented
        return Filter({"$or": [*self._operands("$or"), *other._operands("$or")]})

    def __invert__(self) -> Filter:
        """The filter does not match: `{"$nor": [a]}`."""
        # `$nor` because MongoDB's `$not` negates operators under a field, not a whole filter.
        negated = self._document.get("$nor")
        if len(self._document) == 1 and isinstance(negated, list) and len(negated) == 1:
            return Filter(negated[0])  # ~~a is a
        return Filter({"$nor": [self._document]})

    def __bool__(self) -> NoReturn:
        raise TypeError(
            "a Filter has no truth value: combine filters with & (and), | (or) and ~ (not), "
            "not with `and`, `or`, `not` or `if`; write a range as "
            "(F.config('x') > 0) & (F.config('x') < 1), not 0 < F.config('x') < 1"
        )

    def __repr__(self) -> str:
        return f"Filter({self._document!r})"

    def _operands(self, operator: str) -> list[dict[str, object]]:
        """The filters this one combines with `operator`, or just this one."""
        operands = self._document.get(operator)
        if len(self._document) == 1 and isinstance(operands, list):
            return operands
        return [self._document]


class Field:
    """A run field; compare it with a value to build a `Filter`."""

    # `==` builds a Filter rather than comparing fields, so fields cannot be hashed.
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, key: str) -> None:
        self._key = key

    def __eq__(self, value: object) -> Filter:  # type: ignore[override]
        """Equals `value`: `{"state": "finished"}`."""
        value = self._encode(value)
        if isinstance(value, dict) and any(map(is_operator, value)):
            return self._where({"$eq": value})  # else its keys would read as operators
        return self._where(value)

    def __ne__(self, value: object) -> Filter:  # type: ignore[override]
        """Differs from `value`: `{"state": {"$ne": "finished"}}`."""
        return self._where({"$ne": self._encode(value)})

    def is_in(self, values: Iterable[object]) -> Filter:
        """Equals one of `values`: `{"state": {"$in": ["running", "pending"]}}`."""
        return self._where({"$in": self._encode_all(values)})

    def not_in(self, values: Iterable[object]) -> Filter:
        """Equals none of `values`: `{"state": {"$nin": ["crashed", "failed"]}}`."""
        return self._where({"$nin": self._encode_all(values)})

    def exists(self, present: bool = True) -> Filter:
        """Is set (or, with `False`, is missing): `{"config.lr": {"$exists": True}}`."""
        return self._where({"$exists": present})

    def __and__(self, other: object) -> NoReturn:
        raise TypeError(
            "& and | bind tighter than comparisons: put each comparison in parentheses, "
            "e.g. (F.state == 'finished') & (F.config('lr') > 0.1)"
        )

    __rand__ = __or__ = __ror__ = __and__

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._key!r})"

    def _where(self, condition: object) -> Filter:
        return Filter({self._key: condition})

    def _encode(self, value: object) -> object:
        """The JSON form of a value compared with this field."""
        return value

    def _encode_all(self, values: Iterable[object]) -> list[object]:
        if isinstance(values, (str, bytes, Mapping)):
            raise InvalidFilterError(
                f"pass a list of values, not {describe(values)}", path=self._key
            )
        return [self._encode(value) for value in values]


_Bound = TypeVar("_Bound")


class _Comparable(Field, Generic[_Bound]):
    def __lt__(self, value: _Bound) -> Filter:
        """Less than `value`: `{"config.lr": {"$lt": 0.1}}`."""
        return self._where({"$lt": self._encode(value)})

    def __le__(self, value: _Bound) -> Filter:
        """At most `value`: `{"config.lr": {"$lte": 0.1}}`."""
        return self._where({"$lte": self._encode(value)})

    def __gt__(self, value: _Bound) -> Filter:
        """Greater than `value`: `{"config.lr": {"$gt": 0.1}}`."""
        return self._where({"$gt": self._encode(value)})

    def __ge__(self, value: _Bound) -> Filter:
        """At least `value`: `{"config.lr": {"$gte": 0.1}}`."""
        return self._where({"$gte": self._encode(value)})


class _Sortable(Field):
    def asc(self) -> str:
        """The `order=` that sorts runs by this field, smallest first."""
        return validate_order(f"+{self._key}")

    def desc(self) -> str:
        """The `order=` that sorts runs by this field, largest first."""
        return validate_order(f"-{self._key}")


class TextField(Field):
    """A text field of a run."""

    def matches(self, pattern: str) -> Filter:
        """Matches the regular expression `pattern`, in RE2 syntax: `{"$regex": "^exp"}`."""
        return self._where({"$regex": pattern})


class DisplayNameField(TextField, _Sortable):
    """The run's display name; runs can be sorted by it."""


class TagsField(Field):
    """The run's tags, tested with `contains`, `contains_any` and `contains_none`."""

    __hash__ = None

    # W&B matches tags with $in/$nin, not by equality (wandb/wandb#2699).
    def __eq__(self, value: object) -> NoReturn:
        raise TypeError(
            "a run has several tags: use F.tags.contains('best'), "
            "F.tags.contains_any([...]) or F.tags.contains_none([...])"
        )

    __ne__ = __eq__

    def contains(self, tag: str) -> Filter:
        """Has `tag`: `{"tags": {"$in": ["best"]}}`."""
        return self._where({"$in": [tag]})

    def contains_any(self, tags: Iterable[str]) -> Filter:
        """Has at least one of `tags`: `{"tags": {"$in": [...]}}`."""
        return self.is_in(tags)

    def contains_none(self, tags: Iterable[str]) -> Filter:
        """Has none of `tags`: `{"tags": {"$nin": [...]}}`."""
        return self.not_in(tags)


class NumberField(_Comparable[float]):
    """A numeric field of a run."""


class TimeField(_Comparable[datetime | date | str], _Sortable):
    """A time field; compare it with a `datetime` (naive means UTC) or an ISO 8601 string."""

    def _encode(self, value: object) -> object:
        return iso(value) if isinstance(value, date) else value


class ValueField(_Comparable[float | str], TextField, _Sortable):
    """A config value or summary metric; runs can be sorted by it."""


class F:
    """The fields of a run, to build filters and sort orders for `Api.runs`.

    Compare a field to get a `Filter`, combine filters with `&`, `|` and `~` (with each
    comparison in parentheses), and pass the result as `filters=`. On sortable fields,
    `asc()` and `desc()` give the `order=` string.

        (F.state == "finished") & (F.config("lr") >= 1e-3) & F.tags.contains("best")
        F.summary("eval/loss").asc()  # "+summary_metrics.eval/loss"
    """

    state: ClassVar[TextField] = TextField("state")
    """The run's state: `running`, `finished`, `crashed`, `failed`, ..."""
    name: ClassVar[TextField] = TextField("name")
    """The run's ID, the last part of its path."""
    display_name: ClassVar[DisplayNameField] = DisplayNameField("display_name")
    """The run's display name, shown in the W&B app."""
    tags: ClassVar[TagsField] = TagsField("tags")
    """The run's tags."""
    group: ClassVar[TextField] = TextField("group")
    """The run's group."""
    job_type: ClassVar[TextField] = TextField("jobType")
    """The run's job type."""
    sweep: ClassVar[TextField] = TextField("sweep")
    """The ID of the sweep the run belongs to."""
    username: ClassVar[TextField] = TextField("username")
    """The user who created the run."""
    host: ClassVar[TextField] = TextField("host")
    """The machine the run ran on."""
    duration: ClassVar[NumberField] = NumberField("duration")
    """How long the run ran."""
    created_at: ClassVar[TimeField] = TimeField("createdAt")
    """When the run was created."""
    heartbeat_at: ClassVar[TimeField] = TimeField("heartbeatAt")
    """When the run last reported to W&B."""

    @staticmethod
    def config(*key: str) -> ValueField:
        """A config value: `F.config("lr")`; nested, `F.config("optimizer", "name")` or
        `F.config("optimizer.name")`."""
        return _keyed_field("config", key)

    @staticmethod
    def summary(*key: str) -> ValueField:
        """A summary metric: `F.summary("eval/loss")`; nested, `F.summary("best", "acc")`."""
        return _keyed_field("summary_metrics", key)


def _keyed_field(prefix: str, key: tuple[str, ...]) -> ValueField:
    name = f"{prefix}.{'.'.join(key)}"
    check_field(name, name)
    return ValueField(name)
