"""Opaque GraphQL ids and pagination cursors, and their decoding.

Ids look like W&B's (base64 of "Kind:v1:<row id>"); cursors are base64url JSON, so that a
cursor carries a sort key of any JSON type. Both are opaque to clients.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

_T = TypeVar("_T")


class BadIdError(ValueError):
    """An id or cursor that this server did not issue."""


def encode_id(kind: str, row_id: int) -> str:
    return base64.b64encode(f"{kind}:v1:{row_id}".encode()).decode()


def decode_id(kind: str, value: str) -> int:
    try:
        prefix, version, number = base64.b64decode(value, validate=True).decode().split(":")
        if prefix != kind or version != "v1":
            raise ValueError(value)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadIdError(f"invalid {kind} id: {value!r}") from exc


def encode_cursor(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error) as exc:
        raise BadIdError(f"invalid cursor: {cursor!r}") from exc


def decode_row_cursor(cursor: str | None) -> int:
    """The row id in a cursor of a connection paged by row id (files, artifacts, projects)."""
    if cursor is None:
        return 0
    value = decode_cursor(cursor)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadIdError(f"invalid cursor: {cursor!r}")
    return value


def decode_text_cursor(cursor: str | None) -> str | None:
    """The text key in a cursor of a connection paged by a unique text column (an
    artifact's file paths), or None for the first page."""
    if cursor is None:
        return None
    value = decode_cursor(cursor)
    if not isinstance(value, str):
        raise BadIdError(f"invalid cursor: {cursor!r}")
    return value


def row_page(
    rows: Sequence[tuple[Any, ...]], first: int, record: Callable[[tuple[Any, ...]], _T]
) -> tuple[list[tuple[_T, str]], bool]:
    """A page of a connection paged by a unique key, usually the row id: `rows` were read
    ordered by that key (column 0) with `LIMIT first + 1`; (record, cursor) of the first
    `first`, and whether more follow."""
    return [(record(row), encode_cursor(row[0])) for row in rows[:first]], len(rows) > first
