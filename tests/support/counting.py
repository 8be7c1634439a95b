"""An httpx transport that counts GraphQL requests by operation name."""

from __future__ import annotations

import json
from collections import Counter

import httpx


class CountingTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Wraps a transport and counts what goes through it (cassette replay included);
    serves an httpx.Client or an httpx.AsyncClient alike."""

    def __init__(
        self,
        inner: httpx.BaseTransport | None = None,
        inner_async: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.inner_async = inner_async or httpx.AsyncHTTPTransport()
        self.operations: Counter[str] = Counter()
        self.requests = 0

    def _count(self, request: httpx.Request, body: bytes) -> None:
        self.requests += 1
        if request.method == "POST":
            try:
                name = json.loads(body).get("operationName") or "?"
            except ValueError:
                name = "?"
            self.operations[name] += 1

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._count(request, request.read() if request.method == "POST" else b"")
        return self.inner.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._count(request, await request.aread() if request.method == "POST" else b"")
        return await self.inner_async.handle_async_request(request)

    def reset(self) -> None:
        self.operations.clear()
        self.requests = 0

    def close(self) -> None:
        self.inner.close()

    async def aclose(self) -> None:
        await self.inner_async.aclose()
