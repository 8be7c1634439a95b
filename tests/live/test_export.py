"""`runsapi.export`: a seeded project exported as parquet datasets, read back by DuckDB and
Polars with the values runsapi reads; a second export writes only what changed; an
interrupted one resumes without duplicates; bad input is refused before any request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pytest

from runsapi import InvalidFilterError, UsageError
from runsapi import _export_tables as tables
from runsapi.__main__ import main
from runsapi._export import ExportSummary, export
from runsapi._sync.api import Api
from runsapi._sync.run import Run
from runsapi.server import LocalServer, SeedSpec
from runsapi.server._time import now
from tests.live.conftest import log_history
from tests.support.counting import CountingTransport

PROJECT = "demo/demo-project"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(seed=SeedSpec(runs=6, steps=150, files=2, seed=11)) as running:
        yield running


@pytest.fixture
def api(server: LocalServer) -> Iterator[Api]:
    with Api({"base_url": server.base_url, "entity": "demo"}, api_key=server.api_key) as client:
        yield client


def log_steps(server: LocalServer, run_id: str, rows: list[dict[str, object]]) -> None:
    """Append history rows and heartbeat, as a training process's file stream does."""
    log_history(server, run_id, rows)
    with server.store.write() as conn:
        conn.execute("UPDATE runs SET heartbeat_at = ? WHERE name = ?", (now(), run_id))


def scalar(value: object) -> object:
    """A table cell as a plain value: missing ones (NaN, NA, None) as None."""
    return None if pd.isna(value) else value  # type: ignore[call-overload]


def lake_db(root: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection where `history` and `runs` are the export's datasets."""
    connection = duckdb.connect()
    for dataset in ("history", "runs"):
        connection.execute(
            f"CREATE VIEW {dataset} AS SELECT * FROM read_parquet('{root}/{dataset}/**/*.parquet',"
            " hive_partitioning = true, union_by_name = true)"
        )
    return connection


def sql(query: str, root: Path) -> list[tuple[object, ...]]:
    return lake_db(root).execute(query).fetchall()


def test_export_then_incremental_then_resume(
    server: LocalServer, api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = tmp_path / "lake"
    first = export(PROJECT, lake, api=api, progress=False, rows_per_file=100)
    runs = api.runs(PROJECT, lazy=False)
    listed = list(runs)
    total_rows = sum(run.history_line_count for run in listed)
    assert (first.runs, first.history_rows, first.incremental) == (len(listed), total_rows, False)
    assert first.files == sum(len(list(run.files())) for run in listed)
    check_runs_table(lake, runs.to_pandas())
    check_history(lake, max(listed, key=lambda r: r.history_line_count), total_rows)

    # A new run and new steps of a running one: the next export writes only those.
    running = next(run for run in listed if run.state == "running")
    last = running.history_line_count - 1
    log_steps(
        server, running.id, [{"_step": last + 1, "loss": 0.5}, {"_step": last + 2, "loss": 0.25}]
    )
    created = api.create_run(project="demo-project", config={"lr": 0.1})
    second = export(PROJECT, lake, api=api, progress=False, rows_per_file=100)
    assert second.incremental and second.history_rows == 2
    assert {(running.id,), (created.id,)} <= set(sql("SELECT id FROM runs", lake))
    assert sql("SELECT count(*) FROM history", lake) == [(total_rows + 2,)]
    assert sql("SELECT count(*) FROM runs", lake) == [(len(listed) + 1,)]

    # An export that fails half-way resumes where it stopped: no step twice.
    log_steps(server, running.id, [{"_step": last + 3 + i, "loss": 0.1} for i in range(150)])
    real_part = tables.history_part
    calls = 0

    def fail_on_second_part(rows: list[dict[str, object]], run_dir: Path) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("disk full")
        return real_part(rows, run_dir)

    monkeypatch.setattr(tables, "history_part", fail_on_second_part)
    with pytest.raises(OSError, match="disk full"):
        export(PROJECT, lake, api=api, progress=False, rows_per_file=100)
    monkeypatch.setattr(tables, "history_part", real_part)
    resumed = export(PROJECT, lake, api=api, progress=False, rows_per_file=100)
    assert resumed.history_rows == 50
    repeated = "SELECT run, _step FROM history GROUP BY run, _step HAVING count(*) > 1"
    assert sql(repeated, lake) == []
    assert sql("SELECT count(*) FROM history", lake) == [(total_rows + 152,)]


def check_runs_table(lake: Path, frame: pd.DataFrame) -> None:
    """DuckDB and Polars read the runs table with the values of runsapi's own table."""
    runs_table = lake_db(lake).execute("SELECT * FROM runs").df()
    assert sorted(runs_table["id"]) == sorted(frame["id"])
    assert set(runs_table["project"]) == {"demo-project"}
    for column in [c for c in frame.columns if c.startswith(("config.", "summary."))]:
        if column in runs_table:
            ours = dict(zip(frame["id"], map(scalar, frame[column]), strict=True))
            theirs = dict(zip(runs_table["id"], map(scalar, runs_table[column]), strict=True))
            assert ours == theirs, column
    polars_runs = pl.read_parquet(lake / "runs" / "**" / "*.parquet", hive_partitioning=True)
    assert polars_runs.height == len(frame)


def check_history(lake: Path, run: Run, total_rows: int) -> None:
    """Every row once, in parts of at most rows_per_file rows, with the scanned values."""
    assert sql("SELECT count(*) FROM history", lake) == [(total_rows,)]
    exported = (
        lake_db(lake).execute(f"SELECT * FROM history WHERE run = '{run.id}' ORDER BY _step").df()
    )
    scanned = list(run.scan_history())
    assert list(exported["_step"]) == [row["_step"] for row in scanned]
    assert list(exported["loss"]) == pytest.approx([row["loss"] for row in scanned], nan_ok=True)
    parts = list((tables.partition(lake, "history", "demo", "demo-project")).glob("run=*/*"))
    assert all(pl.read_parquet(part).height <= 100 for part in parts)
    # Parts may hold different keys: Polars stacks them by column name.
    polars_history = pl.concat([pl.read_parquet(part) for part in parts], how="diagonal_relaxed")
    assert polars_history.height == total_rows
    assert sorted(polars_history.columns) == sorted(
        exported.columns.drop(["run", "entity", "project"])
    )


def test_bad_input_is_refused_before_any_request(server: LocalServer, tmp_path: Path) -> None:
    transport = CountingTransport()
    settings = {"base_url": server.base_url, "entity": "demo"}
    with Api(settings, api_key=server.api_key, transport=transport) as api:
        with pytest.raises(UsageError, match="keys must be a list"):
            export(PROJECT, tmp_path, api=api, keys="loss")  # type: ignore[arg-type]
        with pytest.raises(UsageError, match="rows_per_file"):
            export(PROJECT, tmp_path, api=api, rows_per_file=0)
        with pytest.raises(InvalidFilterError):
            export(PROJECT, tmp_path, api=api, filters={"state": {"$near": 1}})
    assert transport.requests == 0


def test_the_command_exports_and_prints_the_summary(
    server: LocalServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WANDB_BASE_URL", server.base_url)
    monkeypatch.setenv("WANDB_API_KEY", server.api_key)
    main(["export", PROJECT, "--to", str(tmp_path), "--keys", "loss", "--no-artifacts"])
    out = capsys.readouterr().out
    assert out.startswith("full export: ") and " history rows, " in out
    assert not (tmp_path / "artifacts").exists() and (tmp_path / "files").is_dir()
    assert sql("SELECT count(*) FROM history WHERE loss IS NULL", tmp_path) == [(0,)]
    main(["export", PROJECT, "--to", str(tmp_path), "--keys", "loss", "--no-artifacts"])
    # Runs changed in the last minute are listed again (clock skew), but no step twice.
    again = capsys.readouterr().out
    assert again.startswith("incremental export: ") and ", 0 history rows, " in again
    with pytest.raises(SystemExit) as exit_info:
        main(["export", PROJECT, "--to", str(tmp_path), "--filters", "{state: finished}"])
    assert exit_info.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("runsapi export: --filters is not JSON")


def test_content_is_downloaded_only_when_asked(api: Api, tmp_path: Path) -> None:
    bare = export(PROJECT, tmp_path / "bare", api=api, history=False, progress=False)
    assert bare.files > 0 and not (tmp_path / "bare" / "content").exists()
    export(PROJECT, tmp_path / "full", api=api, history=False, content=True, progress=False)
    content = tmp_path / "full" / "content"
    run = next(run for run in api.runs(PROJECT) if list(run.files()))
    for file in run.files():
        exported = tables.partition(content, "files", "demo", "demo-project") / f"run={run.id}"
        assert (exported / file.name).read_bytes() == file.download(
            tmp_path / "direct"
        ).read_bytes()
    logged = [a for run in api.runs(PROJECT) for a in run.logged_artifacts()]
    artifacts = tables.partition(content, "artifacts", "demo", "demo-project")
    for artifact in logged:
        names = {entry.name for entry in artifact.files()}
        folder = artifacts / artifact.name.replace(":", "-")
        assert {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} == names


def test_the_summary_says_what_was_written() -> None:
    summary = ExportSummary(3, 1200, 4, 1, 2_500_000, 1.25, incremental=True)
    assert str(summary) == (
        "incremental export: 3 runs, 1200 history rows, 4 files, 1 artifacts, 2.5 MB in 1.2 s"
    )
