"""Parquet history exports through runsapi against a LocalServer: scans of finished runs
read them (the same rows as paging, in fewer requests, no history page), downloads, the
cache, runs whose rows are not all exported, and faults on the way."""

from __future__ import annotations

import itertools
import json
import math
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

import runsapi
from runsapi import IncompleteRunHistoryError, UsageError, _parquet_rows
from runsapi._sync import _export_scan, history_exports
from runsapi._sync.api import Api
from runsapi._sync.run import Run
from runsapi.server import LocalServer
from runsapi.server import _history_exports as server_exports
from tests.live.conftest import FAST_RETRIES, PROJECT, SCRATCH, log_history
from tests.support.counting import CountingTransport

_ids = itertools.count()

# Values of every JSON type, non-finite floats, keys logged at different steps, a key
# with values of several types, explicit nulls, integers beyond 64 bits, strings that
# read like non-finite floats.
LOGGED: list[dict[str, Any]] = [
    {
        "_step": step,
        "loss": math.nan if step % 13 == 5 else 1 / (step + 1),
        "acc": step / 300,
        "epoch": step // 10,
        **({"eval": step * 2.5} if step % 7 == 0 else {}),
        **({"flag": step % 2 == 0, "tag": "NaN" if step % 4 else "x"} if step % 3 == 0 else {}),
        **({"mixed": [step, step + 0.5, "s", {"inner": math.inf}][step % 4]} if step % 5 else {}),
        **({"media": {"_type": "histogram", "values": [1, math.nan]}} if step % 50 == 0 else {}),
        **({"maybe": None} if step % 17 == 0 else {}),
        **({"big": 2**64 + step} if step % 90 == 0 else {}),
        **({"grad": -math.inf} if step % 31 == 0 else {}),
    }
    for step in range(3, 303)
]
KEYS = [None, ["loss"], ["eval", "acc"], ["flag", "tag"], ["mixed"], ["media"], ["maybe"], ["big"]]
RANGES = [(None, None), (50, 120), (0, 4), (299, None), (400, None)]


def new_run(api: Api, server: LocalServer, rows: list[dict[str, Any]]) -> Run:
    """A running run with `rows` (so not exported)."""
    run = api.create_run(run_id=f"exp{next(_ids):04d}", project=SCRATCH)
    log_history(server, run.id, rows)
    return api.run(run.path_str)


def resume(server: LocalServer, run: Run) -> None:
    """What `wandb.init(resume=...)` does to a finished run: running again."""
    with server.store.write() as conn:
        conn.execute("UPDATE runs SET state = 'running' WHERE name = ?", (run.id,))


def finish(api: Api, run: Run) -> Run:
    assert run.update_state("finished")
    return api.run(run.path_str)


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def same_rows(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    return len(a) == len(b) and all(
        same(dict(sorted(x.items())), dict(sorted(y.items()))) for x, y in zip(a, b, strict=True)
    )


def without_pyarrow(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if pyarrow were not installed: every scan pages."""
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)


def scans(run: Run) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    return {
        (tuple(keys or ()), low, high, size): list(
            run.scan_history(keys=keys, page_size=size, min_step=low, max_step=high)
        )
        for keys in KEYS
        for low, high in RANGES
        for size in (7, 1000)
    }


def test_a_finished_runs_scans_read_its_exports_and_give_the_pages_rows(
    api: Api, server: LocalServer, transport: CountingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = new_run(api, server, LOGGED)
    paged = scans(run)  # a running run pages
    assert transport.operations["RunParquetHistory"] == 0
    assert paged[((), None, None, 1000)] and paged[(("big",), None, None, 7)]
    assert paged[(("maybe",), None, None, 7)] == [], "a null is no value"
    run = finish(api, run)
    transport.reset()
    exported = scans(run)
    assert transport.operations["RunHistoryPage"] == 0, "the export path reads no page"
    assert transport.operations["RunSampledHistory"] == transport.operations["RunHistoryKeys"] == 0
    assert transport.operations["RunParquetHistory"] == len(exported)
    assert transport.requests == len(exported) + 1, "the export file is downloaded once"
    for case, rows in paged.items():
        assert same_rows(exported[case], rows), case
    without_pyarrow(monkeypatch)
    transport.reset()
    assert same_rows(list(run.scan_history()), paged[((), None, None, 1000)]), "no pyarrow"
    assert transport.operations["RunParquetHistory"] == 0


def test_seeded_runs_scan_alike_through_exports_and_pages(
    api: Api, transport: CountingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    finished = [
        run for run in api.runs(PROJECT) if run.state in {"finished", "crashed", "failed", "killed"}
    ]
    assert finished
    for run in finished:
        for keys in (None, ["loss"], ["loss", "acc"], ["eval/loss"], ["rare"], ["grad_norm"]):
            transport.reset()
            exported = list(run.scan_history(keys=keys, page_size=50))
            assert transport.operations.keys() == {"RunParquetHistory"}
            with monkeypatch.context() as patch:
                without_pyarrow(patch)
                assert same_rows(exported, list(run.scan_history(keys=keys, page_size=50)))


def test_batches_from_exports_are_the_pages_frames(api: Api, server: LocalServer) -> None:
    rows = [{"_step": s, "x": float(s), **({"y": s} if s % 3 else {})} for s in range(250)]
    run = finish(api, new_run(api, server, rows))
    frames = list(run.scan_history(page_size=100).iter_batches())
    assert [len(frame) for frame in frames] == [100, 100, 50]
    frame = pd.concat(frames, ignore_index=True)
    assert frame["x"].tolist() == [float(s) for s in range(250)]
    assert str(frame["y"].dtype) == "Int64" and frame["y"].isna().sum() == 84
    tables = list(run.scan_history(page_size=100).iter_batches(format="arrow"))
    assert sum(table.num_rows for table in tables) == 250


def test_a_long_history_is_read_across_its_files(
    api: Api, server: LocalServer, transport: CountingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_exports, "HISTORY_EXPORT_PART_BYTES", 3_000)
    run = new_run(api, server, LOGGED)
    paged = list(run.scan_history(page_size=64))
    run = finish(api, run)
    transport.reset()
    scan = run.scan_history(page_size=64)
    assert same_rows(list(scan), paged)
    files = transport.requests - 1
    assert files > 5 and transport.operations.keys() == {"RunParquetHistory"}
    assert scan.pages_fetched == 0 and scan.next_step == LOGGED[-1]["_step"] + 1
    transport.reset()
    assert same_rows(list(run.scan_history(min_step=290, page_size=64)), paged[-13:])
    assert transport.requests == 1, "every file is cached"


def test_a_resumed_run_pages_what_its_exports_do_not_hold(
    api: Api, server: LocalServer, transport: CountingTransport
) -> None:
    run = finish(api, new_run(api, server, LOGGED[:200]))
    assert len(list(run.scan_history())) == 200  # exported
    stale = api.run(run.path_str)  # still says "finished"
    resume(server, run)
    log_history(server, run.id, LOGGED[200:])
    transport.reset()
    rows = list(stale.scan_history())
    assert len(rows) == len(LOGGED) and transport.operations["RunHistoryPage"] > 0
    transport.reset()
    head = list(stale.scan_history(max_step=LOGGED[200]["_step"]))
    assert len(head) == 200 and transport.operations.keys() == {"RunParquetHistory"}, "held"


def test_download_history_exports(
    api: Api, server: LocalServer, transport: CountingTransport, tmp_path: Path
) -> None:
    monkeypatch_parts = pytest.MonkeyPatch()
    monkeypatch_parts.setattr(server_exports, "HISTORY_EXPORT_PART_BYTES", 10_000)
    try:
        run = finish(api, new_run(api, server, LOGGED))
        threads = threading.active_count()
        result = run.download_history_exports(tmp_path / "exports")
    finally:
        monkeypatch_parts.undo()
    assert threading.active_count() == threads, "the download threads are gone"
    assert isinstance(result, runsapi.DownloadHistoryResult)
    assert result.contains_live_data is False and result.errors == {}
    expected = [
        f"demo_{SCRATCH}_{run.id}_{index}.runhistory.parquet" for index in range(len(result.paths))
    ]
    assert [path.name for path in result.paths] == expected and len(expected) > 1
    steps = [pq.read_table(path).column("_step").to_pylist() for path in result.paths]
    assert list(itertools.chain.from_iterable(steps)) == [row["_step"] for row in LOGGED]
    assert not list((tmp_path / "exports").glob(".*")), "no temporary file is left"


def test_a_run_with_rows_not_exported_is_incomplete(
    api: Api, server: LocalServer, transport: CountingTransport, tmp_path: Path
) -> None:
    running = new_run(api, server, LOGGED[:20])
    transport.reset()
    with pytest.raises(IncompleteRunHistoryError, match="20 history rows not exported"):
        running.download_history_exports(tmp_path)
    assert transport.operations == {"RunParquetHistory": 1} and not list(tmp_path.iterdir())
    partial = running.download_history_exports(tmp_path, require_complete_history=False)
    assert partial == runsapi.DownloadHistoryResult([], contains_live_data=True)
    finished = finish(api, running)
    (first,) = finished.download_history_exports(tmp_path).paths
    resume(server, finished)
    log_history(server, finished.id, LOGGED[20:25])
    resumed = finished.download_history_exports(tmp_path, require_complete_history=False)
    assert resumed.paths == [first] and resumed.contains_live_data


def test_arguments_are_checked_before_any_request(
    api: Api, server: LocalServer, transport: CountingTransport
) -> None:
    run = new_run(api, server, LOGGED[:3])
    transport.reset()
    with pytest.raises(UsageError, match="download_dir must be a path"):
        run.download_history_exports(42)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="require_complete_history must be True or False"):
        run.download_history_exports(".", require_complete_history="yes")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="use_cache must be True or False"):
        run.scan_history(use_cache=1)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="keys must be a list"):
        run.beta_scan_history("loss")  # type: ignore[arg-type]
    assert transport.requests == 0


def test_beta_scan_history_and_use_cache(
    api: Api, server: LocalServer, transport: CountingTransport
) -> None:
    run = finish(api, new_run(api, server, LOGGED))
    assert same_rows(list(run.beta_scan_history()), list(run.scan_history()))
    transport.reset()
    odd = list(run.beta_scan_history(["eval"], 64, 100, 200, use_cache=False))
    assert odd == [{"_step": s, "eval": s * 2.5} for s in range(105, 200, 7)]
    assert transport.requests == 2, "downloaded again"


def broken_after_a_batch(*args: Any) -> Iterator[list[dict[str, Any]]]:
    """A read of an export file that fails after its first batch."""
    yield next(_parquet_rows.read_rows(*args))
    raise OSError("disk read error")


def test_a_failed_download_or_read_raises_and_the_scan_resumes_without_repeats(
    api: Api, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = finish(api, new_run(api, server, LOGGED))
    expected = list(run.scan_history(page_size=16, use_cache=False))
    faults = iter(
        [
            {"mode": "status", "status": 500, "count": FAST_RETRIES.max_retries + 1},
            {"mode": "truncate"},
        ]
    )
    asked = history_exports.run_exports

    def then_fault_a_download(*args: Any) -> history_exports.Exports:
        exports = asked(*args)
        server.inject_fault(**next(faults))  # for the first download after this answer
        return exports

    monkeypatch.setattr(_export_scan, "run_exports", then_fault_a_download)
    scan = run.scan_history(page_size=16, use_cache=False)
    with pytest.raises(runsapi.InternalServerError):
        next(scan)
    with pytest.raises(runsapi.ResponseValidationError, match="not a whole parquet file"):
        next(scan)
    cache = Path(api.settings.cache_dir) / "runhistory"
    assert not list(cache.glob(".*")), "no partial file is kept"
    monkeypatch.undo()
    assert json.dumps(list(scan)) == json.dumps(expected)
    monkeypatch.setattr(_export_scan, "read_rows", broken_after_a_batch)
    scan = run.scan_history(page_size=16)
    rows = [next(scan)]
    with pytest.raises(OSError, match="disk"):
        rows.extend(scan)
    monkeypatch.undo()
    rows.extend(scan)
    assert json.dumps(rows) == json.dumps(expected), "no row repeated or missing"


def test_a_scan_closed_early_stops(api: Api, server: LocalServer) -> None:
    run = finish(api, new_run(api, server, LOGGED))
    with run.scan_history(page_size=10) as scan:
        assert next(scan)["_step"] == 3
    assert list(scan) == []
