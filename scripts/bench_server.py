"""What the local server's executor costs, with and without the leaf shortcut.

    python scripts/bench_server.py            # 1,000 runs x 2,000 steps
    python scripts/bench_server.py --quick    # small sizes, to try it out

Seeds a database, then executes the client's commonest operations in-process (parse and
validate are cached, as in the server; no HTTP) and prints the median time of each, for
every executor the installed graphql-core offers: graphql-core's own, and on 3.2 the
leaf shortcut (runsapi/server/_execution.py). Run it in environments with graphql-core
3.2 and 3.3 to compare the versions. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import graphql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "generated"))

from runsapi_generated import operations  # noqa: E402

from runsapi.server import SeedSpec, Store, seed_project  # noqa: E402
from runsapi.server._accounts import ensure_user, viewer_for_key  # noqa: E402
from runsapi.server._app import AppState, _execute  # noqa: E402
from runsapi.server._execution import LEAF_SHORTCUT_SUPPORTED, executor_options  # noqa: E402

BASE_URL = "http://127.0.0.1:8080"


def _workloads(spec: SeedSpec, run_name: str) -> dict[str, dict[str, Any]]:
    project = {"entity": spec.entity, "project": spec.project}
    return {
        "runs page of 500, light fragment": {
            "query": operations.GET_RUNS_GQL,
            "variables": {**project, "perPage": 500},
        },
        "runs page of 500, full fragment": {
            "query": operations.GET_RUNS_FULL_GQL,
            "variables": {**project, "perPage": 500},
        },
        "sampled history of 50 runs, 2 keys x 500": {
            "query": operations.RUNS_SAMPLED_HISTORY_GQL,
            "variables": {
                **project,
                "perPage": 50,
                "specs": [json.dumps({"keys": ["_step", "loss", "acc"], "samples": 500})],
            },
        },
        "history page of 1,000 rows": {
            "query": operations.RUN_HISTORY_PAGE_GQL,
            "variables": {**project, "name": run_name, "minStep": 0, "maxStep": 1000},
        },
        "files page of one run": {
            "query": operations.RUN_FILES_GQL,
            "variables": {**project, "name": run_name},
        },
    }


def _median_ms(state: AppState, payload: dict[str, Any], viewer: Any, repeats: int) -> float:
    status, body = _execute(state, payload, viewer, BASE_URL)  # warms the document cache
    if status != 200 or b'"errors"' in body:
        raise SystemExit(f"the server refused the benchmark's query: {body[:300]!r}")
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        _execute(state, payload, viewer, BASE_URL)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 runs x 500 steps, 3 repeats")
    args = parser.parse_args()
    spec = SeedSpec(runs=100, steps=500) if args.quick else SeedSpec(runs=1000, steps=2000)
    repeats = 3 if args.quick else 9
    executors = {"graphql-core": executor_options(leaf_shortcut=False)}
    if LEAF_SHORTCUT_SUPPORTED:
        executors["leaf shortcut"] = executor_options()

    with tempfile.TemporaryDirectory(prefix="runsapi-bench-") as tmp:
        store = Store(Path(tmp) / "bench.db")
        with store.write() as conn:
            key = ensure_user(conn, spec.entity)
        seeded = seed_project(store, spec, username=spec.entity)
        viewer = viewer_for_key(store.connection(), key)
        state = AppState(store=store)
        print(
            f"graphql-core {graphql.__version__}; {spec.runs} runs x {spec.steps} steps;"
            f" median of {repeats}, in-process, ms per operation\n"
        )
        names = list(executors)
        print(f"| operation | {' | '.join(names)} |" + (" ratio |" if len(names) > 1 else ""))
        print("|---" * (len(names) + 1 + (len(names) > 1)) + "|")
        for label, payload in _workloads(spec, seeded.run_names[0]).items():
            figures = []
            for name in names:
                state.executor = executors[name]
                figures.append(_median_ms(state, payload, viewer, repeats))
            cells = " | ".join(f"{ms:.1f}" for ms in figures)
            ratio = f" {figures[0] / figures[-1]:.2f}x |" if len(figures) > 1 else ""
            print(f"| {label} | {cells} |{ratio}")
        store.close()


if __name__ == "__main__":
    main()
