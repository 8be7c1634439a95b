"""The `runsapi` command: `serve` and `seed` a local server database, run the `demo`, or
`export` a project to parquet datasets.

`serve`, `seed` and `demo` need the server extra (pip install "runsapi[server]"); `export`
needs pyarrow (pip install "runsapi[arrow]").
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from runsapi._version import __version__

# The top-level modules the server extra installs (re2 is google-re2).
_SERVER_MODULES = frozenset({"ariadne", "graphql", "re2", "starlette", "uvicorn"})


def _amount(unit: str, zero: str) -> Callable[[str], float]:
    """An argparse type: a finite number of `unit`, 0 or more (`zero` says what 0 means)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise argparse.ArgumentTypeError(
                f"takes a number of {unit}, 0 or more (0: {zero}); got {text!r}"
            )
        return value

    return parse


_milliseconds = _amount("milliseconds", "no delay")
_seconds = _amount("seconds", "never")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="runsapi", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", required=True
    )

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=summary, description=summary)

    serve = command("serve", "Run the local W&B-compatible server until interrupted.")
    serve.add_argument("--db", required=True, help="SQLite database file (created if missing)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port", type=int, default=8080, help="port to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--api-key",
        help="API key to accept for user 'demo' (default: a new key; the key is printed at start)",
    )
    serve.add_argument(
        "--enable-faults",
        action="store_true",
        help="accept fault injection at /_runsapi/faults (default: off)",
    )
    serve.add_argument(
        "--latency-ms",
        type=_milliseconds,
        default=0,
        metavar="N",
        help="hold every HTTP answer N ms before sending it, the round trip of a distant"
        " server, e.g. 50 for a cloud API from a laptop; held answers overlap"
        " (default: %(default)s, none)",
    )
    serve.add_argument(
        "--heartbeat-timeout",
        type=_seconds,
        default=300,
        metavar="S",
        help="store a run as crashed when the process logging it (the wandb SDK) has been"
        " silent for S seconds, as when it was killed; 0: never (default: %(default)s)",
    )

    seed = command("seed", "Add a generated project to a database.")
    seed.add_argument("--db", required=True, help="SQLite database file (created if missing)")
    seed.add_argument(
        "--entity",
        default="demo",
        help="user and entity owning the project, created if missing (default: %(default)s)",
    )
    seed.add_argument(
        "--project", default="demo-project", help="project name (default: %(default)s)"
    )
    seed.add_argument("--runs", type=int, default=20, help="number of runs (default: %(default)s)")
    seed.add_argument(
        "--steps", type=int, default=200, help="history steps per run (default: %(default)s)"
    )
    seed.add_argument(
        "--events", type=int, default=20, help="system-metric rows per run (default: %(default)s)"
    )
    seed.add_argument(
        "--files", type=int, default=3, help="files per run, at most 6 (default: %(default)s)"
    )
    seed.add_argument(
        "--no-artifacts",
        action="store_true",
        help="log no artifacts (default: one dataset, and a model per run)",
    )
    seed.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed; the same seed gives the same data (default: %(default)s)",
    )

    demo = command("demo", "Start a seeded local server and walk through a client workflow.")
    demo.add_argument("--runs", type=int, default=12, help="runs to seed (default: %(default)s)")
    demo.add_argument(
        "--steps", type=int, default=500, help="history steps per run (default: %(default)s)"
    )

    export = command("export", "Export a project to parquet datasets, incrementally.")
    export.add_argument("path", help="entity/project, or project in the default entity")
    export.add_argument("--to", required=True, help="the export directory")
    export.add_argument("--filters", help="a MongoDB-style runs filter, as JSON")
    export.add_argument("--keys", help="history keys to export, comma-separated (default: all)")
    export.add_argument("--no-history", action="store_true", help="skip history/")
    export.add_argument("--no-files", action="store_true", help="skip files/")
    export.add_argument("--no-artifacts", action="store_true", help="skip artifacts/")
    export.add_argument(
        "--content",
        action="store_true",
        help="also download the run files and artifacts themselves, under content/",
    )
    export.add_argument(
        "--rows-per-file",
        type=int,
        default=250_000,
        help="most history rows per parquet file (default: %(default)s)",
    )
    export.add_argument(
        "--max-workers", type=int, default=4, help="runs exported at once (default: %(default)s)"
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    """Run the command `argv` (default: `sys.argv[1:]`) names.

    If a module of the server extra is not installed, print one line naming it and how to
    install the extra, and exit with status 2. Any other import error, of runsapi's own
    modules or of an installed but incompatible dependency, propagates with its traceback.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "export":
        _export(parser, args)
        return
    try:
        from runsapi.server import _cli  # noqa: PLC0415 (the server extra is optional)
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in _SERVER_MODULES:
            raise
        parser.exit(
            2,
            f"runsapi {args.command} needs the server extra (module {error.name!r} is missing):"
            ' pip install "runsapi[server]"\n',
        )
    getattr(_cli, args.command)(args)


def _export(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """`runsapi export`: print the summary; a usage error exits 2, a failed request 1."""
    from runsapi._exceptions import RunsApiError, UsageError  # noqa: PLC0415
    from runsapi._export import run_command  # noqa: PLC0415

    try:
        print(run_command(args))
    except UsageError as error:
        parser.exit(2, f"runsapi export: {error}\n")
    except RunsApiError as error:
        parser.exit(1, f"runsapi export failed: {error}\n")


if __name__ == "__main__":
    main()
