"""Side-by-side benchmark: runsapi, the official `wandb` client, and a raw httpx floor.

    python scripts/bench_compare.py            # full sizes (takes several minutes)
    python scripts/bench_compare.py --quick    # small sizes, to try it out

Seeds one LocalServer (10,000 runs with nested config and summary; 200 runs x 10,000
steps; one run x 1,000,000 steps; one run with 1,000 files), then runs each workload
with runsapi, with the official client, and with a raw httpx replay of runsapi's own
requests, alternating A/B/raw over several repetitions. Each attempt runs in a fresh
process, so that peak memory (including the official client's wandb-core process) is
its own. Prints median wall time, requests, bytes received and peak memory, and the
ratios official/runsapi and runsapi/raw. Figures, not assertions.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKLOADS = ("list", "table", "histories", "scan", "files")
CLIENTS = ("runsapi", "official", "raw")
LABELS = {
    "list": "list 10,000 runs lazily (id, name, state, tags)",
    "table": "runs table with config and summary (pandas)",
    "histories": "histories(samples=500, 2 keys), 200 runs",
    "scan": "scan_history(keys=[loss]) of 1,000,000 steps",
    "files": "list 1,000 files",
}


# -- workers: one workload, one client, one process ---------------------------------------


def _runsapi_client(base_url: str, key: str) -> tuple[Any, Any]:
    import httpx  # noqa: PLC0415

    from runsapi import Api  # noqa: PLC0415

    class Recorder(httpx.BaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.HTTPTransport()
            self.bodies: list[str] = []

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            self.bodies.append(request.read().decode())
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
    if workload == "scan":
        return sum(1 for _ in api.run(paths["long"]).scan_history(keys=["loss"]))
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


def _raw(base_url: str, key: str, bodies: list[str]) -> int:
    import httpx  # noqa: PLC0415

    with httpx.Client(auth=("api", key), timeout=600) as client:
        for body in bodies:
            json.loads(
                client.post(
                    f"{base_url}/graphql",
                    content=body,
                    headers={"Content-Type": "application/json"},
                ).content
            )
    return len(bodies)


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
    process) and importing pandas happen before the clock starts."""
    import pandas  # noqa: F401, PLC0415

    paths = json.loads(args.paths)
    record = Path(args.record)
    if args.client == "runsapi":
        api, recorder = _runsapi_client(args.base_url, args.key)
        started = time.perf_counter()
        rows = _work(api, args.workload, paths)
        seconds = time.perf_counter() - started
        record.write_text("\n".join(recorder.bodies))
    elif args.client == "official":
        import wandb  # noqa: PLC0415

        api = wandb.Api(api_key=args.key, overrides={"base_url": args.base_url}, timeout=600)
        started = time.perf_counter()
        rows = _work(api, args.workload, paths)
        seconds = time.perf_counter() - started
    else:
        bodies = [line for line in record.read_text().splitlines() if line]
        started = time.perf_counter()
        rows = _raw(args.base_url, args.key, bodies)
        seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_kib": _peak_rss_kib(os.getpid())}))


# -- the parent: seed once, alternate clients, print the table -----------------------------


def seed(server: Any, args: argparse.Namespace) -> dict[str, str]:
    import httpx  # noqa: PLC0415

    from runsapi.server import SeedSpec, seed_project  # noqa: PLC0415

    many = SeedSpec(project="many", runs=args.runs, steps=2, events=0, files=0, artifacts=False)
    hist = SeedSpec(
        project="hist", runs=args.history_runs, steps=args.steps, events=0, files=0, artifacts=False
    )
    long = SeedSpec(
        project="long", runs=1, steps=args.long_steps, events=0, files=0, artifacts=False
    )
    holder = SeedSpec(project="files", runs=1, steps=1, events=0, files=0, artifacts=False)
    for spec in (many, hist):
        seed_project(server.store, spec)
    long_run = seed_project(server.store, long).run_names[0]
    files_run = seed_project(server.store, holder).run_names[0]
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
        "files": f"demo/files/{files_run}",
    }


def attempt(
    server: Any,
    client: str,
    workload: str,
    paths: dict[str, str],
    record: Path,
    env: dict[str, str],
) -> dict[str, Any]:
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
    result["requests"] = sum(server.request_counts.values())
    result["bytes"] = server.state.counter.bytes_sent
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repetition")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--history-runs", type=int, default=200)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--long-steps", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=1_000)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    for name in ("client", "workload", "base-url", "key", "paths", "record"):
        parser.add_argument(f"--{name}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0
    if args.quick:
        args.runs, args.history_runs, args.steps, args.long_steps, args.repeat = (
            500,
            20,
            1000,
            50_000,
            1,
        )

    from runsapi.server import LocalServer  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="runsapi-bench-") as scratch, LocalServer() as server:
        home = Path(scratch) / "home"
        env = {
            **os.environ,
            "HOME": str(home),
            "WANDB_CONFIG_DIR": str(home / "config"),
            "WANDB_CACHE_DIR": str(home / "cache"),
            "WANDB_DATA_DIR": str(home / "data"),
            "WANDB_DIR": str(home),
            "WANDB_SILENT": "true",
        }
        started = time.perf_counter()
        paths = seed(server, args)
        print(f"seeded in {time.perf_counter() - started:.1f} s; {args.repeat} repetition(s)\n")
        header = (
            f"{'workload':<48} {'client':<9} {'median s':>9} {'requests':>9} "
            f"{'MB recv':>8} {'peak MB':>8}"
        )
        print(header)
        print("-" * len(header))
        for workload in args.workloads.split(","):
            results: dict[str, list[dict[str, Any]]] = {client: [] for client in CLIENTS}
            record = Path(scratch) / f"{workload}.requests"
            for _ in range(args.repeat):
                for client in CLIENTS:  # runsapi first: raw replays its requests
                    results[client].append(attempt(server, client, workload, paths, record, env))
            medians = {c: statistics.median(r["seconds"] for r in results[c]) for c in CLIENTS}
            for client in CLIENTS:
                last = results[client][-1]
                print(
                    f"{LABELS[workload] if client == 'runsapi' else '':<48} {client:<9} "
                    f"{medians[client]:>9.3f} {last['requests']:>9} {last['bytes'] / 1e6:>8.1f} "
                    f"{max(r['peak_kib'] for r in results[client]) / 1024:>8.0f}"
                )
            print(
                f"{'':<48} official/runsapi = {medians['official'] / medians['runsapi']:.2f}x, "
                f"runsapi/raw = {medians['runsapi'] / medians['raw']:.2f}x\n"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
