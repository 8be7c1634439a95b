"""The server side of the `runsapi` command: serve, seed and demo.

`serve --latency-ms N` holds every HTTP answer N ms before it is sent (the round trip of
a distant server, without blocking other requests), to try a client at cloud distance.

Importing this module imports the server extra; `runsapi.__main__` imports it only after
parsing a command, and turns a missing module of the extra into an install hint.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import uvicorn

from runsapi.server._accounts import ensure_user
from runsapi.server._app import create_app
from runsapi.server._constants import DEFAULT_USERNAME
from runsapi.server._demo import run_demo
from runsapi.server._local import LocalServer
from runsapi.server._seed import SeedSpec, seed_project
from runsapi.server._store import Store


def serve(args: argparse.Namespace) -> None:
    app = create_app(
        args.db,
        faults=args.enable_faults,
        latency_ms=args.latency_ms,
        heartbeat_timeout_seconds=args.heartbeat_timeout or None,
    )
    with app.state.runsapi.store.write() as conn:
        key = ensure_user(conn, DEFAULT_USERNAME, api_key=args.api_key)
    print(
        f"base URL http://{args.host}:{args.port}  entity {DEFAULT_USERNAME}  API key {key}"
        f"\nuser {DEFAULT_USERNAME} is the server's admin: it may list and create users and"
        " manage every team"
        + (f"\nevery answer is held {args.latency_ms:g} ms" if args.latency_ms else "")
        + (
            f"\na run whose process is silent for {args.heartbeat_timeout:g} s is stored as crashed"
            if args.heartbeat_timeout
            else "\nruns are never found crashed (--heartbeat-timeout 0)"
        )
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


def seed(args: argparse.Namespace) -> None:
    spec = SeedSpec(
        entity=args.entity,
        project=args.project,
        runs=args.runs,
        steps=args.steps,
        events=args.events,
        files=args.files,
        artifacts=not args.no_artifacts,
        seed=args.seed,
    )
    store = Store(Path(args.db))
    with store.write() as conn:
        key = ensure_user(conn, args.entity)
    started = time.perf_counter()
    result = seed_project(store, spec, username=args.entity)
    elapsed = time.perf_counter() - started
    store.close()
    print(
        f"seeded {result.entity}/{result.project}: {args.runs} runs x {args.steps} steps"
        f" in {elapsed:.1f} s; API key for {args.entity}: {key}"
    )


def demo(args: argparse.Namespace) -> None:
    spec = SeedSpec(runs=args.runs, steps=args.steps)
    with LocalServer(seed=spec) as server:
        print(f"Local server at {server.base_url}, seeded with {spec.entity}/{spec.project}\n")
        run_demo(server.base_url, server.api_key, f"{spec.entity}/{spec.project}")
