"""The lakehouse export at scale: rows per second and the exporter's peak memory.

    python scripts/bench_export.py                              # 1,000 runs x 1,000 steps
    python scripts/bench_export.py --runs 10000 --steps 1000    # 10 million history rows

Seeds a project in a LocalServer of its own process (so that the figures are the
exporter's alone), exports it with `runsapi.export`, then logs a tenth as many runs and
exports again (the incremental pass: the new runs only). Prints runs, history rows,
bytes, seconds, rows per second, and the exporter's peak resident memory, which
`rows_per_file` bounds whatever the project's size. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runsapi import Api, export  # noqa: E402
from runsapi._sync._file_stream import finish_run  # noqa: E402
from runsapi.server import LocalServer, SeedSpec  # noqa: E402

PROJECT = "demo/demo-project"


def serve(spec: SeedSpec, db: str, channel: Connection) -> None:
    """Run a seeded LocalServer until told to stop; send its URL and key first."""
    with LocalServer(db, seed=spec) as server:
        channel.send((server.base_url, server.api_key))
        channel.recv()


def grow(api: Api, runs: int, steps: int) -> None:
    """Add finished runs with `steps` history rows each, as a training loop logs them."""
    for index in range(runs):
        run = api.create_run(project="demo-project", config={"lr": 0.001 * (index + 1)})
        rows = [
            {"_step": step, "loss": 1 / (step + 1), "acc": step / steps} for step in range(steps)
        ]
        finish_run(api._session, run.run_path, rows, {"loss": rows[-1]["loss"]}, history_offset=0)


def peak_megabytes() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--rows-per-file", type=int, default=250_000)
    parser.add_argument("--max-workers", type=int, default=4)
    args = parser.parse_args()
    spec = SeedSpec(runs=args.runs, steps=args.steps, events=0, files=1, sweeps=0, reports=0)
    with tempfile.TemporaryDirectory() as tmp:
        ours, theirs = multiprocessing.Pipe()
        started = time.monotonic()
        child = multiprocessing.Process(target=serve, args=(spec, f"{tmp}/bench.db", theirs))
        child.start()
        base_url, api_key = ours.recv()
        print(f"seeded {args.runs} runs x {args.steps} steps in {time.monotonic() - started:.0f} s")
        lake = Path(tmp) / "lake"
        try:
            with Api({"base_url": base_url, "entity": "demo"}, api_key=api_key) as api:
                for label in ("full", "incremental"):
                    if label == "incremental":
                        grow(api, max(args.runs // 10, 1), args.steps)
                    summary = export(
                        PROJECT,
                        lake,
                        api=api,
                        rows_per_file=args.rows_per_file,
                        max_workers=args.max_workers,
                        progress=False,
                    )
                    rate = summary.history_rows / max(summary.seconds, 1e-9)
                    print(
                        f"{label:>11}: {summary.runs} runs, {summary.history_rows} rows, "
                        f"{summary.bytes / 1e6:.0f} MB in {summary.seconds:.1f} s, "
                        f"{rate:,.0f} rows/s; peak memory {peak_megabytes():.0f} MB"
                    )
        finally:
            ours.send("stop")
            child.join()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
