"""Run filters and sort orders: a typed builder, and checks on the raw forms W&B takes.

`Api.runs` sends `filters` as a MongoDB-style document and `order` as one `+key`/`-key`
string. Both are checked here, before any request: the server rejects an unknown field
without naming it, and ignores an unknown sort key, leaving the runs unsorted.

    from runsapi import F

    api.runs(
        "team/project",
        filters=(F.state == "finished") & (F.config("lr") >= 1e-3) & F.tags.contains("best"),
        order=F.summary("eval/loss").asc(),
    )
"""

from __future__ import annotations

import copy
import difflib
import math
import re
import reprlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timezone
from typing import ClassVar, Generic, NoReturn, TypeGuard, TypeVar

from runsapi._constants import DEFAULT_ORDER
from runsapi._exceptions import UsageError

# Root fields of a runs filter. W&B documents createdAt, displayName, duration, group, host,
# jobType, name, state, tags and username in the `Api.runs` docstring (wandb/wandb#9406);
# the same docstring's examples use display_name, the official client's `Sweep` lists its
# runs with {"$and": [{"sweep": <id>}]}, and the server honours heartbeatAt like createdAt.
FILTER_FIELDS = frozenset(
    {
        "createdAt",
        "displayName",
        "display_name",
        "duration",
        "group",
        "heartbeatAt",
        "host",
        "jobType",
        "name",
        "state",
        "sweep",
        "tags",
        "username",
    }
)
# Fields followed by a key: config.<key>, summary_metrics.<key>, nested with dots.
KEYED_FIELDS = ("config", "summary_metrics")

# Run columns the runs query sorts by, besides config.<key>.value and summary_metrics.<key>
# (W&B's `Api.runs` docstring documents created_at and heartbeat_at; display_name is the
# runs table's name column).
ORDER_FIELDS = frozenset({"created_at", "heartbeat_at", "display_name"})
# The filter spellings of the same columns: accepted in `order`, sent in snake_case.
_CAMEL_CASE_ORDER_FIELDS = {
    "createdAt": "created_at",
    "heartbeatAt": "heartbeat_at",
    "displayName": "display_name",
}

# Most dicts and lists a filter may nest; the deepest the W&B UI builds is far less.
MAX_FILTER_DEPTH = 64

_LIST_OPERATORS = frozenset({"$and", "$or", "$nor"})
LOGICAL_OPERATORS = _LIST_OPERATORS | {"$not"}
_BOUND_OPERATORS = frozenset({"$gt", "$gte", "$lt", "$lte"})
# Operators under a field. W&B documents regexes in RE2 syntax, with no `$options`.
FIELD_OPERATORS = _BOUND_OPERATORS | {"$eq", "$ne", "$in", "$nin", "$regex", "$exists", "$not"}

# Frequent wrong guesses, each with the name W&B wants (wandb/wandb#1230, wandb/wandb#2699).
_FIELD_ALIASES = {
    "Name": "display_name",
    "run_name": "display_name",
    "id": "name",
    "run_id": "name",
    "created_at": "createdAt",
    "heartbeat_at": "heartbeatAt",
    "job_type": "jobType",
    "tag": "tags",
    "sweep_id": "sweep",
    "sweep_name": "sweep",
    "sweepName": "sweep",
}
_KEYED_FIELD_ALIASES = {
    "summary": "summary_metrics",
    "summaryMetrics": "summary_metrics",
    "summary_metric": "summary_metrics",
    "configs": "config",
    "cfg": "config",
}
_ORDER_ALIASES = {"name": "display_name", "Name": "display_name", "run_name": "display_name"}
_OPERATOR_ALIASES = {"$contains": "$in"}
# `summary_metrics['eval/loss']`, the quoting users try for keys with slashes (wandb/wandb#10129).
_BRACKETED_KEY = re.compile(r"(\w+)\[(['\"])(.+)\2\]")

_ACCEPTED_FIELDS = ", ".join([*sorted(FILTER_FIELDS), "config.<key>", "summary_metrics.<key>"])
_ACCEPTED_ORDERS = (
    "'+' (ascending) or '-' (descending), then created_at, heartbeat_at, display_name, "
    "config.<key> or summary_metrics.<key>"
)


class InvalidFilterError(UsageError):
    """A run filter W&B would reject or misread; raised before any request is sent."""

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(f"invalid filter at {path}: {message}" if path else message)
        self.path = path
        """Where in the filter the problem is, such as `$and[1].config.lr`; empty for the whole."""


class InvalidOrderError(UsageError):
    """A sort order the runs query does not accept; raised before any request is sent."""


def validate_filters(filters: Mapping[str, object] | Filter) -> dict[str, object]:
    """Check a run filter and return it unchanged, as a plain dict.

    Args:
        filters: A MongoDB-style document such as `{"state": "finished", "config.lr": 0.1}`,
            or a `Filter` built with `F`.

    Returns:
        A dict equal to `filters` (or to the built filter's document), ready to JSON-encode.

    Raises:
        InvalidFilterError: An unknown field or operator, an operand of the wrong type, an
            invalid regular expression, NaN or infinity, a value that is not JSON, or
            dicts and lists nested more than MAX_FILTER_DEPTH deep.
    """
    if isinstance(filters, Filter):
        return filters.to_dict()
    if not isinstance(filters, Mapping):
        raise InvalidFilterError(f"filters must be a dict, got {_describe(filters)}")
    _check_depth(filters)
    _check_document(filters, "")
    return dict(filters)


def normalize_filters(filters: Mapping[str, object] | Filter | None) -> dict[str, object]:
    """The filter document to send: `{}` for None, else `filters` checked and unchanged.

    Raises:
        InvalidFilterError: See `validate_filters`.
    """
    return {} if filters is None else validate_filters(filters)


def validate_order(order: str | None) -> str:
    """Check a sort order and return it as the runs query expects it.

    W&B sorts by one key: `created_at`, `heartbeat_at`, `display_name`, `config.<key>` or
    `summary_metrics.<key>` (keys may contain `/`, spaces, and dots for nesting). A `-` prefix
    sorts descending, `+` or none ascending; the result always carries the sign.
    `createdAt`, `heartbeatAt` and `displayName` become their snake_case forms, and
    `config.<key>` becomes `config.<key>.value`, where W&B keeps a config value (a nested
    `config.a.b` becomes `config.a.value.b`).

    Args:
        order: The order, such as `"-summary_metrics.eval/loss"`; None or `""` means
            `"+created_at"`, oldest first.

    Raises:
        InvalidOrderError: The key is missing, unknown, or surrounded by whitespace.
    """
    if not order:
        return DEFAULT_ORDER
    if not isinstance(order, str):
        raise InvalidOrderError(f"order must be a string such as '-created_at', got {order!r}")
    sign, key = (order[0], order[1:]) if order[0] in "+-" else ("+", order)
    if order.strip() != order or key.strip() != key:
        raise InvalidOrderError(f"order {order!r} has surrounding whitespace; remove it")
    if not key:
        raise InvalidOrderError(
            f"order {order!r} has no key after {sign!r}; use {_ACCEPTED_ORDERS}"
        )
    return sign + _order_key(key)


def _order_key(key: str) -> str:
    if key in ORDER_FIELDS:
        return key
    if key in _CAMEL_CASE_ORDER_FIELDS:
        return _CAMEL_CASE_ORDER_FIELDS[key]
    prefix, _, rest = key.partition(".")
    segments = rest.split(".")
    if prefix in KEYED_FIELDS and rest and "" not in segments:
        if prefix == "config" and segments[1:2] != ["value"]:
            # As wandb-workspaces' `_metric_to_backend` does for `Config("a.b")`.
            segments.insert(1, "value")
        return f"{prefix}.{'.'.join(segments)}"
    raise InvalidOrderError(
        f"cannot sort runs by {key!r}{_did_you_mean(_suggest_order(key))}; use {_ACCEPTED_ORDERS}"
    )


def _suggest_order(key: str) -> list[str]:
    bracketed = _BRACKETED_KEY.fullmatch(key)
    if bracketed:
        key = f"{bracketed[1]}.{bracketed[3]}"
    if key in _ORDER_ALIASES:
        return [_ORDER_ALIASES[key]]
    if key in FILTER_FIELDS:  # a run column W&B filters by but does not sort by
        return []
    prefix, dot, rest = key.partition(".")
    keyed = _KEYED_FIELD_ALIASES.get(prefix) or _closest(prefix, KEYED_FIELDS)
    if keyed:
        return [f"{keyed}.{rest or '<key>'}"]
    close = _closest(key, [*ORDER_FIELDS, *_CAMEL_CASE_ORDER_FIELDS])
    if close and not dot:
        return [_CAMEL_CASE_ORDER_FIELDS.get(close, close)]
    # Like the official client's `QueryGenerator.format_order_key`, take a bare name for a metric.
    return [f"summary_metrics.{key}", f"config.{key}"]


def _check_depth(document: Mapping[str, object]) -> None:
    """Refuse dicts and lists nested more than MAX_FILTER_DEPTH deep.

    Iterative, so that a filter nested thousands deep (or containing itself) is refused
    here instead of overflowing the recursive checks below and the JSON encoder.
    """
    stack: list[tuple[Mapping[str, object] | list[object], int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_FILTER_DEPTH:
            raise InvalidFilterError(
                f"filters may nest dicts and lists at most {MAX_FILTER_DEPTH} deep; "
                "flatten nested $and/$or/$nor/$not"
            )
        children = value.values() if isinstance(value, Mapping) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, (Mapping, list)))


def _check_document(document: Mapping[str, object], path: str) -> None:
    for key, value in document.items():
        if not isinstance(key, str):
            raise InvalidFilterError(f"keys must be strings, got {_describe(key)}", path=path)
        where = f"{path}.{key}" if path else key
        if key.startswith("$"):
            _check_logical(key, value, where)
        else:
            _check_field(key, where)
            _check_condition(value, where)


def _check_logical(operator: str, operand: object, path: str) -> None:
    if operator == "$not":
        if not isinstance(operand, dict):
            raise InvalidFilterError(
                f"$not needs a filter document such as {{'state': 'crashed'}}, "
                f"got {_describe(operand)}",
                path=path,
            )
        _check_document(operand, path)
    elif operator in _LIST_OPERATORS:
        if not isinstance(operand, list) or not operand:
            raise InvalidFilterError(
                f"{operator} needs a non-empty list of filter documents, got {_describe(operand)}",
                path=path,
            )
        for index, item in enumerate(operand):
            where = f"{path}[{index}]"
            if not isinstance(item, dict):
                raise InvalidFilterError(
                    f"{operator} takes filter documents (dicts), got {_describe(item)}", path=where
                )
            _check_document(item, where)
    elif operator in FIELD_OPERATORS:
        raise InvalidFilterError(
            f"{operator} compares a field; put it under one: {{'<field>': {{'{operator}': ...}}}}",
            path=path,
        )
    else:
        raise _unknown_operator(operator, LOGICAL_OPERATORS, path)


def _check_field(name: str, path: str) -> None:
    if name in FILTER_FIELDS:
        return
    prefix, dot, key = name.partition(".")
    if prefix in KEYED_FIELDS:
        if not dot or "" in key.split("."):
            raise InvalidFilterError(
                f"{name!r} needs a key with no empty parts: {prefix}.<key>, e.g. {prefix}.lr",
                path=path,
            )
        return
    raise InvalidFilterError(
        f"unknown field {name!r}{_did_you_mean(_suggest_field(name))}; "
        f"accepted fields: {_ACCEPTED_FIELDS}",
        path=path,
    )


def _suggest_field(name: str) -> list[str]:
    if name in _FIELD_ALIASES:
        return [_FIELD_ALIASES[name]]
    prefix, dot, key = name.partition(".")
    keyed = _KEYED_FIELD_ALIASES.get(prefix) or _closest(prefix, KEYED_FIELDS)
    if keyed:
        return [f"{keyed}.{key or '<key>'}"]
    close = _closest(name, FILTER_FIELDS)
    if close and not dot:
        return [close]
    return [f"config.{name}", f"summary_metrics.{name}"]


def _check_condition(condition: object, path: str) -> None:
    # As in MongoDB, a dict with `$` keys holds operators; any other value means equality.
    if isinstance(condition, dict) and any(_is_operator(key) for key in condition):
        _check_operators(condition, path)
    else:
        _check_value(condition, path)


def _check_operators(operators: dict[object, object], path: str) -> None:
    for operator, operand in operators.items():
        if not _is_operator(operator):
            raise InvalidFilterError(
                f"mixes operators with the plain key {operator!r}; a condition is either "
                "{'$operator': operand, ...} or a value to equal",
                path=path,
            )
        _check_operator(operator, operand, f"{path}.{operator}")


def _check_operator(operator: str, operand: object, path: str) -> None:
    if operator in ("$eq", "$ne"):
        _check_value(operand, path)
    elif operator in _BOUND_OPERATORS:
        _check_value(operand, path)
        if operand is None or isinstance(operand, (bool, list, dict)):
            raise InvalidFilterError(
                f"{operator} compares with a number or a string (ISO 8601 for createdAt and "
                f"heartbeatAt), got {_describe(operand)}",
                path=path,
            )
    elif operator in ("$in", "$nin"):
        if not isinstance(operand, list):
            hint = f"; write [{operand!r}]" if isinstance(operand, str) else ""
            raise InvalidFilterError(
                f"{operator} needs a list of values, got {_describe(operand)}{hint}", path=path
            )
        _check_value(operand, path)
    elif operator == "$regex":
        _check_regex(operand, path)
    elif operator == "$exists":
        if not isinstance(operand, bool):
            raise InvalidFilterError(
                f"$exists needs True or False, got {_describe(operand)}", path=path
            )
    elif operator == "$not":
        if not isinstance(operand, dict) or not operand or not all(map(_is_operator, operand)):
            raise InvalidFilterError(
                f"$not under a field needs operators such as {{'$gt': 1}}, "
                f"got {_describe(operand)}",
                path=path,
            )
        _check_operators(operand, path)
    elif operator in _LIST_OPERATORS:
        raise InvalidFilterError(
            f"{operator} combines whole filters and belongs outside a field: "
            f"{{'{operator}': [{{'<field>': ...}}, ...]}}",
            path=path,
        )
    else:
        raise _unknown_operator(operator, FIELD_OPERATORS, path)


def _check_regex(pattern: object, path: str) -> None:
    if not isinstance(pattern, str):
        raise InvalidFilterError(
            f"$regex needs a pattern string, got {_describe(pattern)}", path=path
        )
    try:
        # Python's syntax stands in for RE2's: close, though RE2 lacks lookarounds and backrefs.
        re.compile(pattern)
    except re.error as error:
        raise InvalidFilterError(
            f"$regex {pattern!r} is not a valid regular expression: {error}", path=path
        ) from None


def _check_value(value: object, path: str) -> None:
    """Raise unless `value` is JSON: str, int, finite float, bool, None, or lists/dicts of them."""
    if value is None or isinstance(value, (str, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidFilterError(
                f"{value!r} cannot be sent: NaN and infinity have no portable JSON form",
                path=path,
            )
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidFilterError(f"keys must be strings, got {_describe(key)}", path=path)
            _check_value(item, f"{path}.{key}")
    elif isinstance(value, date):
        raise InvalidFilterError(
            f"{_describe(value)} is not JSON; pass an ISO 8601 string such as "
            f"{_iso(value)!r}, or use F.created_at or F.heartbeat_at, which convert datetimes",
            path=path,
        )
    else:
        raise InvalidFilterError(
            f"{_describe(value)} is not JSON; use a str, int, float, bool, None, "
            "or a list or dict of them",
            path=path,
        )


def _unknown_operator(operator: str, accepted: frozenset[str], path: str) -> InvalidFilterError:
    if operator == "$options":
        hint = "; W&B regexes use RE2 syntax, so put flags in the pattern, e.g. '(?i)^exp'"
    else:
        alias = _OPERATOR_ALIASES.get(operator)
        suggestion = alias if alias in accepted else _closest(operator, accepted)
        hint = _did_you_mean([suggestion] if suggestion else [])
    return InvalidFilterError(
        f"unknown operator {operator!r}{hint}; accepted here: {', '.join(sorted(accepted))}",
        path=path,
    )


def _is_operator(key: object) -> TypeGuard[str]:
    return isinstance(key, str) and key.startswith("$")


def _closest(word: str, choices: Iterable[str]) -> str | None:
    by_lower = {choice.lower(): choice for choice in choices}
    matches = difflib.get_close_matches(word.lower(), by_lower, n=1)
    return by_lower[matches[0]] if matches else None


def _did_you_mean(suggestions: list[str]) -> str:
    if not suggestions:
        return ""
    return f" (did you mean {' or '.join(repr(s) for s in suggestions)}?)"


def _describe(value: object) -> str:
    return f"{type(value).__name__} {reprlib.repr(value)}"


def _iso(moment: date) -> str:
    """`moment` as W&B writes times: ISO 8601 in UTC with no zone suffix; naive means UTC."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat()


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
        if isinstance(value, dict) and any(map(_is_operator, value)):
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
                f"pass a list of values, not {_describe(values)}", path=self._key
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
        return _iso(value) if isinstance(value, date) else value


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
    _check_field(name, name)
    return ValueField(name)
