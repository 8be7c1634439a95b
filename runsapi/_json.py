"""JSON the client sends and reads: JSONString fields, NaN and Infinity, storable values."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from runsapi._exceptions import InvalidValueError, ResponseValidationError
from runsapi._shared.json_codec import loads


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


_STORABLE = (
    "dicts (keys str, int, float, bool or None), lists, tuples, sets, str, int, float "
    "(NaN and infinities included), bool, None, dates and datetimes, numpy scalars and arrays"
)


def check_storable(key: str, value: object) -> None:
    """InvalidValueError naming `key` unless `encode` can store `value`."""
    _encode_storable(key, value)


def as_stored(key: str, value: object) -> Any:
    """`value` as it is stored and read back (tuples and sets as lists, dates as strings,
    numpy values as numbers and lists); InvalidValueError naming `key` if it cannot be."""
    return loads(_encode_storable(key, value))


def _encode_storable(key: str, value: object) -> str:
    try:
        return encode(value)
    except (TypeError, ValueError, RecursionError) as exc:  # ValueError: a reference cycle
        raise InvalidValueError(
            f"{key!r} cannot be set to a value of type {type(value).__name__}: {exc}; "
            f"JSON values are accepted: {_STORABLE}"
        ) from exc
