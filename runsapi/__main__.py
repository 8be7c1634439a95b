"""The `runsapi` command: `serve` and `seed` a local server database, or run the `demo`.

Every command needs the `server` extra, imported only when a command runs.
"""

from __future__ import annotations

import argparse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="runsapi", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the local W&B-compatible server")
    serve.add_argument("--db", required=True, help="SQLite database file (created if missing)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--api-key", help="API key to accept for the demo user (default: new)")
    serve.add_argument("--enable-faults", action="store_true", help="enable /_runsapi/faults")
    serve.set_defaults(command="serve")

    seed = commands.add_parser("seed", help="add a generated project to a database")
    seed.add_argument("--db", required=True)
    seed.add_argument("--entity", default="demo", help="user and entity owning the project")
    seed.add_argument("--project", default="demo-project")
    seed.add_argument("--runs", type=int, default=20)
    seed.add_argument("--steps", type=int, default=200, help="history steps per run")
    seed.add_argument("--events", type=int, default=20, help="system-metric rows per run")
    seed.add_argument("--files", type=int, default=3, help="files per run (at most 6)")
    seed.add_argument("--no-artifacts", action="store_true")
    seed.add_argument("--seed", type=int, default=0)
    seed.set_defaults(command="seed")

    demo = commands.add_parser("demo", help="start a local server, seed it, show a workflow")
    demo.add_argument("--runs", type=int, default=12)
    demo.add_argument("--steps", type=int, default=500)
    demo.set_defaults(command="demo")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    from runsapi.server import _cli  # noqa: PLC0415 (the server extra is optional)

    getattr(_cli, args.command)(args)


if __name__ == "__main__":
    main()
