"""Run ordering (`+key` / `-key`) and keyset pagination with opaque cursors.

Runs are ordered by the key, then by row id in the same direction; missing values come
last in both directions, ordered by row id. A cursor holds (key is missing, key value,
row id) of the last run of a page, and the next page starts strictly after it, so runs
inserted or deleted meanwhile never make the runs that were there appear twice or go
missing. Each page is read by index searches that start at the cursor (see
`Ordering.parts`), so it costs the same wherever it is and however many runs there are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from runsapi.server._fields import FilterError, Scalar, resolve_field
from runsapi.server._ids import BadIdError, decode_cursor, encode_cursor

DEFAULT_ORDER = "+created_at"


@dataclass(frozen=True)
class Position:
    """Where a cursor points: among the runs missing the key, or at (value, row id)."""

    missing: bool
    value: Any
    row_id: int


class IndexWalk(NamedTuple):
    """One index search of a page: its condition, ORDER BY and parameters, and whether it
    walks the key's index in the key's order (else it reads runs by row id: ties with
    the cursor's value, or runs missing the key)."""

    condition: str
    order_by: str
    params: list[Any]
    by_key: bool


@dataclass(frozen=True)
class Ordering:
    """An order, read as two index walks: the runs having the key, by (key, row id),
    then (for a nullable key) the runs missing it, by row id; each walk starts after the
    cursor, so that a page costs the same wherever it is in the listing."""

    field: Scalar
    descending: bool

    @property
    def direction(self) -> str:
        return "DESC" if self.descending else "ASC"

    @property
    def beyond(self) -> str:
        return "<" if self.descending else ">"

    def parts(
        self, after: Position | None, *, key_present: bool = False, searchable: bool = True
    ) -> list[IndexWalk]:
        """Each index walk of a page, in order, after `after`; without the runs missing
        the key when the filter lets none of them through (`key_present`). Not
        `searchable`, the conditions on the key and row id are written so that SQLite
        searches no index by them (`+key`), for a page that searches a filter's index."""
        plus = "" if searchable else "+"
        key, row = f"{plus}{self.field.value_sql}", f"{plus}runs.id"
        parts = []
        if after is None or not after.missing:
            parts += self._present(after, key, row)
        if self.field.nullable and not key_present:
            parts.append(self._missing(after, key, row))
        return parts

    def _present(self, after: Position | None, key: str, row: str) -> list[IndexWalk]:
        """The runs having the key: first those tied with the cursor's value (by row id),
        then those beyond it. Each is an index search: SQLite does not search an index
        over an expression by a row value `(key, id) > (?, ?)`, and walking past the ties
        would cost as many rows as there are ties."""
        order_by = f"{self.field.value_sql} {self.direction}, runs.id {self.direction}"
        parts = []
        if after is not None:
            parts.append(
                IndexWalk(
                    f"{key} = ? AND {row} {self.beyond} ?",
                    f"runs.id {self.direction}",
                    [after.value, after.row_id],
                    by_key=False,
                )
            )
        conditions: list[str] = []
        params: list[Any] = []
        if self.field.nullable and (after is None or self.descending):
            # IS NOT NULL as a range (every number, text or JSON value is >= -inf), which
            # SQLite searches an expression index by, where it would walk past the nulls.
            # Not with an ascending cursor: SQLite could start from this bound, not that.
            conditions.append(f"{key} >= ?")
            params.append(-math.inf)
        if after is not None:
            conditions.append(f"{key} {self.beyond} ?")
            params.append(after.value)
        parts.append(IndexWalk(" AND ".join(conditions) or "1", order_by, params, by_key=True))
        return parts

    def _missing(self, after: Position | None, key: str, row: str) -> IndexWalk:
        """The runs missing the key (by row id), after `after`."""
        condition = f"{key} IS NULL"
        params: list[Any] = []
        if after is not None and after.missing:
            condition += f" AND {row} {self.beyond} ?"
            params.append(after.row_id)
        return IndexWalk(condition, f"runs.id {self.direction}", params, by_key=False)

    @staticmethod
    def position(cursor: str) -> Position:
        try:
            missing, value, row_id = decode_cursor(cursor)
        except (BadIdError, TypeError, ValueError) as exc:
            raise FilterError(f"invalid cursor: {cursor!r}") from exc
        if not isinstance(row_id, int):
            raise FilterError(f"invalid cursor: {cursor!r}")
        return Position(bool(missing), value, row_id)

    @staticmethod
    def cursor(sort_value: Any, row_id: int) -> str:
        return encode_cursor([1 if sort_value is None else 0, sort_value, row_id])


def parse_order(order: str | None) -> Ordering:
    text = (order or "").strip() or DEFAULT_ORDER
    descending = text.startswith("-")
    key = text.lstrip("+-")
    field = resolve_field(key)
    if not isinstance(field, Scalar):
        raise FilterError(f"cannot order by {key!r}")
    return Ordering(field=field, descending=descending)
