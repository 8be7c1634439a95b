"""The tables of an export (see runsapi.export): typed run rows, bounded history parts,
and parquet files written whole or not at all.

Layout under the export directory, Hive-partitioned so that DuckDB, Polars and Spark read
it as one dataset each:

    runs/entity=<e>/project=<p>/runs.parquet            one row per run
    history/entity=<e>/project=<p>/run=<id>/part-<first>-<last>.parquet
    files/entity=<e>/project=<p>/files.parquet          one row per run file
    artifacts/entity=<e>/project=<p>/artifacts.parquet  one row per logged artifact

A history part is named after the first and last steps it holds, so the steps already
exported are read off the file names: an export that stopped half-way resumes after the
last part it completed, and no step is written twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runsapi._content_cache import atomically_replaced
from runsapi._exceptions import UsageError
from runsapi._frames import flatten
from runsapi._history_rows import Row

if TYPE_CHECKING:
    import pyarrow

_PART = re.compile(r"part-(\d+)-(\d+)\.parquet")
RUN_COLUMNS = (
    "id",
    "name",
    "state",
    "created_at",
    "heartbeat_at",
    "user",
    "tags",
    "group",
    "job_type",
    "sweep",
    "notes",
)
EXTRA_JSON = {"config": "config_json", "summary": "summary_json"}
"""Per run, the config and summary values that do not fit a typed column, as JSON."""


def arrow() -> Any:
    """pyarrow, or UsageError naming the extra that installs it."""
    try:
        import pyarrow  # noqa: PLC0415 (optional dependency: the `arrow` extra)
        import pyarrow.parquet  # noqa: PLC0415
    except ImportError:
        raise UsageError('exporting needs pyarrow: pip install "runsapi[arrow]"') from None
    return pyarrow


def partition(root: Path, dataset: str, entity: str, project: str) -> Path:
    return root / dataset / f"entity={_hive(entity)}" / f"project={_hive(project)}"


def _hive(value: str) -> str:
    """A partition value as a directory name (Hive escapes these characters)."""
    return "".join(f"%{ord(c):02X}" if c in '/\\=%:"*?<>|' or ord(c) < 32 else c for c in value)


def run_row(base: Mapping[str, Any], config: Mapping[str, Any], summary: Mapping[str, Any]) -> Row:
    """A run's row: its base columns, then `config.*` and `summary.*` flattened."""
    row = dict(base)
    flatten("config", config, row)
    flatten("summary", summary, row)
    return row


def runs_table(rows: Sequence[Row]) -> pyarrow.Table:
    """Run rows as a table with a type per column: a `config.*` or `summary.*` column
    whose values are not all of one scalar kind (numbers, texts or booleans; missing ones
    aside) is left out, and its values go to the run's `config_json` / `summary_json`."""
    pa = arrow()
    flat = sorted({key for row in rows for key in row} - set(RUN_COLUMNS))
    typed = [key for key in flat if _kind(row.get(key) for row in rows) is not None]
    extras: dict[str, list[str | None]] = {name: [] for name in EXTRA_JSON.values()}
    for row in rows:
        for prefix, name in EXTRA_JSON.items():
            left = {
                key[len(prefix) + 1 :]: row[key]
                for key in flat
                if key.startswith(prefix + ".") and key in row and key not in typed
            }
            extras[name].append(json.dumps(left, default=str) if left else None)
    columns = {key: [row.get(key) for row in rows] for key in (*RUN_COLUMNS, *typed)}
    for key in typed:
        if _kind(columns[key]) == "float":
            columns[key] = [None if value is None else float(value) for value in columns[key]]
    return pa.table({**columns, **extras})


def _kind(values: Iterable[Any]) -> str | None:
    """ "int", "float", "text" or "bool" when every value given is of that kind (ints
    and floats together are "float"), else None; missing values aside."""
    kinds = set()
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            kinds.add("bool")
        elif isinstance(value, int):
            kinds.add("int")
        elif isinstance(value, float):
            kinds.add("float")
        elif isinstance(value, str):
            kinds.add("text")
        else:
            return None
    if kinds == {"int", "float"}:
        return "float"
    return kinds.pop() if len(kinds) == 1 else None


def merge_by_id(path: Path, fresh: pyarrow.Table, key: str, replaced: set[str]) -> pyarrow.Table:
    """`fresh`, plus the rows of the table stored at `path` whose `key` is not in
    `replaced` (the runs exported again), with the columns of both."""
    pa = arrow()
    if not path.is_file():
        return fresh
    stored = pa.parquet.read_table(path)
    keep = pa.compute.invert(pa.compute.is_in(stored[key], value_set=pa.array(sorted(replaced))))
    return pa.concat_tables([stored.filter(keep), fresh], promote_options="permissive")


def write_parquet(table: pyarrow.Table, path: Path) -> int:
    """Write `table` to `path` whole (a temporary file renamed into place); its size."""
    pa = arrow()
    with atomically_replaced(path) as part:
        pa.parquet.write_table(table, part, compression="zstd")
    return path.stat().st_size


def last_exported_step(run_dir: Path) -> int:
    """The last step held by the run's history parts; -1 when there are none."""
    ends = [
        int(m.group(2)) for p in run_dir.glob("part-*.parquet") if (m := _PART.fullmatch(p.name))
    ]
    return max(ends, default=-1)


def history_part(rows: Sequence[Row], run_dir: Path) -> int:
    """Write rows (in step order) as the run's next part; its size in bytes. A key whose
    values arrow cannot hold in one column (a number logged, then a text) is kept as
    JSON text."""
    pa = arrow()
    keys = ["_step", *sorted({key for row in rows for key in row} - {"_step"})]
    table = pa.table({key: _column(pa, [row.get(key) for row in rows]) for key in keys})
    first, last = rows[0]["_step"], rows[-1]["_step"]
    return write_parquet(table, run_dir / f"part-{first:012d}-{last:012d}.parquet")


def _column(pa: Any, values: list[Any]) -> Any:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else json.dumps(v, default=str) for v in values])
