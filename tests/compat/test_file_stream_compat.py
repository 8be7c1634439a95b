"""The official SDK (`wandb.init` → `log` → `finish`, streamed by wandb-core) logging to
a LocalServer through its run stream, and runsapi reading the run back.

Console capture stays off: the SDK hands console lines to wandb-core without waiting
(`publish_output_raw(..., nowait=True)`), so the last ones can miss the stream when
`finish()` comes right after them. tests/server/test_file_stream.py covers `output.log`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import wandb

from runsapi import Api
from runsapi.server import LocalServer
from tests.compat.conftest import WANDB_CORE_SOCKET, server_for_the_sdk

PROJECT = "core-logged"
pytestmark = WANDB_CORE_SOCKET


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with server_for_the_sdk(tmp_path_factory) as running:
        yield running


def _log(server: LocalServer, run_id: str, *, steps: int, exit_code: int = 0) -> None:
    settings = wandb.Settings(
        base_url=server.base_url, api_key=server.api_key, x_disable_stats=True, console="off"
    )
    run = wandb.init(
        entity="demo", project=PROJECT, id=run_id, config={"lr": 0.1}, settings=settings
    )
    for step in range(steps):
        run.log({"loss": 1 / (step + 1), "acc": step / 10})
    run.summary["best_acc"] = 0.5
    run.finish(exit_code=exit_code)


def test_history_summary_and_config_arrive(server: LocalServer, ours: Api) -> None:
    _log(server, "corelogged", steps=5)
    run = ours.run(f"demo/{PROJECT}/corelogged")
    assert run.state == "finished"
    rows = list(run.scan_history())
    assert [row["_step"] for row in rows] == [0, 1, 2, 3, 4]
    assert [row["loss"] for row in rows] == [1 / (step + 1) for step in range(5)]
    assert all("_timestamp" in row and "_runtime" in row for row in rows)
    assert run.summary["best_acc"] == 0.5 and run.summary["loss"] == 0.2
    assert run.summary["_step"] == 4
    assert run.config == {"lr": 0.1}


def test_a_failing_exit_code_fails_the_run(server: LocalServer, ours: Api) -> None:
    _log(server, "corefailed", steps=2, exit_code=1)
    run = ours.run(f"demo/{PROJECT}/corefailed")
    assert run.state == "failed" and run.history_line_count == 2
