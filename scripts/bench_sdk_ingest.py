"""How fast the local server ingests what the official wandb SDK logs, on loopback.

    python scripts/bench_sdk_ingest.py                      # 20,000 steps x 20 keys; 1 run, then 8
    python scripts/bench_sdk_ingest.py --steps 2000 --runs 2   # to try it out
    python scripts/bench_sdk_ingest.py --indexed 8   # with 8 summary keys indexed first

Starts a server on 127.0.0.1 (a fresh database in a temporary directory), then runs one
training process, and then `--runs` at once, each `wandb.init` -> `log` x steps (`--keys`
float metrics a step) -> `finish` in its own Python process, as training jobs would.
Prints, for each phase:

- server ingest: history rows stored per second of the server handling run-stream POSTs
  (the union of the intervals its file_stream requests were in flight, parsing and
  committing included): what the server sustains, whatever the SDK's pace; and per
  CPU-second the server process used over the phase (every request it served, GraphQL
  and uploads too), which stays meaningful when the training processes and the server
  share too few cores;
- end to end: steps per second from the processes' start to their last `finish()`
  returning (Python and wandb-core start-up, logging and upload included), what a user
  waits for;
- each process's own split: init, the logging loop, finish.

wandb-core batches the stream (a POST every 15 s, or at ~10 MiB, and at finish), so most
rows arrive in a few large POSTs. Every run's history is checked complete afterwards.
With `--indexed N`, the first N logged metrics get the indexes that filtering and ordering
runs by them create (a key index each, and a walk index of `+created_at` and each), which
every summary update then keeps up to date. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runsapi.server._accounts import ensure_user  # noqa: E402
from runsapi.server._app import create_app  # noqa: E402
from runsapi.server._constants import DEFAULT_USERNAME, HOST  # noqa: E402
from runsapi.server._filters import compile_filters  # noqa: E402
from runsapi.server._json_indexes import ensure, walk_index  # noqa: E402
from runsapi.server._store import Store  # noqa: E402

PROJECT = "bench-sdk"
TRAINING = textwrap.dedent(
    """
    import json, random, sys, time
    started = time.perf_counter()
    import wandb
    project, run_id, steps, keys = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    settings = wandb.Settings(x_disable_stats=True, console="off", disable_git=True)
    run = wandb.init(project=project, id=run_id, settings=settings)
    initialized = time.perf_counter()
    rng = random.Random(run_id)
    names = [f"metric/{index}" for index in range(keys)]
    for step in range(steps):
        run.log({name: rng.random() for name in names})
    logged = time.perf_counter()
    run.finish()
    finished = time.perf_counter()
    print(json.dumps({"init": initialized - started, "log": logged - initialized,
                      "finish": finished - logged}))
    """
)


class StreamTimer:
    """ASGI middleware recording when each file_stream POST was in flight."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.intervals: list[tuple[float, float]] = []
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/file_stream"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            with self._lock:
                self.intervals.append((started, time.perf_counter()))

    def busy_seconds(self) -> float:
        """The union of the recorded intervals (concurrent POSTs counted once); reset."""
        with self._lock:
            intervals, self.intervals = sorted(self.intervals), []
        busy, end = 0.0, float("-inf")
        for start, stop in intervals:
            if stop > end:
                busy += stop - max(start, end)
                end = stop
        return busy


def _serve(db: Path) -> tuple[str, str, StreamTimer, uvicorn.Server, threading.Thread]:
    app = create_app(db)
    with app.state.runsapi.store.write() as conn:
        key = ensure_user(conn, DEFAULT_USERNAME)
    timer = StreamTimer(app)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind((HOST, 0))
    server = uvicorn.Server(uvicorn.Config(timer, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return f"http://{HOST}:{sock.getsockname()[1]}", key, timer, server, thread


def _index_metrics(db: Path, count: int) -> None:
    """The indexes that filters and orders on the first `count` metrics create."""
    store = Store(db)
    try:
        for index in range(count):
            condition = compile_filters({f"summary_metrics.metric/{index}": {"$gt": 0.5}}).condition
            ensure(store, [condition])
            walk_index(store, "runs.created_at", condition)
    finally:
        store.close()


def _environment(base_url: str, key: str, scratch: Path) -> dict[str, str]:
    kept = {name: value for name, value in os.environ.items() if not name.startswith("WANDB_")}
    return {
        **kept,
        "WANDB_BASE_URL": base_url,
        "WANDB_API_KEY": key,
        "WANDB_ENTITY": DEFAULT_USERNAME,
        "WANDB_MODE": "online",
        "WANDB_DIR": str(scratch),
        "WANDB_CONFIG_DIR": str(scratch / "config"),
        "WANDB_CACHE_DIR": str(scratch / "cache"),
        "WANDB_DATA_DIR": str(scratch / "data"),
        "WANDB_SILENT": "true",
        "WANDB_ERROR_REPORTING": "false",
    }


def _phase(
    runs: int, steps: int, keys: int, env: dict[str, str], timer: StreamTimer, db: Path
) -> dict[str, Any]:
    run_ids = [f"bench-{runs}-{index}-{time.time_ns() % 10**6}" for index in range(runs)]
    timer.busy_seconds()  # forget earlier requests
    started = time.perf_counter()
    cpu = time.process_time()  # this process: the server (and this loop, waiting)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", TRAINING, PROJECT, run_id, str(steps), str(keys)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for run_id in run_ids
    ]
    splits = []
    for process in processes:
        out, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"a training process failed:\n{err}")
        splits.append(json.loads(out.strip().splitlines()[-1]))
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    busy = timer.busy_seconds()
    import sqlite3  # noqa: PLC0415 (only here: a read of the result)

    with sqlite3.connect(db) as conn:
        marks = ",".join("?" * runs)
        stored = conn.execute(
            f"SELECT name, history_line_count, state FROM runs WHERE name IN ({marks})", run_ids
        ).fetchall()
    if sorted((count, state) for _, count, state in stored) != [(steps, "finished")] * runs:
        raise SystemExit(f"incomplete histories: {stored}")
    return {"wall": wall, "busy": busy, "cpu": cpu, "splits": splits, "rows": runs * steps}


def _report(runs: int, steps: int, keys: int, phase: dict[str, Any]) -> None:
    rows, wall, busy = phase["rows"], phase["wall"], phase["busy"]

    def mean(name: str) -> float:
        return sum(split[name] for split in phase["splits"]) / len(phase["splits"])

    print(
        f"{runs} run(s) x {steps:,} steps x {keys} keys ({rows:,} rows):"
        f"\n  server ingest: {rows / busy:,.0f} steps/s ({busy:.2f} s handling file_stream POSTs);"
        f" {rows / phase['cpu']:,.0f} steps per server CPU-second ({phase['cpu']:.2f} s)"
        f"\n  end to end:    {rows / wall:,.0f} steps/s ({wall:.1f} s from start to last finish)"
        f"\n  per process:   init {mean('init'):.1f} s, logging {mean('log'):.1f} s"
        f" ({steps / mean('log'):,.0f} steps/s), finish {mean('finish'):.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20_000, help="steps per run (%(default)s)")
    parser.add_argument("--runs", type=int, default=8, help="concurrent runs (%(default)s)")
    parser.add_argument("--keys", type=int, default=20, help="metrics per step (%(default)s)")
    parser.add_argument("--indexed", type=int, default=0, help="metrics indexed (%(default)s)")
    args = parser.parse_args()
    if not (0 < args.steps <= 1_000_000 and 0 < args.runs <= 64 and 0 < args.keys <= 1_000):
        parser.error("bounds: 1..1,000,000 steps, 1..64 runs, 1..1,000 keys")
    with tempfile.TemporaryDirectory(prefix="runsapi-bench-sdk-") as scratch:
        db = Path(scratch) / "bench.db"
        base_url, key, timer, server, thread = _serve(db)
        _index_metrics(db, args.indexed)
        env = _environment(base_url, key, Path(scratch))
        try:
            print(
                f"wandb SDK -> runsapi server at {base_url} (loopback, {os.cpu_count()} CPUs,"
                f" {args.indexed} metrics indexed)"
            )
            for runs in dict.fromkeys((1, args.runs)):
                phase = _phase(runs, args.steps, args.keys, env, timer, db)
                _report(runs, args.steps, args.keys, phase)
        finally:
            server.should_exit = True
            thread.join()


if __name__ == "__main__":
    main()
