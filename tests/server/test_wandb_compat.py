"""The official `wandb` client (0.31.0) reads runs, config, summary and history from the server.

`wandb` is in the `test` extra.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runsapi.server import LocalServer

# wandb.Api talks to its wandb-core process over a unix socket in the temp directory.
pytestmark = pytest.mark.block_network(
    allowed_hosts=["127.0.0.1", "localhost", re.escape(tempfile.gettempdir()) + "/wandb-"]
)


@pytest.fixture
def wandb_api(
    seeded: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    # Keep wandb away from the real home directory and from any remote service.
    for name, value in {
        "HOME": tmp_path,
        "WANDB_CONFIG_DIR": tmp_path / "config",
        "WANDB_CACHE_DIR": tmp_path / "cache",
        "WANDB_DATA_DIR": tmp_path / "data",
        "WANDB_DIR": tmp_path / "dir",
        "WANDB_SILENT": "true",
        "WANDB_ERROR_REPORTING": "false",
        "WANDB_BASE_URL": seeded.base_url,
    }.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    import wandb  # noqa: PLC0415 (after the environment above is set)

    yield wandb.Api(api_key=seeded.api_key, overrides={"base_url": seeded.base_url}, timeout=60)
    wandb.teardown()


def _database_runs(seeded: LocalServer) -> dict[str, tuple[str, str, str]]:
    assert seeded.seeded is not None
    rows = seeded.store.connection().execute(
        "SELECT name, config, summary, id FROM runs WHERE project_id = ? ORDER BY created_at",
        (seeded.seeded.project_id,),
    )
    return {name: (config, summary, str(row_id)) for name, config, summary, row_id in rows}


def _same(a: Any, b: Any) -> bool:
    """Equal, with NaN equal to NaN and wandb's dict-like summary views as dicts."""
    if hasattr(a, "items"):
        a = dict(a.items())
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def test_official_client_lists_runs_and_reads_them(seeded: LocalServer, wandb_api: Any) -> None:
    expected = _database_runs(seeded)
    runs = wandb_api.runs("demo/demo-project", per_page=7)
    assert len(runs) == len(expected)
    listed = list(runs)
    assert [run.id for run in listed] == list(expected)  # default order: +created_at
    for run in listed[:4]:
        config, summary, _ = expected[run.id]
        assert run.config == {k: v["value"] for k, v in json.loads(config).items() if k != "_wandb"}
        assert _same(dict(run.summary), json.loads(summary))
    finished = wandb_api.runs(
        "demo/demo-project", filters={"state": "finished"}, order="-summary_metrics.acc"
    )
    accs = [run.summary["acc"] for run in finished]
    assert accs == sorted(accs, reverse=True) and all(run.state == "finished" for run in finished)


def test_official_client_reads_sampled_and_scanned_history(
    seeded: LocalServer, wandb_api: Any
) -> None:
    assert seeded.seeded is not None
    name = seeded.seeded.run_names[0]
    run = wandb_api.run(f"demo/demo-project/{name}")
    rows = run.history(keys=["acc"], samples=10, pandas=False)
    assert len(rows) == 10 and rows[0]["_step"] == 0 and rows[-1]["_step"] == 299
    assert all(set(row) == {"_step", "acc"} for row in rows)
    stored = {
        step: json.loads(text)
        for step, text in seeded.store.connection().execute(
            "SELECT step, row FROM history WHERE run_id = (SELECT id FROM runs WHERE name = ?)",
            (name,),
        )
    }
    assert all(stored[row["_step"]]["acc"] == row["acc"] for row in rows)
    assert run.lastHistoryStep == 299
    # A run that is over is read from its parquet export, with rows that lack the key too.
    sparse = [row for row in run.scan_history(keys=["eval/loss"]) if row["eval/loss"] is not None]
    assert [row["_step"] for row in sparse] == [0, 100, 200]
    assert [file.name for file in run.files()] == [
        "wandb-metadata.json",
        "config.yaml",
        "output.log",
    ]
