"""The official client's parquet history (`download_history_exports`, `beta_scan_history`
and `scan_history` through wandb-core and its parquet reader) and runsapi's, on the same
LocalServer: the same files and the same rows."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from wandb.apis.public import runhistory

from runsapi import Api, IncompleteRunHistoryError, Run
from runsapi.server import LocalServer, SeedSpec, append_history
from runsapi.server import _history_exports as server_exports
from tests.compat.conftest import server_for_the_official_client

PROJECT = "demo/demo-project"
SEED = SeedSpec(runs=8, steps=400, events=2, files=1, artifacts=False, seed=31)
FINISHED = {"finished", "crashed", "failed", "killed"}
_ids = itertools.count()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with server_for_the_official_client(tmp_path_factory.mktemp("wandb-home"), SEED) as running:
        yield running


def logged_run(ours: Api, server: LocalServer, *, state: str) -> Run:
    """A run of typed columns only (numbers, booleans, strings, sparse keys), in `state`."""
    run = ours.create_run(run_id=f"pq{next(_ids):04d}", project="demo-project")
    rows = [
        {
            "_step": step,
            "loss": math.nan if step % 11 == 3 else 1 / (step + 1),
            "acc": step // 50,
            **({"best": step % 4 == 0, "phase": f"p{step % 3}"} if step % 2 == 0 else {}),
            **({"eval/loss": 0.5, "grad_norm": math.inf} if step % 97 == 0 else {}),
        }
        for step in range(600)
    ]
    with server.store.write() as conn:
        conn.execute("UPDATE runs SET state = ? WHERE name = ?", (state, run.id))
        (row,) = conn.execute("SELECT id FROM runs WHERE name = ?", (run.id,)).fetchone()
        append_history(conn, row, rows)
    return ours.run(run.path_str)


def their_rows(rows: Any, keys: list[str] | None) -> list[dict[str, Any]]:
    """wandb-core's parquet rows as history pages give them: it returns a key a row lacks
    as None, and with keys, keeps rows that lack some."""
    return [
        {key: value for key, value in row.items() if value is not None}
        for row in rows
        if keys is None or all(row.get(key) is not None for key in keys)
    ]


def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal rows, NaN equal to NaN (wandb-core also turns whole floats into integers)."""
    return a.keys() == b.keys() and all(
        (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y))
        or x == y
        for x, y in ((a[key], b[key]) for key in a)
    )


def runs_to_compare(ours: Api, server: LocalServer) -> list[Run]:
    seeded = [run for run in ours.runs(PROJECT) if run.state in FINISHED][:3]
    return [*seeded, logged_run(ours, server, state="finished")]


def test_downloads_agree(official: Any, ours: Api, server: LocalServer, tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:  # several files for the logged run
        patch.setattr(server_exports, "HISTORY_EXPORT_PART_BYTES", 8_000)
        runs = runs_to_compare(ours, server)
        for run in runs:
            mine = run.download_history_exports(tmp_path / "ours" / run.id)
            theirs = official.run(run.path_str).download_history_exports(
                tmp_path / "theirs" / run.id
            )
            theirs_paths = sorted(theirs.paths, key=lambda path: path.name)  # as they finished
            assert [path.name for path in mine.paths] == [path.name for path in theirs_paths]
            assert [path.read_bytes() for path in mine.paths] == [
                path.read_bytes() for path in theirs_paths
            ]
            assert mine.contains_live_data is theirs.contains_live_data is False
            assert theirs.errors == {} == mine.errors
    assert len(mine.paths) > 1


def test_incomplete_history_agrees(
    official: Any, ours: Api, server: LocalServer, tmp_path: Path
) -> None:
    run = logged_run(ours, server, state="running")
    with pytest.raises(runhistory.IncompleteRunHistoryError):
        official.run(run.path_str).download_history_exports(tmp_path)
    with pytest.raises(IncompleteRunHistoryError):
        run.download_history_exports(tmp_path)
    theirs = official.run(run.path_str).download_history_exports(
        tmp_path, require_complete_history=False
    )
    mine = run.download_history_exports(tmp_path, require_complete_history=False)
    assert mine.paths == theirs.paths == [] and mine.contains_live_data is theirs.contains_live_data


@pytest.mark.parametrize(
    "keys", [None, ["loss"], ["loss", "acc"], ["eval/loss", "grad_norm"], ["best", "phase"]]
)
def test_parquet_scans_agree(
    official: Any, ours: Api, server: LocalServer, keys: list[str] | None
) -> None:
    compared = 0
    for run in runs_to_compare(ours, server):
        other = official.run(run.path_str)
        for use_cache in (True, False):
            theirs = their_rows(other.beta_scan_history(keys=keys, use_cache=use_cache), keys)
            mine = list(run.beta_scan_history(keys=keys, use_cache=use_cache))
            assert len(mine) == len(theirs), run.id
            assert all(same(a, b) for a, b in zip(mine, theirs, strict=True))
            compared += len(mine)
        theirs = their_rows(other.scan_history(keys=keys, min_step=120, max_step=310), keys)
        mine = list(run.scan_history(keys=keys, min_step=120, max_step=310))
        assert len(mine) == len(theirs)
        assert all(same(a, b) for a, b in zip(mine, theirs, strict=True))
    assert compared > 0
