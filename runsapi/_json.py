"""JSON as W&B uses it: JSONString fields, NaN and Infinity, and the config's value wrapping."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pydantic_core

from runsapi._exceptions import ResponseValidationError, UsageError

# Config keys W&B writes for itself; shown in `rawconfig`, hidden from `config`.
INTERNAL_CONFIG_KEYS = frozenset({"_wandb", "wandb_version"})


def loads(text: str | bytes) -> Any:
    """Decode JSON with pydantic-core's parser (several times faster than `json` on small
    documents), falling back to `json` for what it refuses and W&B writes: raw control
    characters (tabs) in strings, lone surrogate escapes. NaN, Infinity and -Infinity
    decode to floats. ValueError if the text is not JSON at all."""
    try:
        return pydantic_core.from_json(text)
    except ValueError:
        return json.loads(text, strict=False)


def decode_object(text: str | None, *, what: str) -> dict[str, Any]:
    """Decode a JSONString field into a dict. None and "" give {}.

    NaN, Infinity and -Infinity tokens decode to floats, kept distinct from null.
    """
    if not text:
        return {}
    try:
        value = loads(text)
    except ValueError as exc:
        raise ResponseValidationError(
            f"{what} is not valid JSON: {exc}", operation=None, error=None
        ) from exc
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ResponseValidationError(
            f"{what} should be a JSON object, got {type(value).__name__}",
            operation=None,
            error=None,
        )
    return value


def _default(value: object) -> object:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    for attribute in ("tolist", "item"):  # numpy arrays and scalars, without importing numpy
        method = getattr(value, attribute, None)
        if callable(method):
            return method()
    raise TypeError(f"{type(value).__name__} values cannot be stored as JSON: {value!r}")


def encode(value: object) -> str:
    """Compact JSON, writing non-finite floats as NaN/Infinity/-Infinity as W&B does."""
    return json.dumps(value, separators=(",", ":"), allow_nan=True, default=_default)


class InvalidValueError(UsageError, TypeError):
    """A config or summary value that cannot be stored as JSON, refused when it is set.

    A TypeError too (a UsageError is a ValueError): the value's type is what is wrong, and
    `json` raises TypeError for it, so code that catches that keeps working.
    """


_STORABLE = (
    "dicts (keys str, int, float, bool or None), lists, tuples, sets, str, int, float "
    "(NaN and infinities included), bool, None, dates and datetimes, numpy scalars and arrays"
)


def check_storable(key: str, value: object) -> None:
    """InvalidValueError naming `key` unless `encode` can store `value`."""
    try:
        encode(value)
    except (TypeError, ValueError, RecursionError) as exc:  # ValueError: a reference cycle
        raise InvalidValueError(
            f"{key!r} cannot be set to a value of type {type(value).__name__}: {exc}; "
            f"JSON values are accepted: {_STORABLE}"
        ) from exc


def unwrap_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    """`{"lr": {"value": 0.1, "desc": None}, "_wandb": {...}}` -> `{"lr": 0.1}`."""
    return {
        key: item["value"] if isinstance(item, dict) and "value" in item else item
        for key, item in raw.items()
        if key not in INTERNAL_CONFIG_KEYS
    }


def wrap_config(config: Mapping[str, Any], raw: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of `config`: each value wrapped, internal keys kept from `raw`."""
    wrapped = {key: raw[key] for key in INTERNAL_CONFIG_KEYS if key in raw}
    for key, value in config.items():
        previous = raw.get(key)
        desc = previous.get("desc") if isinstance(previous, dict) else None
        wrapped[key] = {"value": value, "desc": desc}
    return wrapped
