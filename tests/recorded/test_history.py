"""History methods against recorded responses of a seeded LocalServer."""

from __future__ import annotations

import math

import pandas as pd
import polars as pl
import pytest

from runsapi._sync.api import Api
from tests.recorded.conftest import PROJECT
from tests.support.counting import CountingTransport

pytestmark = pytest.mark.vcr


def test_sampled_history_modes(api: Api, transport: CountingTransport) -> None:
    run = api.runs(PROJECT, per_page=2)[0]
    inner = run.history(keys=["loss", "acc"], samples=30)
    assert isinstance(inner, pd.DataFrame)
    assert list(inner.columns) == ["_step", "acc", "loss"]
    assert 0 < len(inner) <= 30
    assert inner["_step"].is_monotonic_increasing
    assert inner.attrs["sampled"] is True and inner.attrs["run_rows"] == run.history_line_count
    outer = run.history(keys=["loss", "eval/loss"], samples=30, join="outer")
    assert isinstance(outer, pd.DataFrame)
    assert outer["eval/loss"].notna().sum() < outer["loss"].notna().sum()
    every_key = run.history(samples=10, pandas=False)
    assert isinstance(every_key, list) and len(every_key) == 10
    assert {"_step", "loss", "acc"} <= set(every_key[0])
    system = run.history(stream="system", pandas=False)
    assert system and all("_step" not in row or row["_step"] is not None for row in system)
    assert transport.operations == {
        "GetRuns": 1,
        "RunSampledHistory": 2,
        "RunHistoryPage": 1,
        "RunEvents": 1,
    }


def test_scan_history(api: Api, transport: CountingTransport) -> None:
    run = api.runs(PROJECT, per_page=2)[0]
    rows = list(run.scan_history(page_size=100))
    assert [row["_step"] for row in rows] == list(range(run.history_line_count))
    assert transport.operations["RunHistoryPage"] == 3
    sparse = list(run.scan_history(keys=["eval/loss"], page_size=100))
    assert [row["_step"] for row in sparse] == [row["_step"] for row in rows if "eval/loss" in row]
    assert all(set(row) == {"_step", "eval/loss"} for row in sparse)
    window = list(run.scan_history(min_step=50, max_step=60))
    assert [row["_step"] for row in window] == list(range(50, 60))
    batches = list(run.scan_history(keys=["loss"], page_size=100).iter_batches())
    assert [len(batch) for batch in batches] == [100, 100, 100]
    assert all(math.isfinite(value) or math.isnan(value) for b in batches for value in b["loss"])


def test_histories(api: Api, transport: CountingTransport) -> None:
    runs = api.runs(PROJECT, per_page=5)
    rows = runs.histories(samples=10, keys=["loss"])
    assert transport.operations == {"RunsSampledHistory": 3}
    assert [row["run_id"] for row in rows][::10] == [run.id for run in runs]
    frame = runs.histories(samples=10, keys=["loss"], format="pandas")
    polars_frame = runs.histories(samples=10, keys=["loss"], format="polars")
    assert isinstance(frame, pd.DataFrame) and isinstance(polars_frame, pl.DataFrame)
    assert list(frame.columns) == polars_frame.columns == ["run_id", "_step", "loss"]
    assert len(frame) == len(polars_frame) == len(rows) == 120
