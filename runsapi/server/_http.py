"""HTTP answers the routes share: JSON errors, size refusals, injected faults, and the
wire every answer goes through (counted, and held back by the server's latency)."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


def latency_seconds(latency_ms: object) -> float:
    """`latency_ms` in seconds; ValueError unless it is a finite number, 0 or more."""
    if (
        isinstance(latency_ms, bool)
        or not isinstance(latency_ms, (int, float))
        or not math.isfinite(latency_ms)
        or latency_ms < 0
    ):
        raise ValueError(
            "latency_ms takes a number of milliseconds, 0 or more (0: no delay);"
            f" got {latency_ms!r}"
        )
    return latency_ms / 1000


class Wire:
    """Every HTTP request the server takes, whatever its route: counted, with the bytes of
    its answer, and its answer held `latency` seconds before its first byte is sent, the
    round trip of a distant server (`LocalServer(latency_ms=...)`).

    The hold is an `asyncio.sleep` in the ASGI layer (WireMiddleware), so held answers
    overlap and other requests are served meanwhile; `held` is how many are held now,
    `peak_held` the most at once. Changed on the event loop, read and reset from any thread.
    """

    def __init__(self, latency_ms: float = 0) -> None:
        self.latency = latency_seconds(latency_ms)
        self._lock = threading.Lock()
        self._requests = 0
        self._bytes_sent = 0
        self._held = 0
        self._peak_held = 0

    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests

    @property
    def bytes_sent(self) -> int:
        """Body bytes of the answers sent, headers excluded."""
        with self._lock:
            return self._bytes_sent

    @property
    def held(self) -> int:
        with self._lock:
            return self._held

    @property
    def peak_held(self) -> int:
        with self._lock:
            return self._peak_held

    def reset(self) -> None:
        """Zero the counts; the peak restarts from the answers held now."""
        with self._lock:
            self._requests = self._bytes_sent = 0
            self._peak_held = self._held

    def received(self) -> None:
        with self._lock:
            self._requests += 1

    def sent(self, size: int) -> None:
        with self._lock:
            self._bytes_sent += size

    async def hold(self) -> None:
        """Wait out the latency, counted among the answers held meanwhile."""
        with self._lock:
            self._held += 1
            self._peak_held = max(self._peak_held, self._held)
        try:
            await asyncio.sleep(self.latency)
        finally:
            with self._lock:
                self._held -= 1


class WireMiddleware:
    """The ASGI middleware that puts every HTTP request of `app` through `wire`."""

    def __init__(self, app: ASGIApp, wire: Wire) -> None:
        self.app = app
        self.wire = wire

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wire = self.wire
        wire.received()

        async def send_through(message: Message) -> None:
            if message["type"] == "http.response.start" and wire.latency > 0:
                await wire.hold()
            elif message["type"] == "http.response.body":
                wire.sent(len(message.get("body", b"")))
            await send(message)

        await self.app(scope, receive, send_through)
