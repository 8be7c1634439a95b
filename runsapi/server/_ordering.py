"""Run ordering (`+key` / `-key`) and keyset pagination with opaque cursors.

Runs are ordered by the key, then by row id in the same direction; missing values come
last in both directions. A cursor holds (key is missing, key value, row id) of the last
run of a page, and the next page starts strictly after it, so runs inserted or deleted
meanwhile never make the runs that were there appear twice or go missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runsapi.server._fields import FilterError, Scalar, resolve_field
from runsapi.server._ids import BadIdError, decode_cursor, encode_cursor

DEFAULT_ORDER = "+created_at"


@dataclass(frozen=True)
class Ordering:
    field: Scalar
    descending: bool

    def order_by(self) -> tuple[str, list[Any]]:
        direction = "DESC" if self.descending else "ASC"
        key = self.field.value_sql
        params = list(self.field.value_params)
        if self.field.nullable:
            return (
                f"({key} IS NULL) ASC, {key} {direction}, runs.id {direction}",
                params + params,
            )
        return f"{key} {direction}, runs.id {direction}", params

    def after(self, cursor: str) -> tuple[str, list[Any]]:
        """The condition selecting the runs that come after `cursor`."""
        try:
            missing, value, row_id = decode_cursor(cursor)
        except (BadIdError, TypeError, ValueError) as exc:
            raise FilterError(f"invalid cursor: {cursor!r}") from exc
        if not isinstance(row_id, int):
            raise FilterError(f"invalid cursor: {cursor!r}")
        key = self.field.value_sql
        params = list(self.field.value_params)
        beyond = "<" if self.descending else ">"
        if missing:
            return f"({key} IS NULL AND runs.id {beyond} ?)", [*params, row_id]
        condition = f"({key}, runs.id) {beyond} (?, ?)"
        if self.field.nullable:
            return f"({key} IS NULL OR {condition})", [*params, *params, value, row_id]
        return condition, [*params, value, row_id]

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
