"""What an event loop buys a service: one AsyncApi answering many requests at once.

    python scripts/bench_async.py                        # 0 and 50 ms, 32 runs, 8 rounds
    python scripts/bench_async.py --latencies 50 --runs 64

A service that loads N runs for N concurrent users: the sync `Api` one after the other
(what a handler that blocks does), and `AsyncApi` with `asyncio.gather` on one event loop
(no threads). Also one `runs.histories(...)` of the whole project in each layer, which
both run concurrently inside (threads in sync, tasks in async). Prints the median
wall-clock time of each over the rounds, per server latency (the local server's
distance knob). Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runsapi import Api, AsyncApi  # noqa: E402
from runsapi.server import LocalServer, SeedSpec  # noqa: E402

PROJECT = "demo/demo-project"


def median_seconds(work: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(server: LocalServer, run_ids: list[str], rounds: int) -> dict[str, float]:
    settings = {"base_url": server.base_url, "entity": "demo"}
    paths = [f"{PROJECT}/{run_id}" for run_id in run_ids]
    figures: dict[str, float] = {}
    with Api(settings, api_key=server.api_key) as api:
        figures["sync: runs one after the other"] = median_seconds(
            lambda: [api.run(path) for path in paths], rounds
        )
        figures["sync: runs.histories (threads)"] = median_seconds(
            lambda: api.runs(PROJECT).histories(samples=100, keys=["loss"]), rounds
        )

    async def gathered() -> None:
        async with AsyncApi(settings, api_key=server.api_key) as api:
            times, history_times = [], []
            for _ in range(rounds):
                started = time.perf_counter()
                await asyncio.gather(*(api.run(path) for path in paths))
                times.append(time.perf_counter() - started)
                started = time.perf_counter()
                await api.runs(PROJECT).histories(samples=100, keys=["loss"])
                history_times.append(time.perf_counter() - started)
        figures["async: runs gathered (one loop)"] = statistics.median(times)
        figures["async: runs.histories (tasks)"] = statistics.median(history_times)

    asyncio.run(gathered())
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latencies", type=float, nargs="+", default=[0, 50])
    parser.add_argument("--runs", type=int, default=32, help="runs in the project")
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    seed = SeedSpec(runs=args.runs, steps=200, seed=3)
    for latency in args.latencies:
        with LocalServer(seed=seed, latency_ms=latency) as server:
            assert server.seeded is not None
            figures = measure(server, server.seeded.run_names, args.rounds)
        print(f"\nserver latency {latency:g} ms, {args.runs} runs, median of {args.rounds}:")
        for name, seconds in figures.items():
            print(f"  {name:<36} {seconds * 1000:9.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
