"""Side-by-side benchmark: runsapi, the official `wandb` client, and a raw httpx floor,
near the server and at a cloud API's distance.

    python scripts/bench_compare.py            # full sizes (takes tens of minutes)
    python scripts/bench_compare.py --quick    # small sizes, to try it out (a few minutes)

Seeds one database (10,000 runs with nested config and summary; 200 runs x 10,000 steps;
one run x 1,000,000 steps; 1,000 runs to loop over; one run with 1,000 files), then, for
each latency of `--latencies` (0 and 50 ms: a LocalServer on that database holding every
answer that long, `LocalServer(latency_ms=...)`), runs each workload with runsapi, with
the official client, and with a raw httpx replay of runsapi's own requests (in their
order, one at a time), alternating A/B/raw over several repetitions. Each attempt runs
in a fresh process with an empty home and cache, so that its peak memory (including the
official client's wandb-core process) and what it downloads are its own. Prints median
wall time, HTTP requests and bytes received (every route: GraphQL, files, storage), peak
memory, the ratios official/runsapi and runsapi/raw, then each performance target and
whether it is met. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKLOADS = ("list", "table", "histories", "scan", "exports", "loop", "files")
CLIENTS = ("runsapi", "official", "raw")
LABEL_WIDTH = 50


def labels(args: argparse.Namespace) -> dict[str, str]:
    return {
        "list": f"list {args.runs:,} runs lazily (id, name, state, tags)",
        "table": f"runs table of {args.runs:,} with config and summary",
        "histories": f"histories(samples=500, 2 keys), {args.history_runs:,} runs",
        "scan": f"scan_history(keys=[loss]) of {args.long_steps:,} steps",
        "exports": "the same, finished: read from its parquet exports",
        "loop": f"loop over {args.loop_runs:,} runs reading config, summary",
        "files": f"list {args.files:,} files",
    }


@dataclass(frozen=True)
class Target:
    """A performance target: `ratio` at `latency_ms` at least (official/runsapi) or at
    most (runsapi/raw) `bound`."""

    workload: str
    latency_ms: float
    ratio: str
    bound: float

    @property
    def at_least(self) -> bool:
        return self.ratio == "official/runsapi"

    def describe(self) -> str:
        sign = ">=" if self.at_least else "<="
        return f"{self.workload}: {self.ratio} {sign} {self.bound:g}x at {self.latency_ms:g} ms"

    def met(self, measured: float) -> bool:
        return measured >= self.bound if self.at_least else measured <= self.bound


TARGETS = (
    Target("list", 50, "official/runsapi", 3),
    Target("table", 50, "official/runsapi", 5),
    Target("histories", 50, "official/runsapi", 20),
    Target("scan", 50, "official/runsapi", 4),
    Target("exports", 50, "official/runsapi", 4),
    Target("loop", 50, "official/runsapi", 15),
    *(Target(workload, 0, "runsapi/raw", 1.2) for workload in WORKLOADS),
)


# -- workers: one workload, one client, one process ---------------------------------------


def _runsapi_client(base_url: str, key: str) -> tuple[Any, Any]:
    import httpx  # noqa: PLC0415

    from runsapi import Api  # noqa: PLC0415

    class Recorder(httpx.BaseTransport):
        """Keeps every request runsapi sends (method, URL, body, the headers that shape
        the answer), for the raw replay."""

        def __init__(self) -> None:
            self.inner = httpx.HTTPTransport()
            self.requests: list[str] = []

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            headers = {
                name: request.headers[name]
                for name in ("content-type", "range")
                if name in request.headers
            }
            body = request.read().decode("latin-1")
            self.requests.append(json.dumps([request.method, str(request.url), headers, body]))
            return self.inner.handle_request(request)

    recorder = Recorder()
    return Api({"base_url": base_url}, api_key=key, transport=recorder, timeout=600), recorder


def _work(api: Any, workload: str, paths: dict[str, str]) -> int:
    """The workload, written once: both clients share these method names."""
    if workload == "list":
        return sum(1 for run in api.runs(paths["many"]) if (run.id, run.name, run.state, run.tags))
    if workload == "table":
        return len(_table(api, paths["many"]))
    if workload == "histories":
        frame = api.runs(paths["hist"]).histories(
            samples=500, keys=["loss", "acc"], format="pandas"
        )
        return len(frame)
    if workload in ("scan", "exports"):
        path = paths["long" if workload == "scan" else "exported"]
        return sum(1 for _ in api.run(path).scan_history(keys=["loss"]))
    if workload == "loop":
        read = 0
        for run in api.runs(paths["loop"]):
            read += len(run.config) + len(run.summary_metrics)
        return read
    return sum(1 for _ in api.run(paths["files"]).files())


def _table(api: Any, path: str) -> Any:
    """runsapi has `to_pandas()`; with the official client, the usual loop over full runs."""
    import pandas as pd  # noqa: PLC0415

    from runsapi import Api  # noqa: PLC0415

    if isinstance(api, Api):
        return api.runs(path).to_pandas()
    records = [
        {
            "id": run.id,
            "name": run.name,
            "state": run.state,
            "created_at": run.created_at,
            "tags": run.tags,
            "group": run.group,
            **{f"config.{k}": v for k, v in run.config.items()},
            **{f"summary.{k}": v for k, v in run.summary_metrics.items()},
        }
        for run in api.runs(path, lazy=False)
    ]
    return pd.DataFrame.from_records(records)


def _raw(client: Any, base_url: str, key: str, recorded: list[str]) -> int:
    """Replays runsapi's requests one at a time with an httpx `client`, decoding each
    JSON answer once."""
    for line in recorded:
        method, url, headers, body = json.loads(line)
        auth = ("api", key) if url.startswith(base_url) else None
        response = client.request(
            method, url, content=body.encode("latin-1"), headers=headers, auth=auth
        )
        if response.headers.get("content-type", "").startswith("application/json"):
            json.loads(response.content)
    return len(recorded)


def _peak_rss_kib(pid: int) -> int:
    """Peak resident memory of a process and of its descendants still alive (wandb-core)."""
    total = 0
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
        pending.extend(children.get(current, []))
    return total


def worker(args: argparse.Namespace) -> None:
    """Time one workload; building the client (and the official client's wandb-core
    process, or the raw replay's httpx client) and importing pandas happen before the
    clock starts."""
    import pandas  # noqa: F401, PLC0415

    paths = json.loads(args.paths)
    record = Path(args.record)
    if args.client == "runsapi":
        api, recorder = _runsapi_client(args.base_url, args.key)
        started = time.perf_counter()
        rows = _work(api, args.workload, paths)
        seconds = time.perf_counter() - started
        record.write_text("\n".join(recorder.requests))
    elif args.client == "official":
        import wandb  # noqa: PLC0415

        api = wandb.Api(api_key=args.key, overrides={"base_url": args.base_url}, timeout=600)
        started = time.perf_counter()
        rows = _work(api, args.workload, paths)
        seconds = time.perf_counter() - started
    else:
        import httpx  # noqa: PLC0415

        recorded = [line for line in record.read_text().splitlines() if line]
        with httpx.Client(timeout=600) as client:
            started = time.perf_counter()
            rows = _raw(client, args.base_url, args.key, recorded)
            seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_kib": _peak_rss_kib(os.getpid())}))


# -- the parent: seed once, then per latency alternate clients and print the table ---------


def seed(server: Any, args: argparse.Namespace) -> dict[str, str]:
    import httpx  # noqa: PLC0415

    from runsapi.server import SeedSpec, seed_project  # noqa: PLC0415

    def spec(project: str, runs: int, steps: int) -> SeedSpec:
        return SeedSpec(project=project, runs=runs, steps=steps, events=0, files=0, artifacts=False)

    for project, runs, steps in (
        ("many", args.runs, 2),
        ("hist", args.history_runs, args.steps),
        ("loop", args.loop_runs, 2),
    ):
        seed_project(server.store, spec(project, runs, steps))
    long_seed = seed_project(server.store, spec("long", 1, args.long_steps))
    # The same history twice: a running run (scans page) and a finished one, exported
    # here as W&B exports a run once it is over, so that no client pays for the export.
    exported_seed = seed_project(server.store, spec("exported", 1, args.long_steps))
    with server.store.write() as conn:
        for seeded, state in ((long_seed, "running"), (exported_seed, "finished")):
            conn.execute(
                "UPDATE runs SET state = ? WHERE project_id = ?", (state, seeded.project_id)
            )
    long_run, exported_run = long_seed.run_names[0], exported_seed.run_names[0]
    export = httpx.post(
        server.graphql_url,
        auth=("api", server.api_key),
        json={
            "query": 'query($r: String!) { project(name: "exported", entityName: "demo") {'
            ' run(name: $r) { parquetHistory(liveKeys: ["_step"]) { parquetUrls } } } }',
            "variables": {"r": exported_run},
        },
        timeout=600,
    )
    export.raise_for_status()
    files_run = seed_project(server.store, spec("files", 1, 1)).run_names[0]
    names = [f"outputs/file-{index:05d}.txt" for index in range(args.files)]
    response = httpx.post(
        server.graphql_url,
        auth=("api", server.api_key),
        json={
            "query": "mutation($f: [String!]!, $r: String!) { createRunFiles(input: "
            '{entityName: "demo", projectName: "files", runName: $r, files: $f}) { runID } }',
            "variables": {"f": names, "r": files_run},
        },
    )
    response.raise_for_status()
    return {
        "many": "demo/many",
        "hist": "demo/hist",
        "long": f"demo/long/{long_run}",
        "exported": f"demo/exported/{exported_run}",
        "loop": "demo/loop",
        "files": f"demo/files/{files_run}",
    }


def attempt(
    server: Any, client: str, workload: str, paths: dict[str, str], record: Path
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="home-", dir=record.parent) as home:
        env = {
            **os.environ,
            "HOME": home,
            "XDG_CACHE_HOME": f"{home}/.cache",
            "WANDB_CONFIG_DIR": f"{home}/config",
            "WANDB_CACHE_DIR": f"{home}/cache",
            "WANDB_DATA_DIR": f"{home}/data",
            "WANDB_DIR": home,
            "WANDB_SILENT": "true",
        }
        server.reset_request_counts()
        command = [
            sys.executable,
            __file__,
            "--worker",
            "--client",
            client,
            "--workload",
            workload,
            "--base-url",
            server.base_url,
            "--key",
            server.api_key,
            "--paths",
            json.dumps(paths),
            "--record",
            str(record),
        ]
        output = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if output.returncode != 0:
        raise RuntimeError(f"{client} {workload} failed:\n{output.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    result["requests"] = server.state.wire.requests
    result["bytes"] = server.state.wire.bytes_sent
    return result


@dataclass(frozen=True)
class Measured:
    """One workload at one latency: median seconds and worst peak MB per client."""

    seconds: dict[str, float]
    peak_mb: dict[str, float]

    def ratio(self, name: str) -> float:
        if name == "official/runsapi":
            return self.seconds["official"] / self.seconds["runsapi"]
        return self.seconds["runsapi"] / self.seconds["raw"]


def table(
    server: Any, args: argparse.Namespace, paths: dict[str, str], scratch: Path
) -> dict[str, Measured]:
    header = (
        f"{'workload':<{LABEL_WIDTH}} {'client':<9} {'median s':>9} {'requests':>9} "
        f"{'MB recv':>8} {'peak MB':>8}"
    )
    print(header)
    print("-" * len(header))
    measured: dict[str, Measured] = {}
    for workload in args.workloads.split(","):
        results: dict[str, list[dict[str, Any]]] = {client: [] for client in CLIENTS}
        record = scratch / f"{workload}.requests"
        for _ in range(args.repeat):
            for client in CLIENTS:  # runsapi first: raw replays its requests
                results[client].append(attempt(server, client, workload, paths, record))
        found = Measured(
            {c: statistics.median(r["seconds"] for r in results[c]) for c in CLIENTS},
            {c: max(r["peak_kib"] for r in results[c]) / 1024 for c in CLIENTS},
        )
        measured[workload] = found
        for client in CLIENTS:
            last = results[client][-1]
            print(
                f"{labels(args)[workload] if client == 'runsapi' else '':<{LABEL_WIDTH}} "
                f"{client:<9} {found.seconds[client]:>9.3f} {last['requests']:>9} "
                f"{last['bytes'] / 1e6:>8.1f} {found.peak_mb[client]:>8.0f}"
            )
        print(
            f"{'':<{LABEL_WIDTH}} official/runsapi = {found.ratio('official/runsapi'):.2f}x, "
            f"runsapi/raw = {found.ratio('runsapi/raw'):.2f}x\n"
        )
    return measured


def report_targets(measured: dict[float, dict[str, Measured]]) -> None:
    """Each performance target with what was measured; peak memory last."""
    print("Targets (official/runsapi at least, runsapi/raw at most):")
    for target in TARGETS:
        found = measured.get(target.latency_ms, {}).get(target.workload)
        if found is None:
            print(f"  {target.describe():<50} not measured")
            continue
        value = found.ratio(target.ratio)
        verdict = "met" if target.met(value) else "NOT MET"
        print(f"  {target.describe():<50} {value:>7.2f}x  {verdict}")
    over = [
        f"{workload} at {latency:g} ms ({found.peak_mb['runsapi']:.0f} MB, "
        f"official {found.peak_mb['official']:.0f} MB)"
        for latency, workloads in measured.items()
        for workload, found in workloads.items()
        if found.peak_mb["runsapi"] > found.peak_mb["official"]
    ]
    memory = "peak memory: runsapi <= official on every workload and latency"
    print(f"  {memory:<59} {'NOT MET: ' + '; '.join(over) if over else 'met'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repetition")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--history-runs", type=int, default=200)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--long-steps", type=int, default=1_000_000)
    parser.add_argument("--loop-runs", type=int, default=1_000)
    parser.add_argument("--files", type=int, default=1_000)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument(
        "--latencies", default="0,50", help="server latencies in ms, one table each"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    for name in ("client", "workload", "base-url", "key", "paths", "record"):
        parser.add_argument(f"--{name}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0
    if args.quick:
        args.runs, args.history_runs, args.steps, args.long_steps, args.loop_runs = (
            500,
            20,
            1000,
            50_000,
            100,
        )
        args.repeat = 1
    latencies = [float(value) for value in args.latencies.split(",")]

    from runsapi.server import LocalServer  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="runsapi-bench-") as directory:
        scratch = Path(directory)
        database = scratch / "bench.db"
        started = time.perf_counter()
        with LocalServer(database) as server:
            paths = seed(server, args)
        print(f"seeded in {time.perf_counter() - started:.1f} s; {args.repeat} repetition(s)")
        measured: dict[float, dict[str, Measured]] = {}
        for latency in latencies:
            print(f"\nServer latency {latency:g} ms (every answer held that long)\n")
            with LocalServer(database, latency_ms=latency) as server:
                measured[latency] = table(server, args, paths, scratch)
        report_targets(measured)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
