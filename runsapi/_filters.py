"""Checks on run filters and sort orders, in the raw forms W&B takes.

`Api.runs` sends `filters` as a MongoDB-style document and `order` as one `+key`/`-key`
string. Both are checked here, before any request: the server rejects an unknown field
without naming it, and ignores an unknown sort key, leaving the runs unsorted. The typed
builder `F` (runsapi._filter_builder) produces documents these checks accept.
"""

from __future__ import annotations

import difflib
import math
import re
import reprlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timezone
from typing import TypeGuard

from runsapi._constants import DEFAULT_ORDER
from runsapi._exceptions import InvalidFilterError, InvalidOrderError

# Root fields of a runs filter. W&B documents createdAt, displayName, duration, group, host,
# jobType, name, state, tags and username in the `Api.runs` docstring (wandb/wandb#9406);
# the same docstring's examples use display_name, the official client's `Sweep` lists its
# runs with {"$and": [{"sweep": <id>}]}, and the server honours heartbeatAt and updatedAt
# like createdAt.
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
        "updatedAt",
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


def validate_filters(filters: Mapping[str, object]) -> dict[str, object]:
    """Check a run filter and return it unchanged, as a plain dict.

    Args:
        filters: A MongoDB-style document such as `{"state": "finished", "config.lr": 0.1}`.

    Returns:
        A dict equal to `filters`, ready to JSON-encode.

    Raises:
        InvalidFilterError: An unknown field or operator, an operand of the wrong type, an
            invalid regular expression, NaN or infinity, a value that is not JSON, or
            dicts and lists nested more than MAX_FILTER_DEPTH deep.
    """
    if not isinstance(filters, Mapping):
        raise InvalidFilterError(f"filters must be a dict, got {describe(filters)}")
    _check_depth(filters)
    _check_document(filters, "")
    return dict(filters)


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
            raise InvalidFilterError(f"keys must be strings, got {describe(key)}", path=path)
        where = f"{path}.{key}" if path else key
        if key.startswith("$"):
            _check_logical(key, value, where)
        else:
            check_field(key, where)
            _check_condition(value, where)


def _check_logical(operator: str, operand: object, path: str) -> None:
    if operator == "$not":
        if not isinstance(operand, dict):
            raise InvalidFilterError(
                f"$not needs a filter document such as {{'state': 'crashed'}}, "
                f"got {describe(operand)}",
                path=path,
            )
        _check_document(operand, path)
    elif operator in _LIST_OPERATORS:
        if not isinstance(operand, list) or not operand:
            raise InvalidFilterError(
                f"{operator} needs a non-empty list of filter documents, got {describe(operand)}",
                path=path,
            )
        for index, item in enumerate(operand):
            where = f"{path}[{index}]"
            if not isinstance(item, dict):
                raise InvalidFilterError(
                    f"{operator} takes filter documents (dicts), got {describe(item)}", path=where
                )
            _check_document(item, where)
    elif operator in FIELD_OPERATORS:
        raise InvalidFilterError(
            f"{operator} compares a field; put it under one: {{'<field>': {{'{operator}': ...}}}}",
            path=path,
        )
    else:
        raise _unknown_operator(operator, LOGICAL_OPERATORS, path)


def check_field(name: str, path: str) -> None:
    if name in FILTER_FIELDS:
        return
    prefix, dot, key = name.partition(".")
    if prefix in KEYED_FIELDS:
        if not dot or "" in key.split("."):
            raise InvalidFilterError(
                f"{name!r} needs a key with no empty parts: {prefix}.<key>, e.g. {prefix}.lr",
                path=path,
            )
        if '"' in key:  # SQLite's JSON paths, which the server filters with, cannot name it
            raise InvalidFilterError(f"{name!r}: a key to filter on cannot hold '\"'", path=path)
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
    if isinstance(condition, dict) and any(is_operator(key) for key in condition):
        _check_operators(condition, path)
    else:
        _check_value(condition, path)


def _check_operators(operators: dict[object, object], path: str) -> None:
    for operator, operand in operators.items():
        if not is_operator(operator):
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
                f"heartbeatAt), got {describe(operand)}",
                path=path,
            )
    elif operator in ("$in", "$nin"):
        if not isinstance(operand, list):
            hint = f"; write [{operand!r}]" if isinstance(operand, str) else ""
            raise InvalidFilterError(
                f"{operator} needs a list of values, got {describe(operand)}{hint}", path=path
            )
        _check_value(operand, path)
    elif operator == "$regex":
        _check_regex(operand, path)
    elif operator == "$exists":
        if not isinstance(operand, bool):
            raise InvalidFilterError(
                f"$exists needs True or False, got {describe(operand)}", path=path
            )
    elif operator == "$not":
        if not isinstance(operand, dict) or not operand or not all(map(is_operator, operand)):
            raise InvalidFilterError(
                f"$not under a field needs operators such as {{'$gt': 1}}, got {describe(operand)}",
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
            f"$regex needs a pattern string, got {describe(pattern)}", path=path
        )
    try:
        # Python's syntax stands in for RE2's, less what RE2 lacks.
        re.compile(pattern)
    except re.error as error:
        raise InvalidFilterError(
            f"$regex {pattern!r} is not a valid regular expression: {error}", path=path
        ) from None
    lacking = _not_in_re2(pattern)
    if lacking:
        raise InvalidFilterError(
            f"$regex {pattern!r} uses {lacking}, which W&B's RE2 syntax does not have", path=path
        )


# Python regex constructs that RE2 (linear time by design) does not have.
_RE2_LACKS_GROUPS = {
    "(?=": "a lookahead",
    "(?!": "a negative lookahead",
    "(?<=": "a lookbehind",
    "(?<!": "a negative lookbehind",
    "(?>": "an atomic group",
    "(?P=": "a backreference",
    "(?(": "a conditional group",
}


def _not_in_re2(pattern: str) -> str | None:
    """What `pattern` (valid for Python's `re`) uses that RE2 lacks, or None."""
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            escaped = pattern[index + 1 : index + 2]
            if not in_class and escaped in set("123456789"):
                return "a backreference"
            if not in_class and escaped == "Z":
                return "\\Z (RE2 writes the end of text \\z)"
            index += 2
        elif in_class:
            in_class = char != "]"
            index += 1
        elif char == "[":
            index += 1
            index += pattern.startswith("^", index)
            index += pattern.startswith("]", index)  # a leading ] is a literal
            in_class = True
        else:
            for opening, construct in _RE2_LACKS_GROUPS.items():
                if pattern.startswith(opening, index):
                    return construct
            if char in "*+?}" and pattern.startswith("+", index + 1):
                return "a possessive quantifier"
            index += 1
    return None


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
                raise InvalidFilterError(f"keys must be strings, got {describe(key)}", path=path)
            _check_value(item, f"{path}.{key}")
    elif isinstance(value, date):
        raise InvalidFilterError(
            f"{describe(value)} is not JSON; pass an ISO 8601 string such as "
            f"{iso(value)!r}, or use F.created_at or F.heartbeat_at, which convert datetimes",
            path=path,
        )
    else:
        raise InvalidFilterError(
            f"{describe(value)} is not JSON; use a str, int, float, bool, None, "
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


def is_operator(key: object) -> TypeGuard[str]:
    return isinstance(key, str) and key.startswith("$")


def _closest(word: str, choices: Iterable[str]) -> str | None:
    by_lower = {choice.lower(): choice for choice in choices}
    matches = difflib.get_close_matches(word.lower(), by_lower, n=1)
    return by_lower[matches[0]] if matches else None


def _did_you_mean(suggestions: list[str]) -> str:
    if not suggestions:
        return ""
    return f" (did you mean {' or '.join(repr(s) for s in suggestions)}?)"


def describe(value: object) -> str:
    return f"{type(value).__name__} {reprlib.repr(value)}"


def iso(moment: date) -> str:
    """`moment` as W&B writes times: ISO 8601 in UTC with no zone suffix; naive means UTC."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat()
