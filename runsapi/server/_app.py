"""The ASGI app: GraphQL, file bytes, admin endpoints; API-key auth and fault injection.

Routes:
- `POST /graphql`: executes schema.graphql; 401 without a valid key (HTTP Basic, the key
  as password, like `api:<key>`), 400 for a body that is not JSON, a query that does
  not validate or one that asks for more than the limits allow (_limits.py), else 200
  (GraphQL errors travel in `errors`, a stop at the request's time budget among them).
- `GET|PUT /files/{entity}/{project}/{run}/{name}`: a run file's bytes (PUT needs the
  file to exist first, through `createRunFiles`); 401 without a key, 404 if not visible.
- `PUT /_storage/files/{file row}?expires=…&signature=…`: a run file's bytes, through the
  signed `uploadUrl` that `createRunFiles` hands out (the official client sends no key
  with it); 404 once the file is deleted.
- `POST /files/{entity}/{project}/{run}/file_stream`: W&B's run stream, history, system
  metrics, summary, console output and completion of a run (_file_stream_route.py).
- `GET|PUT /_storage/artifacts/{hex md5}?[artifact=<row>&]expires=…&signature=…`: an
  artifact blob's bytes; a PUT (its URL names the uploading version) must send content
  with that MD5 (else 400) and is idempotent; 404 for a GET of content not stored.
- `GET|PUT /_storage/manifests/{manifest row}?expires=…&signature=…`: a version's
  manifest; a PUT that is not a manifest answers 400, one for a committed version 409.
- `GET|HEAD /_storage/history/{name}?expires=…&signature=…`: a parquet history export
  (_history_exports.py), whole or a byte range (206); 404 once its run is deleted.
  The storage routes take no API key but a URL the server signed (_signing.py): 403 for
  a missing, wrong or expired signature. Like /files, they take injected faults.
- `GET|DELETE /_runsapi/stats`: GraphQL request counts per operation and their answers'
  bytes, and under `http` those of every HTTP request (DELETE resets them all).
- `POST|DELETE /_runsapi/faults`: queue or clear faults; 404 unless faults are enabled.
Every route but a disabled one checks the key (or signature) first, before it reads the
body; bodies larger than MAX_REQUEST_BYTES (uploads: MAX_UPLOAD_BYTES) answer 413. The
admin routes take any API key of the server. Any other path answers 404.

Every HTTP request, whatever its route or answer, goes through the app's Wire
(_http.py): counted, with the bytes of its answer, and with `latency_ms` its answer held
that long before it is sent (an asyncio sleep: answers held at once overlap). The 500 that
Starlette answers for a server bug, outside the middleware, is counted but not held.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import threading
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from ariadne import format_error, graphql_sync
from graphql import DocumentNode, GraphQLError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runsapi.server import _accounts, _files, _runs, _signing
from runsapi.server._accounts import Viewer
from runsapi.server._bodies import read_body
from runsapi.server._budget import sql_time_budget, stopped_by_budget
from runsapi.server._constants import (
    ADMIN_PATH,
    DEFAULT_HEARTBEAT_TIMEOUT_SECONDS,
    FILES_PATH,
    GRAPHQL_PATH,
    MAX_REQUEST_BYTES,
    MAX_UPLOAD_BYTES,
    SERVER_FEATURES,
    SQL_TIME_BUDGET_SECONDS,
)
from runsapi.server._context import RequestContext
from runsapi.server._documents import DocumentCache
from runsapi.server._execution import executor_options
from runsapi.server._faults import Fault, FaultQueue
from runsapi.server._file_stream_route import file_stream_route
from runsapi.server._http import (
    Wire,
    WireMiddleware,
    error_response,
    faulted,
    json_response,
    too_large,
)
from runsapi.server._jsontext import loads_value, response_json
from runsapi.server._limits import check_limits
from runsapi.server._liveness import heartbeat_timeout, watch_heartbeats
from runsapi.server._schema import executable_schema
from runsapi.server._stats import RequestCounter, operation_name
from runsapi.server._storage_routes import storage_routes
from runsapi.server._store import Store

LOGGER = logging.getLogger("runsapi.server")


@dataclass
class AppState:
    """What the app's endpoints share; LocalServer reaches it as `app.state.runsapi`."""

    store: Store
    counter: RequestCounter = field(default_factory=RequestCounter)
    wire: Wire = field(default_factory=Wire)
    faults: FaultQueue | None = None
    features: frozenset[str] = SERVER_FEATURES
    documents: DocumentCache = field(default_factory=DocumentCache)
    # graphql_sync's executor arguments (scripts/bench_server.py compares the choices)
    executor: dict[str, Any] = field(default_factory=executor_options)
    sql_time_budget: float = SQL_TIME_BUDGET_SECONDS
    _viewers: dict[str, Viewer] = field(default_factory=dict)
    # Bumped by forget_viewers: a viewer read before a bump is not cached after it.
    _viewers_generation: int = 0
    _viewers_lock: threading.Lock = field(default_factory=threading.Lock)
    _signer: _signing.Signer | None = None

    def signer(self) -> _signing.Signer:
        if self._signer is None:
            self._signer = _signing.signer(self.store)
        return self._signer

    def known_viewer(self, key: str) -> Viewer | None:
        return self._viewers.get(key)

    def viewer(self, key: str) -> Viewer | None:
        found = self._viewers.get(key)
        if found is None:
            generation = self._viewers_generation
            found = _accounts.viewer_for_key(self.store.connection(), key)
            with self._viewers_lock:
                if found is not None and generation == self._viewers_generation:
                    self._viewers[key] = found
        return found

    def forget_viewers(self) -> None:
        """Forget the cached viewers, after a change of accounts (a key deleted, a
        membership added or removed): each key's next request reads its viewer anew."""
        with self._viewers_lock:
            self._viewers_generation += 1
            self._viewers.clear()


def _unauthorized() -> Response:
    return error_response(401, "a valid API key is required (HTTP Basic, api:<key>)")


def _api_key(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        _, _, key = base64.b64decode(credentials, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return key or None


class _ErrorLog(logging.LoggerAdapter[logging.Logger]):
    """Where ariadne logs resolver errors: a client's mistake (a bad filter, an unknown
    id, a query that does not validate or asks too much) is logged at DEBUG without a
    traceback, a request stopped by its time budget at WARNING; anything else is a server
    bug and keeps its ERROR and traceback."""

    def error(self, msg: object, *args: object, **kwargs: Any) -> None:
        error = kwargs.get("exc_info")
        cause = getattr(error, "original_error", None)
        if stopped_by_budget(cause):
            self.logger.warning("GraphQL request stopped by its time budget: %s", msg)
            return
        if cause is None or isinstance(cause, (ValueError, LookupError)):
            self.logger.debug("GraphQL error: %s", msg)
            return
        self.logger.error(msg, *args, **kwargs)


_ERROR_LOG = _ErrorLog(LOGGER, {})


def _format_error(error: GraphQLError, debug: bool = False, *, budget: float) -> dict[str, Any]:
    formatted = format_error(error, debug)
    if stopped_by_budget(error.original_error):
        formatted["message"] = (
            f"the request was stopped at the server's time budget of {budget:g} s;"
            " ask for less (fewer runs or samples, a narrower filter)"
        )
    return formatted


def _checked_root(
    _context: Any, operation: str | None, variables: dict[str, Any] | None, document: DocumentNode
) -> None:
    """ariadne calls the root value's callable between validation and execution, with
    the variables: where the request's limits are checked. The root value is None."""
    check_limits(executable_schema(), document, operation, variables)


def _execute(state: AppState, payload: Any, viewer: Viewer, base_url: str) -> tuple[int, bytes]:
    data = payload
    if isinstance(payload, dict):  # the official client sends operationName ""
        data = {**payload, "operationName": payload.get("operationName") or None}
    with sql_time_budget(state.store.connection(), state.sql_time_budget):
        success, result = graphql_sync(
            executable_schema(),
            data,
            context_value=RequestContext(
                state.store, viewer, base_url, state.features, state.forget_viewers
            ),
            root_value=_checked_root,
            query_parser=state.documents.parse,
            query_validator=state.documents.validate,
            logger=_ERROR_LOG,
            error_formatter=partial(_format_error, budget=state.sql_time_budget),
            **state.executor,
        )
    return (200 if success else 400), response_json(result)


def _routes(state: AppState) -> list[Route]:
    async def authenticated(request: Request) -> Viewer | None:
        key = _api_key(request)
        if key is None:
            return None
        # A key seen before is answered on the event loop; a new one needs the database.
        return state.known_viewer(key) or await run_in_threadpool(state.viewer, key)

    def base_url(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    async def graphql(request: Request) -> Response:
        viewer = await authenticated(request)
        if viewer is None:
            return _unauthorized()
        body = await read_body(request, MAX_REQUEST_BYTES)
        if body is None:
            return too_large(MAX_REQUEST_BYTES)
        try:
            payload = loads_value(body, what="the request body")
        except ValueError:
            payload = None
        operation = operation_name(payload)
        state.counter.record(operation)

        async def answer() -> Response:
            if payload is None:
                return error_response(400, "the request body is not valid JSON")
            status, body = await run_in_threadpool(
                _execute, state, payload, viewer, base_url(request)
            )
            return Response(body, status_code=status, media_type="application/json")

        fault = None if state.faults is None else state.faults.take(operation)
        response = await faulted(request, fault, answer)
        state.counter.record_bytes(len(response.body))
        return response

    async def files(request: Request) -> Response:
        viewer = await authenticated(request)
        if viewer is None:
            return _unauthorized()

        async def answer() -> Response:
            params = request.path_params
            where = (params["entity"], params["project"], params["run"], params["name"])
            if request.method == "PUT":
                data = await read_body(request, MAX_UPLOAD_BYTES)
                if data is None:
                    return too_large(MAX_UPLOAD_BYTES)
                stored = await run_in_threadpool(_store_upload, state.store, viewer, where, data)
                return Response(status_code=200) if stored else error_response(404, "no such file")
            content = await run_in_threadpool(_read_file, state.store, viewer, where)
            if content is None:
                return error_response(404, "no such file")
            return Response(content, media_type="application/octet-stream")

        fault = None if state.faults is None else state.faults.take(None)
        return await faulted(request, fault, answer)

    async def stats(request: Request) -> Response:
        if await authenticated(request) is None:
            return _unauthorized()
        if request.method == "DELETE":
            state.counter.reset()
            state.wire.reset()
        return json_response(
            200,
            {
                "requests": state.counter.snapshot(),
                "bytes_sent": state.counter.bytes_sent,
                "http": {"requests": state.wire.requests, "bytes_sent": state.wire.bytes_sent},
            },
        )

    async def faults(request: Request) -> Response:
        if state.faults is None:
            return error_response(404, "fault injection is not enabled")
        if await authenticated(request) is None:
            return _unauthorized()
        if request.method == "DELETE":
            state.faults.clear()
            return json_response(200, {"ok": True})
        body = await read_body(request, MAX_REQUEST_BYTES)
        if body is None:
            return too_large(MAX_REQUEST_BYTES)
        try:
            state.faults.add(Fault.from_json(loads_value(body, what="a fault")))
        except ValueError as exc:
            return error_response(400, str(exc))
        return json_response(200, {"ok": True})

    return [
        Route(GRAPHQL_PATH, graphql, methods=["POST"]),
        file_stream_route(state.store, state.faults, authenticated, _unauthorized),
        Route(FILES_PATH + "/{entity}/{project}/{run}/{name:path}", files, methods=["GET", "PUT"]),
        *storage_routes(state.store, state.faults, state.signer),
        Route(ADMIN_PATH + "/stats", stats, methods=["GET", "DELETE"]),
        Route(ADMIN_PATH + "/faults", faults, methods=["POST", "DELETE"]),
    ]


FileAddress = tuple[str, str, str, str]


def _locate(store: Store, viewer: Viewer, where: FileAddress) -> tuple[int, int | None] | None:
    """(run id, file id or None) of a visible run's file, or None if the run is not."""
    entity, project, run, name = where
    conn = store.connection()
    record = _runs.find_visible_run(conn, viewer, entity, project, run)
    if record is None:
        return None
    return record["_row"], _files.find_file(conn, record["_row"], name)


def _read_file(store: Store, viewer: Viewer, where: FileAddress) -> bytes | None:
    located = _locate(store, viewer, where)
    if located is None or located[1] is None:
        return None
    path = store.file_path(located[1])
    return path.read_bytes() if path.exists() else None


def _store_upload(store: Store, viewer: Viewer, where: FileAddress, data: bytes) -> bool:
    with store.write() as conn:
        located = _locate(store, viewer, where)
        if located is None or located[1] is None:
            return False
        _files.write_file(store, conn, located[1], data)
    return True


def create_app(
    db_path: Path | str,
    *,
    faults: bool = False,
    features: Iterable[str] = SERVER_FEATURES,
    latency_ms: float = 0,
    heartbeat_timeout_seconds: float | None = DEFAULT_HEARTBEAT_TIMEOUT_SECONDS,
) -> Starlette:
    """The server's ASGI app over the SQLite database at `db_path` (created if missing),
    with the optional `features` enabled (all of SERVER_FEATURES by default), holding
    every answer `latency_ms` milliseconds (ValueError unless a number, 0 or more).

    While the app runs (its lifespan), a streaming run silent for longer than
    `heartbeat_timeout_seconds` is stored as crashed (_liveness.py); None: never."""
    timeout = heartbeat_timeout(heartbeat_timeout_seconds)
    enabled = frozenset(features)
    if not enabled <= SERVER_FEATURES:
        raise ValueError(f"unknown server features {sorted(enabled - SERVER_FEATURES)}")
    wire = Wire(latency_ms)
    state = AppState(
        store=Store(Path(db_path)),
        wire=wire,
        faults=FaultQueue() if faults else None,
        features=enabled,
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        stopping = asyncio.Event()
        watcher = (
            None
            if timeout is None
            else asyncio.create_task(watch_heartbeats(state.store, timeout, stopping))
        )
        try:
            yield
        finally:
            stopping.set()
            if watcher is not None:
                await watcher
            state.store.close()

    app = Starlette(
        routes=_routes(state), lifespan=lifespan, middleware=[Middleware(WireMiddleware, wire=wire)]
    )
    app.state.runsapi = state
    return app
