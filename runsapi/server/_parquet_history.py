"""History rows as a parquet file, in the layout W&B's readers expect of an export.

`_step` comes first, as int64, ascending; then one top-level column per key, in the order
the keys first appear, null where a row lacks the key. A key whose values all have one
JSON type gets that type's column (bool, int64, float64 with NaN and infinities kept,
string). A key of integers and floats is a float64 column when every integer is one
exactly (|i| <= 2**53): wandb-core sends a whole float as an integer (`1.0` as `1`), so a
metric logged as floats arrives mixed, and W&B's readers expect it numeric. Any other key
(mixed types, objects, lists, explicit nulls, integers beyond 64 bits) is a string column
of each value's JSON text, marked by the field metadata `JSON_FIELD`, so that a reader
gets back exactly the value that was logged.

The types are known only once every row was seen, and a file's schema comes first: so a
file is written in two passes over its rows, each a chunk at a time (`Schema` learns the
types, then `ParquetFile` writes one row group per chunk), and memory stays at a chunk.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

STEP = "_step"
# Field metadata of a column holding JSON text (key and value).
JSON_FIELD = (b"runsapi", b"json")
_INT64 = (-(2**63), 2**63)
_EXACT_IN_FLOAT64 = 2**53
_NUMBERS = frozenset({int, float})
_TYPES = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string()}


class Schema:
    """The columns of rows seen a chunk at a time: the keys in order, each one's types."""

    def __init__(self) -> None:
        self._types: dict[str, set[type]] = {STEP: {int}}
        self._wide: set[str] = set()  # keys with an integer beyond 64 bits
        self._inexact: set[str] = set()  # keys with an integer no float64 holds exactly

    def add(self, rows: Sequence[dict[str, Any]]) -> None:
        types, low, high = self._types, *_INT64
        for row in rows:
            for key, value in row.items():
                kinds = types.get(key)
                if kinds is None:
                    kinds = types[key] = set()
                kind = type(value)
                kinds.add(kind)
                if kind is int and not -_EXACT_IN_FLOAT64 <= value <= _EXACT_IN_FLOAT64:
                    self._inexact.add(key)
                    if not low <= value < high:
                        self._wide.add(key)

    def arrow(self) -> pa.Schema:
        fields = []
        for key, kinds in self._types.items():
            kind = _TYPES.get(kinds.copy().pop()) if len(kinds) == 1 else None
            if kinds == _NUMBERS and key != STEP and key not in self._inexact:
                kind = pa.float64()
            if kind is None or key in self._wide:
                fields.append(pa.field(key, pa.string(), metadata=dict([JSON_FIELD])))
            else:
                fields.append(pa.field(key, kind))
        return pa.schema(fields)


class ParquetFile:
    """A parquet file of `schema`, written a row group (a chunk of rows) at a time."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._schema = schema
        self._writer = pq.ParquetWriter(path, schema)

    def __enter__(self) -> ParquetFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._writer.close()

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        positions: dict[str, list[int]] = {}
        values: dict[str, list[Any]] = {}
        for index, row in enumerate(rows):
            for key, value in row.items():
                found = values.get(key)
                if found is None:
                    positions[key] = [index]
                    values[key] = [value]
                else:
                    positions[key].append(index)
                    found.append(value)
        arrays = []
        for field in self._schema:
            if field.name not in values:
                arrays.append(pa.nulls(len(rows), field.type))
                continue
            column = values[field.name]
            if field.metadata:  # JSON text
                column = [json.dumps(value, separators=(",", ":")) for value in column]
            if len(column) < len(rows):
                spread: list[Any] = [None] * len(rows)
                for position, value in zip(positions[field.name], column, strict=True):
                    spread[position] = value
                column = spread
            arrays.append(pa.array(column, type=field.type))
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self._schema))
