"""Benchmark the history calls against a seeded LocalServer, next to a raw httpx floor.

    python scripts/bench_history.py                  # 200 runs x 10,000 steps; 1 run x 1,000,000
    python scripts/bench_history.py --runs 20 --steps 1000 --long-steps 100000   # quick

For each workload it prints wall time, rows, rows per second and requests for runsapi,
then the same requests replayed by a bare httpx loop (no parsing beyond JSON, no
models): the floor that any client of this server pays. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runsapi import Api, Run  # noqa: E402
from runsapi.server import LocalServer, SeedSpec, seed_project  # noqa: E402


class Recorder(httpx.BaseTransport):
    """Passes requests through and keeps their bodies, to replay them raw."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.bodies: list[bytes] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.read())
        return self.inner.handle_request(request)


@dataclass
class Figures:
    seconds: float
    rows: int
    requests: int

    def line(self, label: str) -> str:
        rate = self.rows / self.seconds if self.seconds else float("inf")
        return (
            f"{label:<44} {self.seconds:8.3f} s {self.rows:>10,} rows "
            f"{rate:>12,.0f} rows/s {self.requests:>6} req"
        )


def raw_replay(server: LocalServer, bodies: list[bytes]) -> float:
    """Send the same GraphQL bodies with plain httpx and decode the JSON: the floor."""
    with httpx.Client(auth=("api", server.api_key), timeout=600) as client:
        started = time.perf_counter()
        for body in bodies:
            response = client.post(
                server.graphql_url, content=body, headers={"Content-Type": "application/json"}
            )
            json.loads(response.content)
        return time.perf_counter() - started


def measure(server: LocalServer, work: Callable[[Api], int]) -> tuple[Figures, Figures]:
    recorder = Recorder()
    with Api(
        {"base_url": server.base_url}, api_key=server.api_key, transport=recorder, timeout=600
    ) as api:
        started = time.perf_counter()
        rows = work(api)
        seconds = time.perf_counter() - started
    ours = Figures(seconds, rows, len(recorder.bodies))
    floor = Figures(raw_replay(server, recorder.bodies), rows, len(recorder.bodies))
    return ours, floor


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--long-steps", type=int, default=1_000_000)
    args = parser.parse_args()

    with LocalServer() as server:
        started = time.perf_counter()
        seed_project(
            server.store,
            SeedSpec(project="many", runs=args.runs, steps=args.steps, events=10, files=1),
        )
        seed_project(
            server.store,
            SeedSpec(project="long", runs=1, steps=args.long_steps, events=10, files=1, seed=1),
        )
        seconds = time.perf_counter() - started
        print(
            f"seeded {args.runs} x {args.steps:,} + 1 x {args.long_steps:,} steps"
            f" in {seconds:.1f} s\n"
        )

        def long_run(api: Api) -> Run:
            return api.runs("demo/long")[0]

        workloads: list[tuple[str, Callable[[Api], int]]] = [
            (
                "history(samples=500, keys=[loss]) x 20 runs",
                lambda api: sum(
                    len(run.history(samples=500, keys=["loss"], pandas=False))
                    for run in api.runs("demo/many", limit=20)
                ),
            ),
            (
                "scan_history() of the long run",
                lambda api: sum(1 for _ in long_run(api).scan_history()),
            ),
            (
                "scan_history(keys=[loss]) (dense)",
                lambda api: sum(1 for _ in long_run(api).scan_history(keys=["loss"])),
            ),
            (
                "scan_history(keys=[rare]) (every 1000 steps)",
                lambda api: sum(1 for _ in long_run(api).scan_history(keys=["rare"])),
            ),
            (
                f"histories(samples=500, keys=[loss, acc]) x {args.runs}",
                lambda api: len(api.runs("demo/many").histories(samples=500, keys=["loss", "acc"])),
            ),
        ]
        for label, work in workloads:
            ours, floor = measure(server, work)
            print(ours.line(f"runsapi  {label}"))
            print(floor.line("raw httpx (same requests)"))
            print(f"{'':<44} runsapi / raw = {ours.seconds / floor.seconds:.2f}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
