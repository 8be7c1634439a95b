"""DataFrames of runs (pandas, and polars when installed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas

    from runsapi.runs import Run

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


def run_record(run: Run) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": run.id,
        "name": run.name,
        "state": run.state,
        "created_at": run.created_at,
        "tags": list(run.tags),
        "group": run.group,
        "job_type": run.job_type,
    }
    config, summary = run._table_contents()
    flatten("config", config, record)
    flatten("summary", summary, record)
    return record


def runs_frame(runs: Iterable[Run]) -> pandas.DataFrame:
    """Rows in the given order; base columns first, then config.* and summary.* sorted."""
    import pandas as pd  # noqa: PLC0415 (imported on first use: it is slow to import)

    records = [run_record(run) for run in runs]
    extra = sorted({key for record in records for key in record} - set(BASE_COLUMNS))
    frame: pandas.DataFrame = pd.DataFrame.from_records(records, columns=[*BASE_COLUMNS, *extra])
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True).astype(
        "datetime64[us, UTC]"
    )
    for column in ("id", "name", "state", "group", "job_type"):
        frame[column] = frame[column].astype("string")
    return frame
