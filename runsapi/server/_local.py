"""LocalServer: the server in a background thread on 127.0.0.1, for tests and scripts."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import uvicorn

from runsapi.server import _accounts
from runsapi.server._app import AppState, create_app
from runsapi.server._constants import (
    DEFAULT_HANG_SECONDS,
    DEFAULT_HEARTBEAT_TIMEOUT_SECONDS,
    DEFAULT_USERNAME,
    GRACEFUL_SHUTDOWN_TIMEOUT,
    GRAPHQL_PATH,
    HOST,
    SERVER_FEATURES,
    STARTUP_POLL_INTERVAL,
    STARTUP_TIMEOUT,
)
from runsapi.server._faults import Fault, Mode
from runsapi.server._http import latency_seconds
from runsapi.server._liveness import heartbeat_timeout as _checked_timeout
from runsapi.server._seed import SeedResult, SeedSpec, seed_project
from runsapi.server._store import Store


class LocalServer:
    """A running server, as a context manager.

        with LocalServer(seed=SeedSpec(runs=5)) as server:
            server.base_url, server.api_key, server.entity, server.seeded

    The database is a temporary file unless `db_path` is given; the default user
    ("demo", entity "demo") gets a fresh API key at every start. `faults=True` enables
    fault injection (`inject_fault`, or `POST /_runsapi/faults` with an API key).
    `features` are the optional features enabled (every one of SERVER_FEATURES by
    default); for a server without atomic merges:
    `features=SERVER_FEATURES - {MERGE_RUN_CHANGES}`.

    `latency_ms` puts the server at a distance: every HTTP answer, whatever its route, is
    held that many milliseconds before it is sent, as a cloud API's round trip would
    (`latency_ms=50`, a laptop's from W&B's servers). The hold is an asyncio sleep, so
    concurrent requests overlap as they would over a network, and `state.wire` counts
    the requests, the answers' bytes and the answers held at once (`peak_held`). A value
    that is not a number of milliseconds, 0 or more, raises ValueError.

    `heartbeat_timeout` (seconds): a run that streams (the official SDK's file_stream) and
    then goes silent for longer is stored as "crashed", as when its process was killed
    (the SDK heartbeats every 30 s when idle; `heartbeat_seconds` in its settings); None:
    runs never crash. A test of crashes sets a small one.
    """

    def __init__(
        self,
        db_path: Path | str | None = None,
        *,
        seed: SeedSpec | None = None,
        faults: bool = False,
        features: Iterable[str] = SERVER_FEATURES,
        port: int = 0,
        latency_ms: float = 0,
        heartbeat_timeout: float | None = DEFAULT_HEARTBEAT_TIMEOUT_SECONDS,
    ) -> None:
        latency_seconds(latency_ms)
        self._heartbeat_timeout = _checked_timeout(heartbeat_timeout)
        self._latency_ms = latency_ms
        self._db_path = None if db_path is None else Path(db_path)
        self._seed = seed
        self._faults = faults
        self._features = frozenset(features)
        self._port = port
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._state: AppState | None = None
        self.base_url = ""
        self.api_key = ""
        self.entity = DEFAULT_USERNAME
        self.seeded: SeedResult | None = None

    @property
    def graphql_url(self) -> str:
        return self.base_url + GRAPHQL_PATH

    @property
    def state(self) -> AppState:
        if self._state is None:
            raise RuntimeError("the server is not running")
        return self._state

    @property
    def store(self) -> Store:
        return self.state.store

    @property
    def request_counts(self) -> dict[str, int]:
        """GraphQL requests received per operation name since start (or the last reset)."""
        return self.state.counter.snapshot()

    def reset_request_counts(self) -> None:
        """Zero `request_counts` and the counts of `state.wire`."""
        self.state.counter.reset()
        self.state.wire.reset()

    def create_user(self, username: str, *, teams: tuple[str, ...] = ()) -> str:
        """A new user with its own entity (and team memberships); returns its API key."""
        with self.store.write() as conn:
            return _accounts.create_user(conn, username, teams=teams)

    def inject_fault(
        self,
        mode: Mode,
        *,
        count: int = 1,
        status: int = 503,
        retry_after: str | None = None,
        seconds: float = DEFAULT_HANG_SECONDS,
        operation: str | None = None,
    ) -> None:
        """Make the next `count` matching requests fail (see runsapi.server._faults)."""
        if self.state.faults is None:
            raise RuntimeError("start the server with faults=True to inject faults")
        self.state.faults.add(Fault(mode, count, status, retry_after, seconds, operation))

    def clear_faults(self) -> None:
        if self.state.faults is not None:
            self.state.faults.clear()

    def start(self) -> LocalServer:
        if self._db_path is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="runsapi-")
            self._db_path = Path(self._tempdir.name) / "runsapi.db"
        app = create_app(
            self._db_path,
            faults=self._faults,
            features=self._features,
            latency_ms=self._latency_ms,
            heartbeat_timeout_seconds=self._heartbeat_timeout,
        )
        self._state = app.state.runsapi
        with self.store.write() as conn:
            self.api_key = _accounts.ensure_user(conn, DEFAULT_USERNAME)
        if self._seed is not None:
            self.seeded = seed_project(self.store, self._seed, username=DEFAULT_USERNAME)
        # IPPROTO_TCP explicitly: asyncio turns Nagle off only on sockets that say so, and
        # small answers would otherwise wait ~40 ms for the client's delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, self._port))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=int(GRACEFUL_SHUTDOWN_TIMEOUT),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="runsapi-server"
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the local server did not start")
            time.sleep(STARTUP_POLL_INTERVAL)
        self.base_url = f"http://{HOST}:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join()
        self._server = self._thread = None
        if self._state is not None:
            self._state.store.close()
            self._state = None
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None
            self._db_path = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
