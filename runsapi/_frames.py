"""DataFrames of runs (pandas, and polars when installed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas

BASE_COLUMNS = ("id", "name", "state", "created_at", "tags", "group", "job_type")


def flatten(prefix: str, value: Mapping[str, Any], into: dict[str, Any]) -> dict[str, Any]:
    """`{"a": {"b": 1}}` -> `{"prefix.a.b": 1}`; lists stay lists (copied).

    Values are decoded JSON, so nested mappings are plain dicts (checked as such: an
    abstract Mapping check costs more than the rest of the loop).
    """
    for key, item in value.items():
        name = f"{prefix}.{key}"
        if isinstance(item, dict) and item:
            flatten(name, item, into)
        else:
            into[name] = list(item) if isinstance(item, list) else item
    return into


def runs_frame(records: Sequence[Mapping[str, Any]]) -> pandas.DataFrame:
    """A runs table from one record per run (the BASE_COLUMNS, then `config.*` and
    `summary.*` keys), in the given order; base columns first, the others sorted."""
    import pandas as pd  # noqa: PLC0415 (imported on first use: it is slow to import)

    extra = sorted({key for record in records for key in record} - set(BASE_COLUMNS))
    frame: pandas.DataFrame = pd.DataFrame.from_records(records, columns=[*BASE_COLUMNS, *extra])
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True).astype(
        "datetime64[us, UTC]"
    )
    for column in ("id", "name", "state", "group", "job_type"):
        frame[column] = frame[column].astype("string")
    return frame
