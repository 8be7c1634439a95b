"""History rows as both layers read them: key checks, decoding, non-finite floats."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

from runsapi._exceptions import UsageError
from runsapi._shared.json_codec import loads

Join = Literal["inner", "outer"]
Stream = Literal["default", "system"]
Row = dict[str, Any]


def check_keys(keys: Sequence[str] | None, *, x_axis: str) -> list[str] | None:
    """Validate `keys` and return them with the x axis first, or None for all keys."""
    if not isinstance(x_axis, str) or not x_axis:
        raise UsageError(f"x_axis must be a non-empty string, got {x_axis!r}")
    if keys is None:
        return None
    if isinstance(keys, str) or not isinstance(keys, Sequence):
        raise UsageError(f"keys must be a list of strings, got {keys!r}")
    if not keys:
        raise UsageError("keys must not be empty; pass None for every key")
    bad = [key for key in keys if not isinstance(key, str) or not key]
    if bad:
        raise UsageError(f"keys must be non-empty strings, got {bad!r}")
    return [x_axis, *dict.fromkeys(key for key in keys if key != x_axis)]


# How a JSON value (sampledHistory rows) carries non-finite floats: JSON has no NaN, and
# the W&B-compatible local server writes them as these strings.
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def restore_non_finite(rows: Sequence[Any] | None) -> list[Row]:
    """Sampled rows with "NaN", "Infinity" and "-Infinity" strings made floats again."""
    return [
        {
            key: _NON_FINITE.get(value, value) if type(value) is str else value
            for key, value in row.items()
        }
        if any(type(value) is str and value in _NON_FINITE for value in row.values())
        else row
        for row in rows or []
    ]


def decode_rows(rows: Sequence[str] | None) -> list[Row]:
    """JSON-encoded rows (as `history` and `events` return them) to dicts, in one parse."""
    if not rows:
        return []
    decoded: list[Row] = loads("[" + ",".join(rows) + "]")
    return decoded
