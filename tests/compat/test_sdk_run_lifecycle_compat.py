"""A run's whole life through the official SDK (`wandb.init` -> `log` -> `save` ->
`finish`, streamed and uploaded by wandb-core) against a LocalServer, read back by runsapi
and by the official public API: every value of a long history, run files, system
metrics, resume appending after the last step, a killed process leaving a crashed run,
and artifacts logged and used by SDK runs linked to both.

Console capture stays off where output is not the point: the SDK hands console lines to
wandb-core without waiting, so the last ones can miss the stream when `finish()` follows.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import wandb

from runsapi import Api
from runsapi.server import LocalServer
from tests.compat.conftest import WANDB_CORE_SOCKET, official_api, server_for_the_sdk

PROJECT = "sdk-lifecycle"
pytestmark = WANDB_CORE_SOCKET


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with server_for_the_sdk(tmp_path_factory) as running:
        yield running


def _init(server: LocalServer, run_id: str, **options: Any) -> wandb.Run:
    settings = wandb.Settings(
        base_url=server.base_url,
        api_key=server.api_key,
        x_disable_stats=options.pop("x_disable_stats", True),
        console=options.pop("console", "off"),
        **options.pop("settings", {}),
    )
    return wandb.init(entity="demo", project=PROJECT, id=run_id, settings=settings, **options)


def _rows(steps: int) -> list[dict[str, Any]]:
    """Rows of 20 keys: floats over their whole range, ints, a string, a bool, a nested
    dict (what JSON carries; the SDK adds `_step`, `_runtime` and `_timestamp`)."""
    rng = random.Random(21)
    rows = []
    for step in range(steps):
        row: dict[str, Any] = {f"metric/{index}": rng.uniform(-1e6, 1e6) for index in range(14)}
        row.update(
            {
                "tiny": rng.random() * 1e-300,
                "epoch": step // 1000,
                "big_int": rng.randint(-(2**53), 2**53),
                "phase": rng.choice(["train", "eval", "ünïcode ✓"]),
                "improved": rng.random() < 0.5,
                "nested": {"lr": 1 / (step + 1), "layer": {"norm": rng.random()}},
            }
        )
        rows.append(row)
    return rows


def test_ten_thousand_steps_of_twenty_keys_read_back_identically(
    server: LocalServer, ours: Api
) -> None:
    rows = _rows(10_000)
    run = _init(server, "longrun")
    for row in rows:
        run.log(row)
    run.finish()

    read = ours.run(f"demo/{PROJECT}/longrun")
    assert (read.state, read.history_line_count) == ("finished", 10_000)
    scanned = list(read.scan_history(page_size=5_000))
    assert [row["_step"] for row in scanned] == list(range(10_000))
    assert all(isinstance(row.pop("_runtime"), (int, float)) for row in scanned)
    assert all(isinstance(row.pop("_timestamp"), float) for row in scanned)
    assert [{k: v for k, v in row.items() if k != "_step"} for row in scanned] == rows
    assert read.summary["metric/3"] == rows[-1]["metric/3"] and read.summary["_step"] == 9_999


def test_run_files_the_sdk_uploads_are_readable(
    server: LocalServer, ours: Api, tmp_path: Path
) -> None:
    saved = tmp_path / "notes" / "hyper.txt"
    saved.parent.mkdir()
    saved.write_text("lr=0.1\nbatch=32\n")
    run = _init(server, "fileful", config={"lr": 0.1, "batch": 32})
    run.save(str(saved), base_path=str(tmp_path), policy="now")
    pixels = [[[x * 16, y * 16, 128] for x in range(16)] for y in range(16)]
    run.log({"sample": wandb.Image(np.array(pixels, dtype=np.uint8), caption="a gradient")})
    run.finish()

    read = ours.run(f"demo/{PROJECT}/fileful")
    names = {file.name for file in read.files()}
    expected = {"wandb-metadata.json", "config.yaml", "requirements.txt", "wandb-summary.json"}
    assert expected | {"notes/hyper.txt"} <= names
    (image_name,) = (name for name in names if name.startswith("media/images/sample_"))
    assert read.file("notes/hyper.txt").download(tmp_path / "ours").read_text() == (
        "lr=0.1\nbatch=32\n"
    )
    config_yaml = read.file("config.yaml").download(tmp_path / "ours").read_text()
    assert "lr:" in config_yaml and "value: 0.1" in config_yaml
    metadata = json.loads(read.file("wandb-metadata.json").download(tmp_path / "ours").read_text())
    assert metadata["python"].endswith(".".join(map(str, sys.version_info[:3])))
    summary = json.loads(read.file("wandb-summary.json").download(tmp_path / "ours").read_text())
    assert summary["sample"]["path"] == image_name
    image = read.file(image_name).download(tmp_path / "ours").read_bytes()
    assert image.startswith(b"\x89PNG")

    official = official_api(server).run(f"demo/{PROJECT}/fileful")
    assert {file.name for file in official.files()} == names
    root = tmp_path / "official"
    official.file("notes/hyper.txt").download(root=str(root))
    assert (root / "notes" / "hyper.txt").read_text() == "lr=0.1\nbatch=32\n"
    official.file(image_name).download(root=str(root))
    assert (root / image_name).read_bytes() == image


def test_system_metrics_read_back(server: LocalServer, ours: Api) -> None:
    run = _init(
        server, "monitored", x_disable_stats=False, settings={"x_stats_sampling_interval": 0.1}
    )
    run.log({"loss": 1.0})
    time.sleep(1.5)  # a few samples of the system monitor
    run.finish()

    read = ours.run(f"demo/{PROJECT}/monitored")
    system = read.history(stream="system", pandas=False)
    assert system, "no system metrics arrived"
    assert all("_runtime" in row and any(k.startswith("system.") for k in row) for row in system)
    assert any("system.memory_percent" in row for row in system)
    # `system_metrics`: the latest value of each key
    metrics = read.system_metrics
    latest = {k: v for row in system for k, v in row.items() if k != "_wandb"}
    assert metrics == latest

    official = official_api(server).run(f"demo/{PROJECT}/monitored")
    assert official.history(stream="system", pandas=False) == system
    assert official.system_metrics == metrics


def test_resume_appends_history_after_the_last_step(server: LocalServer, ours: Api) -> None:
    first = _init(server, "resumed", config={"lr": 0.1})
    for step in range(5):
        first.log({"loss": 1 / (step + 1)})
    first.summary["best"] = 1.0
    first.finish()

    again = _init(server, "resumed", resume="allow")
    assert again.starting_step == 5 and again.config["lr"] == 0.1
    for step in range(5, 8):
        again.log({"loss": 1 / (step + 1)})
    again.finish()

    read = ours.run(f"demo/{PROJECT}/resumed")
    assert (read.state, read.history_line_count) == ("finished", 8)
    history = list(read.scan_history(keys=["loss"]))
    assert [row["loss"] for row in history] == [1 / (step + 1) for step in range(8)]
    assert [row["_step"] for row in read.scan_history()] == list(range(8))
    assert read.summary["best"] == 1.0 and read.summary["_step"] == 7
    assert read.config == {"lr": 0.1}
    official = official_api(server).run(f"demo/{PROJECT}/resumed")
    assert [row["loss"] for row in official.scan_history(keys=["loss"])] == [
        row["loss"] for row in history
    ]


def test_artifacts_logged_and_used_by_sdk_runs_link_to_both(
    server: LocalServer, ours: Api, tmp_path: Path
) -> None:
    (tmp_path / "weights.bin").write_bytes(bytes(range(256)) * 8)
    producer = _init(server, "producer")
    artifact = wandb.Artifact("lifecycle-model", type="model")
    artifact.add_file(str(tmp_path / "weights.bin"))
    producer.log_artifact(artifact)
    producer.finish()
    consumer = _init(server, "consumer")
    consumer.use_artifact(f"demo/{PROJECT}/lifecycle-model:latest")
    consumer.finish()

    for client in (ours, official_api(server)):
        logged = client.run(f"demo/{PROJECT}/producer").logged_artifacts()
        used = client.run(f"demo/{PROJECT}/consumer").used_artifacts()
        assert [a.name for a in logged] == [a.name for a in used] == ["lifecycle-model:v0"]
    found = ours.artifact(f"demo/{PROJECT}/lifecycle-model:v0")
    creator = found.logged_by()
    assert creator is not None and creator.id == "producer"
    assert [run.id for run in found.used_by()] == ["consumer"]


_TRAINING = textwrap.dedent(
    """
    import time, wandb
    run = wandb.init(entity="demo", project="{project}", id="killed",
                     settings=wandb.Settings(x_disable_stats=True, console="off"))
    for step in range(3):
        run.log({{"loss": 1 / (step + 1)}})
    print("logged", flush=True)
    time.sleep(600)  # killed before it ends
    """
)


def test_a_killed_training_process_leaves_a_crashed_run(tmp_path: Path) -> None:
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("WANDB_")},
        "HOME": str(tmp_path),
        "WANDB_DIR": str(tmp_path),
        "WANDB_CONFIG_DIR": str(tmp_path / "config"),
        "WANDB_CACHE_DIR": str(tmp_path / "cache"),
        "WANDB_DATA_DIR": str(tmp_path / "data"),
        "WANDB_SILENT": "true",
        "WANDB_ERROR_REPORTING": "false",
    }
    with LocalServer(heartbeat_timeout=3) as server:
        env.update({"WANDB_BASE_URL": server.base_url, "WANDB_API_KEY": server.api_key})
        child = subprocess.Popen(
            [sys.executable, "-c", _TRAINING.format(project=PROJECT)],
            env=env,
            stdout=subprocess.PIPE,
            start_new_session=True,  # its wandb-core service in its group, to clean up
        )
        try:
            assert child.stdout is not None and child.stdout.readline() == b"logged\n"
            # Streaming: its first POST arrived (wandb-core sends one as the run starts).
            _wait_until(lambda: _watched(server))
            with Api({"base_url": server.base_url}, api_key=server.api_key) as api:
                path = f"demo/{PROJECT}/killed"
                assert api.run(path).state == "running"
                os.kill(child.pid, signal.SIGKILL)  # the training process only, as kill -9
                child.wait()
                _wait_until(lambda: api.run(path).state != "running")
                assert api.run(path).state == "crashed"
                assert official_api(server).run(path).state == "crashed"
        finally:
            _end_group(child)


def _watched(server: LocalServer) -> bool:
    """Whether the server watches the run's heartbeat: its process has streamed to it."""
    row = server.store.connection().execute("SELECT watched FROM runs WHERE name = 'killed'")
    found = row.fetchone()
    return found is not None and found[0] == 1


def _wait_until(condition: Any) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _end_group(child: subprocess.Popen[bytes]) -> None:
    """Kill what is left of the child's process group (its wandb-core service)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()
