"""Custom scalars: JSONString and DateTime travel as text, JSON as is, Int64 as int."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ariadne import ScalarType
from graphql import IntValueNode, StringValueNode, ValueNode

from runsapi.server._jsontext import dumps
from runsapi.server._time import iso

json_string = ScalarType("JSONString")
json_value = ScalarType("JSON")
date_time = ScalarType("DateTime")
int64 = ScalarType("Int64")


@json_string.serializer
def _serialize_json_string(value: Any) -> str:
    return value if isinstance(value, str) else dumps(value)


@json_value.serializer
def _serialize_json(value: Any) -> Any:
    return value  # non-finite floats become strings when the response is encoded


@date_time.serializer
def _serialize_date_time(value: Any) -> str:
    return iso(value) if isinstance(value, datetime) else str(value)


@int64.serializer
def _serialize_int64(value: Any) -> int:
    return int(value)


@int64.value_parser
def _parse_int64(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"Int64 cannot represent {value!r}")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (int, str)):
        return int(value)
    raise ValueError(f"Int64 cannot represent {value!r}")


@int64.literal_parser
def _parse_int64_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> int:
    if isinstance(node, (IntValueNode, StringValueNode)):
        return int(node.value)
    raise ValueError("Int64 needs an integer literal")


SCALARS = (json_string, json_value, date_time, int64)
