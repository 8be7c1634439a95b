"""History against a LocalServer: scans, sampling, joins, faults mid-scan, DataFrames."""

from __future__ import annotations

import itertools
import math

import pandas as pd
import polars as pl
import pytest

from runsapi import UsageError
from runsapi._sync.api import Api
from runsapi._sync.runs import Run
from runsapi.server import LocalServer
from tests.live.conftest import PROJECT, SCRATCH, log_history
from tests.support.counting import CountingTransport

_ids = itertools.count()


def run_with(api: Api, server: LocalServer, rows: list[dict[str, object]]) -> Run:
    run = api.create_run(run_id=f"hist{next(_ids):04d}", project=SCRATCH)
    log_history(server, run.id, rows)
    return api.run(run.path_str)


def steps(rows: list[dict[str, object]]) -> list[object]:
    return [row["_step"] for row in rows]


def test_scan_returns_every_row_in_order_from_the_real_first_step(
    api: Api, server: LocalServer
) -> None:
    # Starts at 1000, with a gap of 5000 steps in the middle.
    logged = [{"_step": s, "loss": s / 10} for s in [*range(1000, 1250), *range(6250, 6400)]]
    run = run_with(api, server, logged)
    scan = run.scan_history(page_size=100)
    rows = list(scan)
    assert rows == logged
    fixed_width_pages = 6400 // 100
    assert scan.pages_fetched <= fixed_width_pages // 2, "gaps are crossed in growing ranges"
    assert list(run.scan_history(page_size=100, min_step=1100, max_step=1110)) == logged[100:110]
    assert list(run.scan_history(page_size=7, min_step=6395)) == logged[-5:]


def test_beta_scan_history_gives_the_scans_rows(api: Api, server: LocalServer) -> None:
    logged = [{"_step": s, "loss": s / 10, **({"acc": s} if s % 2 else {})} for s in range(300)]
    run = run_with(api, server, logged)
    assert list(run.beta_scan_history(page_size=64)) == logged
    odd = list(run.beta_scan_history(["acc"], 64, 100, 200, use_cache=False))
    assert odd == [{"_step": s, "acc": s} for s in range(101, 200, 2)]


def test_sparse_key_scans_skip_rows_on_the_server(
    api: Api, server: LocalServer, transport: CountingTransport
) -> None:
    logged = [
        {"_step": s, "loss": 1.0, **({"eval": s} if s % 500 == 0 else {})} for s in range(20_000)
    ]
    run = run_with(api, server, logged)
    transport.reset()
    rows = list(run.scan_history(keys=["eval"], page_size=100))
    assert rows == [{"_step": s, "eval": s} for s in range(0, 20_000, 500)]
    assert transport.operations["RunSampledHistory"] <= 8, transport.operations


def test_dense_scans_need_one_request_per_page(
    api: Api, server: LocalServer, transport: CountingTransport
) -> None:
    run = run_with(api, server, [{"_step": s, "x": s} for s in range(1000)])
    transport.reset()
    assert len(list(run.scan_history(page_size=100))) == 1000
    assert transport.operations == {"RunHistoryKeys": 1, "RunHistoryPage": 10}


def test_a_scan_survives_faults_without_duplicates_or_gaps(api: Api, server: LocalServer) -> None:
    logged = [{"_step": s, "v": s} for s in range(500)]
    run = run_with(api, server, logged)
    scan = run.scan_history(page_size=50)
    head = [next(scan) for _ in range(120)]
    # Transient: retried by the client, invisible to the caller.
    server.inject_fault("status", count=2, status=502, retry_after="0", operation="RunHistoryPage")
    middle = [next(scan) for _ in range(100)]
    # Persistent (for every range fetched at once): the error surfaces, and iterating
    # again resumes where it stopped.
    server.inject_fault(
        "status", count=100, status=503, retry_after="0", operation="RunHistoryPage"
    )
    tail: list[dict[str, object]] = []
    with pytest.raises(Exception, match="HTTP 503"):
        tail.extend(scan)
    server.clear_faults()
    tail.extend(scan)
    assert head + middle + tail == logged


def test_nan_and_infinity_round_trip_distinct_from_missing(api: Api, server: LocalServer) -> None:
    logged = [
        {"_step": 0, "a": 1.5, "b": math.nan},
        {"_step": 1, "a": math.inf},
        {"_step": 2, "a": -math.inf, "b": 2.0},
    ]
    run = run_with(api, server, logged)
    rows = list(run.scan_history())
    assert math.isnan(rows[0]["b"]) and rows[1]["a"] == math.inf and rows[2]["a"] == -math.inf
    assert "b" not in rows[1]
    frame = run.history(samples=10)
    assert isinstance(frame, pd.DataFrame)
    assert str(frame["a"].dtype) == "Float64" and str(frame["_step"].dtype) == "Int64"
    assert frame["b"].isna().tolist() == [False, True, False], "NaN is a value, not missing"
    assert math.isnan(frame["b"].array._data[0])
    assert frame["a"].tolist()[1:] == [math.inf, -math.inf]
    keyed = list(run.scan_history(keys=["a"]))
    assert keyed[0]["a"] == 1.5 and keyed[1]["a"] == math.inf and keyed[2]["a"] == -math.inf
    both = run.history(keys=["a", "b"], pandas=False)
    assert [row["_step"] for row in both] == [0, 2]
    assert math.isnan(both[0]["b"]) and both[1]["a"] == -math.inf


def test_empty_runs(api: Api, server: LocalServer) -> None:
    run = run_with(api, server, [])
    assert list(run.scan_history()) == []
    assert run.history(pandas=False) == []
    frame = run.history(keys=["loss"])
    assert isinstance(frame, pd.DataFrame) and len(frame) == 0
    assert run.last_history_step == -1


def test_join_modes_and_the_empty_inner_join_warning(api: Api, server: LocalServer) -> None:
    logged = [{"_step": s, **({"train": s} if s % 2 else {"eval": -s})} for s in range(20)]
    run = run_with(api, server, logged)
    with pytest.warns(UserWarning, match="join='outer'"):
        inner = run.history(keys=["train", "eval"], pandas=False)
    assert inner == []
    outer = run.history(keys=["train", "eval"], join="outer")
    assert isinstance(outer, pd.DataFrame)
    assert outer["_step"].tolist() == list(range(20))
    assert outer["train"].isna().tolist() == [s % 2 == 0 for s in range(20)]
    with pytest.warns(UserWarning, match=r"never logged \['nope'\]"):
        run.history(keys=["train", "nope"], pandas=False)


def test_sampled_history_is_marked_and_keeps_first_and_last(api: Api, server: LocalServer) -> None:
    run = run_with(api, server, [{"_step": s, "loss": 1 / (s + 1)} for s in range(1000)])
    frame = run.history(keys=["loss"], samples=50)
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == 50
    assert frame["_step"].iloc[0] == 0 and frame["_step"].iloc[-1] == 999
    assert frame.attrs == {"sampled": True, "samples": 50, "run_rows": 1000}
    assert list(frame.columns) == ["_step", "loss"]


def test_system_stream(api: Api) -> None:
    run = api.runs(PROJECT, per_page=1)[0]
    events = run.history(stream="system", pandas=False)
    assert events and all(any(key.startswith("system.") for key in row) for row in events)
    with pytest.raises(UsageError, match="stream='default'"):
        run.history(keys=["loss"], stream="system")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"samples": 0}, "samples must be a positive integer"),
        ({"keys": "loss"}, "keys must be a list of strings"),
        ({"keys": []}, "keys must not be empty"),
        ({"join": "left"}, "join must be 'inner' or 'outer'"),
    ],
)
def test_bad_arguments_fail_before_any_request(
    api: Api, transport: CountingTransport, kwargs: dict[str, object], message: str
) -> None:
    run = api.runs(PROJECT, per_page=1)[0]
    transport.reset()
    with pytest.raises(UsageError, match=message):
        run.history(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="page_size must be a positive integer"):
        run.scan_history(page_size=-1)
    assert transport.requests == 0


def test_histories_cost_one_request_per_page_of_runs(
    api: Api, transport: CountingTransport
) -> None:
    runs = api.runs(PROJECT, per_page=3)
    frame = runs.histories(samples=20, keys=["loss", "acc"], format="pandas")
    assert transport.operations == {"RunsSampledHistory": 3}, transport.operations
    listed = [run.id for run in runs]
    assert list(dict.fromkeys(frame["run_id"])) == listed, "rows in query order"
    assert list(frame.columns) == ["run_id", "_step", "acc", "loss"]
    transport.reset()
    again = runs.histories(samples=20, keys=["loss", "acc"], format="pandas", max_workers=3)
    assert transport.operations == {"RunsSampledHistory": 3}
    pd.testing.assert_frame_equal(frame, again)


def test_histories_are_identical_across_formats(api: Api) -> None:
    runs = api.runs(PROJECT, per_page=4)
    rows = runs.histories(samples=15, keys=["loss"])
    frame = runs.histories(samples=15, keys=["loss"], format="pandas")
    polars_frame = runs.histories(samples=15, keys=["loss"], format="polars")
    assert isinstance(polars_frame, pl.DataFrame)
    assert polars_frame.columns == list(frame.columns) == ["run_id", "_step", "loss"]
    assert polars_frame.to_dicts() == rows == frame.astype(object).to_dict("records")


def test_iter_batches_yields_a_frame_per_page(api: Api, server: LocalServer) -> None:
    run = run_with(api, server, [{"_step": s, "x": float(s)} for s in range(250)])
    batches = list(run.scan_history(page_size=100).iter_batches())
    assert [len(batch) for batch in batches] == [100, 100, 50]
    assert pd.concat(batches)["x"].tolist() == [float(s) for s in range(250)]
    tables = list(run.scan_history(page_size=100).iter_batches(format="arrow"))
    assert sum(table.num_rows for table in tables) == 250


def test_progress_bars_only_when_asked_or_interactive(
    api: Api, server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_with(api, server, [{"_step": s, "x": s} for s in range(300)])
    assert len(list(run.scan_history(page_size=100))) == 300
    assert capsys.readouterr().err == "", "off when stderr is not a terminal"
    assert len(list(run.scan_history(page_size=100, progress=True))) == 300
    assert "history of" in capsys.readouterr().err
    runs = api.runs(PROJECT, per_page=4, limit=4)
    runs.histories(samples=5, keys=["loss"], progress=True)
    assert "histories" in capsys.readouterr().err
