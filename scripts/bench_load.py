"""A bounded load test on loopback: client threads against one LocalServer.

    python scripts/bench_load.py                         # 8 threads for 20 s
    python scripts/bench_load.py --threads 16 --seconds 5

Seeds a project, then N threads share one `Api` (the client is meant to be shared) and
loop for T seconds over a mix of calls: a page of runs, a full run, a sampled history,
a short scan, and a summary update that writes the thread's own key with an increasing
counter. Prints calls and HTTP requests per second, p50/p99 latency per kind of call,
and errors by type. Then checks the database: SQLite's integrity check, the seeded runs
and history rows all still there, and every thread's last written summary value stored
(a lost update would show here). Figures, not assertions; exits 1 if the check fails.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runsapi import Api, RunsApiError  # noqa: E402
from runsapi.server import LocalServer, SeedSpec  # noqa: E402

PROJECT = "demo/demo-project"


class CountingTransport(httpx.HTTPTransport):
    """Counts HTTP requests from every thread."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests += 1
        return super().handle_request(request)


class Load:
    """What the threads did: latencies per kind of call, errors, last summary writes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.written: dict[tuple[str, str], int] = {}  # (run id, key) -> last value

    def timed(self, kind: str, call: Callable[[], object]) -> None:
        started = time.perf_counter()
        try:
            call()
        except RunsApiError as error:
            with self.lock:
                self.errors[f"{kind}: {type(error).__name__}"] += 1
            return
        with self.lock:
            self.latencies[kind].append(time.perf_counter() - started)


def worker(api: Api, run_ids: list[str], index: int, deadline: float, load: Load) -> None:
    key = f"load/thread-{index}"
    counter = 0
    while time.monotonic() < deadline:
        run_id = run_ids[(index + counter) % len(run_ids)]
        path = f"{PROJECT}/{run_id}"
        load.timed("page of 50 runs", lambda: api.runs(PROJECT, per_page=50)[0])
        load.timed("full run", lambda: api.run(path).summary.get("loss"))  # noqa: B023
        run = api.run(path)
        load.timed(
            "history(samples=200)",
            lambda: run.history(samples=200, keys=["loss"], pandas=False),  # noqa: B023
        )
        load.timed(
            "scan of 500 steps",
            lambda: sum(1 for _ in run.scan_history(keys=["loss"], max_step=500)),  # noqa: B023
        )
        counter += 1
        value = counter

        def update() -> None:
            run.summary.update({key: value})  # noqa: B023
            with load.lock:
                load.written[(run.id, key)] = value  # noqa: B023

        load.timed("summary update", update)


def check_database(server: LocalServer, spec: SeedSpec, load: Load) -> list[str]:
    """What is wrong with the database after the load; empty when all is well."""
    problems = []
    conn = server.store.connection()
    (integrity,) = conn.execute("PRAGMA integrity_check").fetchone()
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    with Api({"base_url": server.base_url}, api_key=server.api_key) as api:
        runs = list(api.runs(PROJECT))
        if len(runs) != spec.runs:
            problems.append(f"{len(runs)} runs, seeded {spec.runs}")
        for run in runs:
            if run.history_line_count != spec.steps:
                problems.append(f"{run.id}: {run.history_line_count} history rows")
        summaries = {run.id: run.summary for run in runs}
        lost = [
            (run_id, key, value, summaries[run_id].get(key))
            for (run_id, key), value in load.written.items()
            if summaries[run_id].get(key) != value
        ]
    if lost:
        problems.append(f"{len(lost)} of {len(load.written)} last summary writes lost: {lost[:3]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8, help="client threads (default: 8)")
    parser.add_argument("--seconds", type=float, default=20, help="how long (default: 20)")
    parser.add_argument("--runs", type=int, default=50, help="seeded runs (default: 50)")
    parser.add_argument("--steps", type=int, default=2000, help="steps per run (default: 2000)")
    args = parser.parse_args()
    spec = SeedSpec(runs=args.runs, steps=args.steps, events=5, files=1)

    with LocalServer(seed=spec) as server:
        assert server.seeded is not None
        transport = CountingTransport()
        load = Load()
        with Api({"base_url": server.base_url}, api_key=server.api_key, transport=transport) as api:
            deadline = time.monotonic() + args.seconds
            threads = [
                threading.Thread(
                    target=worker, args=(api, list(server.seeded.run_names), i, deadline, load)
                )
                for i in range(args.threads)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        calls = sum(len(times) for times in load.latencies.values())
        print(
            f"{args.threads} threads, one shared Api, {elapsed:.1f} s against a LocalServer on"
            f" loopback ({spec.runs} runs x {spec.steps} steps)\n"
            f"{calls / elapsed:,.1f} calls/s, {transport.requests / elapsed:,.1f} HTTP"
            f" requests/s, {sum(load.errors.values())} errors\n"
        )
        print("| call | count | p50 ms | p99 ms |")
        print("|---|---|---|---|")
        for kind, times in load.latencies.items():
            ordered = sorted(times)
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
            print(
                f"| {kind} | {len(times)} | {statistics.median(times) * 1000:.1f}"
                f" | {p99 * 1000:.1f} |"
            )
        for error, count in load.errors.items():
            print(f"error: {error} x {count}")
        problems = check_database(server, spec, load)
    print("\nconsistency: " + ("ok" if not problems else "; ".join(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
