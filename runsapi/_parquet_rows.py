"""History rows read from a parquet export, exactly as the GraphQL history pages give them.

An export (the local server's, runsapi/server/_parquet_history.py, or W&B's) has `_step`
ascending and one column per key, null where a row lacks the key; runsapi's exports mark
with field metadata the columns that hold each value's JSON text. Without keys, a row has
the keys whose values are not null (`history` pages); with keys, only rows that have all
of them, not null, with only them, `_step` first, and values as `sampledHistory` pages
carry them (see `_sampled`). Only the row groups the step range reaches are read, a batch
at a time, so memory stays at one batch.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

from runsapi._history_rows import restore_non_finite
from runsapi._shared.json_codec import loads

Row = dict[str, Any]
STEP = "_step"
# The field metadata of a column of JSON texts (runsapi.server._parquet_history).
_JSON_FIELD = (b"runsapi", b"json")
_ABSENT = object()
_NON_FINITE_TEXT = {math.inf: "Infinity", -math.inf: "-Infinity"}


class _Kind(Enum):
    PLAIN = 1  # numbers and booleans, as they are
    TEXT = 2  # strings
    JSON = 3  # JSON texts, decoded
    FLOAT_STEP = 4  # steps stored as floats, made integers


def read_rows(
    path: Path, keys: list[str] | None, start: int, stop: int | None, batch_rows: int
) -> Iterator[list[Row]]:
    """The file's rows with start <= _step < stop (no bound if None), in lists of at most
    `batch_rows`; with `keys` (`_step` first), only rows that have every one of them."""
    import pyarrow.parquet as pq  # noqa: PLC0415 (optional dependency: the `arrow` extra)

    source = pq.ParquetFile(path)
    schema = source.schema_arrow
    if keys is not None and not set(keys) <= set(schema.names):
        return  # a row would need a key this file has no column for
    names = schema.names if keys is None else keys
    kinds = [_kind(schema.field(name)) for name in names]
    groups = _row_groups(source.metadata, start, stop)
    for batch in source.iter_batches(batch_rows, row_groups=groups, columns=names):
        columns = [
            _values(batch.column(name), kind) for name, kind in zip(names, kinds, strict=True)
        ]
        steps = columns[names.index(STEP)]
        low = bisect.bisect_left(steps, start)
        high = len(steps) if stop is None else bisect.bisect_left(steps, stop)
        if low < high:
            part = [column[low:high] for column in columns]
            rows = _sampled_rows(names, part, kinds) if keys else _rows(names, part)
            if rows:
                yield rows
        if high < len(steps):
            return


def _kind(field: Any) -> _Kind:
    import pyarrow as pa  # noqa: PLC0415

    if field.metadata and field.metadata.get(_JSON_FIELD[0]) == _JSON_FIELD[1]:
        return _Kind.JSON
    if field.name == STEP and not pa.types.is_integer(field.type):
        return _Kind.FLOAT_STEP
    if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
        return _Kind.TEXT
    return _Kind.PLAIN


def last_step(path: Path) -> int | None:
    """The file's last step (steps ascend), None if it has no rows."""
    import pyarrow.parquet as pq  # noqa: PLC0415

    metadata = pq.ParquetFile(path).metadata
    if metadata.num_rows == 0:
        return None
    groups = [
        group for group in range(metadata.num_row_groups) if metadata.row_group(group).num_rows
    ]
    stats = metadata.row_group(groups[-1]).column(_step_leaf(metadata)).statistics
    if stats is not None and stats.has_min_max:
        return int(stats.max)
    steps = pq.read_table(path, columns=[STEP]).column(STEP)
    return int(steps[len(steps) - 1].as_py())


def _step_leaf(metadata: Any) -> int:
    """The index of the `_step` column among the file's leaf columns."""
    schema = metadata.schema
    return next(leaf for leaf in range(len(schema)) if schema.column(leaf).path == STEP)


def _row_groups(metadata: Any, start: int, stop: int | None) -> list[int]:
    """The row groups whose steps may fall in the range, by their statistics."""
    chosen = []
    step_column = _step_leaf(metadata)
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(step_column).statistics
        outside = (
            stats is not None
            and stats.has_min_max
            and (stats.max < start or (stop is not None and stats.min >= stop))
        )
        if not outside:
            chosen.append(group)
    return chosen


def _values(column: Any, kind: _Kind) -> list[Any]:
    """The column's values, with _ABSENT where it is null (the row lacks the key)."""
    values: list[Any] = column.to_pylist()
    if kind is _Kind.FLOAT_STEP:
        return [int(step) for step in values]
    if kind is _Kind.JSON:  # one parse for the whole column
        decoded = iter(loads("[" + ",".join(text for text in values if text is not None) + "]"))
        return [_ABSENT if text is None else next(decoded) for text in values]
    if column.null_count:
        return [_ABSENT if value is None else value for value in values]
    return values


def _rows(names: list[str], columns: list[list[Any]]) -> list[Row]:
    """`history` rows: every key whose value is there (a JSON null is a value)."""
    if not any(_ABSENT in column for column in columns):
        return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
    return [
        {name: value for name, value in zip(names, row, strict=True) if value is not _ABSENT}
        for row in zip(*columns, strict=True)
    ]


def _sampled_rows(names: list[str], columns: list[list[Any]], kinds: list[_Kind]) -> list[Row]:
    """`sampledHistory` rows: those whose wanted values are all there and not null."""
    rows = [
        dict(zip(names, row, strict=True))
        for row in zip(*columns, strict=True)
        if _ABSENT not in row and None not in row
    ]
    if _Kind.JSON in kinds or _Kind.TEXT in kinds:
        rows = restore_non_finite([{key: _sampled(v) for key, v in row.items()} for row in rows])
    return rows


def _sampled(value: Any) -> Any:
    """A value as a `sampledHistory` page carries it: the server writes non-finite floats
    as strings ("NaN", "Infinity", "-Infinity"), which the scan makes floats again at the
    top level only (restore_non_finite), so those inside objects and lists stay strings."""
    if isinstance(value, dict):
        return {key: _sampled_nested(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_sampled_nested(item) for item in value]
    return value


def _sampled_nested(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return _NON_FINITE_TEXT.get(value, "NaN")
    return _sampled(value)
