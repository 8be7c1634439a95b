"""JSON as W&B writes it, the copy of it that SQLite's JSON functions can read, and the
JSON of GraphQL responses.

W&B's JSON uses the bare tokens NaN, Infinity and -Infinity (as Python's json does by
default). SQLite before 3.42 rejects them, so every JSON column that filters or orders read
has a query copy in which NaN is null and ±Infinity is the largest finite float: filters
therefore treat NaN as null and ±Infinity as ±max float.

A GraphQL response is strict JSON, parsed by every client's JSON library first (the
official client's Go side rejects the bare tokens): JSONString fields keep the tokens
inside their text, and a non-finite float anywhere else (in a JSON value: sampled history,
history keys) travels as the string "NaN", "Infinity" or "-Infinity", which runsapi turns
back into a float.

Encoding and decoding go through pydantic-core, several times faster than `json` on the
server's hot paths (history rows, response bodies); `loads` is the client's own.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import pydantic_core

from runsapi._shared.json_codec import loads

_MAX = sys.float_info.max
_INT64 = -(2**63)


def dumps(value: Any) -> str:
    """Compact JSON with NaN/Infinity tokens."""
    return pydantic_core.to_json(value, inf_nan_mode="constants").decode()


def response_json(payload: Any) -> bytes:
    """A GraphQL response body: strict JSON, non-finite floats as strings."""
    return pydantic_core.to_json(payload, inf_nan_mode="strings")


def queryable(value: Any) -> Any:
    """The value with NaN replaced by None, ±Infinity by ±max float, and an integer
    beyond SQLite's 64 bits by the float SQLite's JSON functions read it as."""
    if isinstance(value, int) and not isinstance(value, bool) and not _INT64 <= value < -_INT64:
        return float(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return _MAX if value > 0 else -_MAX
        return value
    if isinstance(value, dict):
        return {key: queryable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [queryable(item) for item in value]
    return value


def dumps_queryable(value: Any) -> str:
    return json.dumps(queryable(value), separators=(",", ":"), allow_nan=False)


def loads_value(text: str | bytes, *, what: str) -> Any:
    """Decode a client's JSON text; ValueError naming `what` if it is not JSON or is
    nested too deeply to decode."""
    try:
        return loads(text)
    except RecursionError as exc:  # past pydantic-core's depth limit, `json` recurses
        raise ValueError(f"{what} is nested too deeply") from exc
    except ValueError as exc:
        raise ValueError(f"{what} is not valid JSON: {exc}") from exc


def loads_object(text: str | None, *, what: str) -> dict[str, Any]:
    """Decode a JSONString argument that must hold an object; None and "" give {}."""
    if not text:
        return {}
    value = loads_value(text, what=what)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value
