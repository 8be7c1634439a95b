"""HTTP answers the routes share: JSON errors, size refusals, and injected faults."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive

from runsapi.server._constants import FAULT_MESSAGE
from runsapi.server._faults import Fault
from runsapi.server._jsontext import response_json

_ABORT_POLLS = 10


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        response_json(payload), status_code=status, headers=headers, media_type="application/json"
    )


def error_response(status: int, message: str) -> Response:
    return json_response(status, {"errors": [{"message": message}]})


def too_large(limit: int) -> Response:
    return error_response(
        413, f"the request body is larger than the {limit:,} bytes this server takes"
    )


async def _abort(receive: Receive) -> None:
    """Close the client's connection without an answer (uvicorn's transport, reached
    through its receive callable; nothing in ASGI itself can do this)."""
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("cannot drop the connection: not served by uvicorn")
    transport.abort()
    for _ in range(_ABORT_POLLS):  # let uvicorn notice, so that it sends nothing
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0)


async def faulted(
    request: Request, fault: Fault | None, answer: Callable[[], Awaitable[Response]]
) -> Response:
    """`answer()`, or what the injected fault makes of it."""
    if fault is None:
        return await answer()
    if fault.mode == "status":
        headers = {} if fault.retry_after is None else {"Retry-After": fault.retry_after}
        return json_response(fault.status, {"errors": [FAULT_MESSAGE]}, headers)
    if fault.mode == "hang":
        await asyncio.sleep(fault.seconds)
        return await answer()
    if fault.mode == "drop":
        await _abort(request.receive)
        return Response(status_code=500)  # never sent: the connection is gone
    response = await answer()
    body = bytes(response.body)
    return Response(body[: len(body) // 2], status_code=200, media_type=response.media_type)
