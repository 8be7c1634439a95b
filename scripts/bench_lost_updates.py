"""Lost updates under concurrent writers: runsapi (merge and replay) and the official client.

    python scripts/bench_lost_updates.py              # 3 repetitions of each
    python scripts/bench_lost_updates.py --repeat 1

The workload (tests/support/writers.py, the one the tests run): 2 Api objects, 8 threads
x 25 iterations started together, each iteration reading the run, setting a summary key
and a config key and deleting a summary key and a config key that no other thread
touches, then `run.update()`. Every one of the 800 changes should survive; the table
shows how many did not. Modes: runsapi against a LocalServer that offers
MERGE_RUN_CHANGES ("merge"), runsapi against one that does not ("replay"), and
`wandb.Api` (the official client, which writes its whole copy back). Figures, not
assertions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runsapi import Api  # noqa: E402
from runsapi.server import MERGE_RUN_CHANGES, SERVER_FEATURES, LocalServer  # noqa: E402
from tests.support.writers import Workload  # noqa: E402

WORKLOAD = Workload(threads=8, iterations=25)
APIS = 2


def _runsapi_apis(server: LocalServer) -> list[Any]:
    return [Api({"base_url": server.base_url}, api_key=server.api_key) for _ in range(APIS)]


def _official_apis(server: LocalServer) -> list[Any]:
    import wandb  # noqa: PLC0415 (after main() has pointed its directories at a scratch home)

    return [
        wandb.Api(api_key=server.api_key, overrides={"base_url": server.base_url}, timeout=60)
        for _ in range(APIS)
    ]


def attempt(server: LocalServer, make_apis: Callable[[LocalServer], list[Any]]) -> dict[str, Any]:
    """One run of the workload on a new run: changes lost, seconds, requests."""
    with Api({"base_url": server.base_url}, api_key=server.api_key) as setup:
        path = setup.create_run(project="lost-updates").path_str
        WORKLOAD.prepare(setup, path)
        apis = make_apis(server)
        server.reset_request_counts()
        started = time.perf_counter()
        WORKLOAD.write(apis, path)
        seconds = time.perf_counter() - started
        requests = sum(server.request_counts.values())
        lost = WORKLOAD.lost(setup, path)
    for api in apis:
        getattr(api, "close", lambda: None)()
    return {"lost": lost, "seconds": seconds, "requests": requests}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    without_merge = SERVER_FEATURES - {MERGE_RUN_CHANGES}
    with tempfile.TemporaryDirectory(prefix="runsapi-bench-") as home:
        # Keep the official client away from the real home directory and any service.
        os.environ.update(
            {
                "HOME": home,
                "WANDB_CONFIG_DIR": f"{home}/config",
                "WANDB_CACHE_DIR": f"{home}/cache",
                "WANDB_DATA_DIR": f"{home}/data",
                "WANDB_DIR": home,
                "WANDB_SILENT": "true",
                "WANDB_ERROR_REPORTING": "false",
            }
        )
        with LocalServer() as merging, LocalServer(features=without_merge) as replaying:
            modes = [
                ("runsapi", "merge", merging, _runsapi_apis),
                ("runsapi", "replay", replaying, _runsapi_apis),
                ("official", "whole copy", merging, _official_apis),
            ]
            print(
                f"{APIS} Api objects, {WORKLOAD.threads} threads x {WORKLOAD.iterations}"
                f" iterations, {WORKLOAD.changes} changes (sets and deletions);"
                f" {args.repeat} repetition(s)\n"
            )
            header = (
                f"{'client':<9} {'mode':<11} {'lost (median)':>13} {'lost %':>7} "
                f"{'min-max':>9} {'requests':>9} {'median s':>9}"
            )
            print(header)
            print("-" * len(header))
            for client, mode, server, make_apis in modes:
                results = [attempt(server, make_apis) for _ in range(args.repeat)]
                lost = [result["lost"] for result in results]
                median = statistics.median(lost)
                print(
                    f"{client:<9} {mode:<11} {median:>13g} {100 * median / WORKLOAD.changes:>6.1f}%"
                    f" {f'{min(lost)}-{max(lost)}':>9} {results[-1]['requests']:>9}"
                    f" {statistics.median(r['seconds'] for r in results):>9.2f}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
