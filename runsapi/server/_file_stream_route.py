"""The run stream's route, `POST /files/{entity}/{project}/{run}/file_stream`
(_file_stream.py applies it): 401 without a valid key, 404 for a run the key cannot see,
400 for a body this server refuses (nothing of it written), 413 past MAX_REQUEST_BYTES,
else 200 with `{"stopped": bool}`. It takes injected faults, like /files."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runsapi._shared.file_stream import FILE_STREAM
from runsapi.server import _file_stream
from runsapi.server._accounts import Viewer
from runsapi.server._bodies import read_body
from runsapi.server._constants import FILES_PATH, MAX_REQUEST_BYTES
from runsapi.server._faults import FaultQueue
from runsapi.server._http import error_response, faulted, json_response, too_large
from runsapi.server._store import Store


def file_stream_route(
    store: Store,
    faults: FaultQueue | None,
    authenticated: Callable[[Request], Awaitable[Viewer | None]],
    unauthorized: Callable[[], Response],
) -> Route:
    """The route; `authenticated` gives a request's viewer (None without a valid key)."""

    async def file_stream(request: Request) -> Response:
        viewer = await authenticated(request)
        if viewer is None:
            return unauthorized()

        async def answer() -> Response:
            data = await read_body(request, MAX_REQUEST_BYTES)
            if data is None:
                return too_large(MAX_REQUEST_BYTES)
            params = request.path_params
            where = (params["entity"], params["project"], params["run"])
            try:
                result = await run_in_threadpool(
                    _file_stream.apply_body, store, viewer, where, data
                )
            except LookupError as exc:
                return error_response(404, str(exc))
            except ValueError as exc:
                return error_response(400, str(exc))
            return json_response(200, result)

        return await faulted(request, None if faults is None else faults.take(None), answer)

    path = f"{FILES_PATH}/{{entity}}/{{project}}/{{run}}/{FILE_STREAM}"
    return Route(path, file_stream, methods=["POST"])
