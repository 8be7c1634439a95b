"""A local W&B-compatible server: schema.graphql executed over SQLite (the `server` extra).

Nothing in the client imports this package; it needs ariadne, starlette and uvicorn.
"""

from __future__ import annotations

from runsapi.server._app import create_app
from runsapi.server._constants import MERGE_RUN_CHANGES, SERVER_FEATURES
from runsapi.server._faults import Fault
from runsapi.server._history import append_events, append_history
from runsapi.server._local import LocalServer
from runsapi.server._seed import SeedResult, SeedSpec, seed_project
from runsapi.server._store import Store

__all__ = [
    "MERGE_RUN_CHANGES",
    "SERVER_FEATURES",
    "Fault",
    "LocalServer",
    "SeedResult",
    "SeedSpec",
    "Store",
    "append_events",
    "append_history",
    "create_app",
    "seed_project",
]
