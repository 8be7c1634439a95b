"""An httpx transport that counts GraphQL requests by operation name."""

from __future__ import annotations

import json
from collections import Counter

import httpx


class CountingTransport(httpx.BaseTransport):
    """Wraps a transport and counts what goes through it (cassette replay included)."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.operations: Counter[str] = Counter()
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if request.method == "POST":
            try:
                name = json.loads(request.read()).get("operationName") or "?"
            except ValueError:
                name = "?"
            self.operations[name] += 1
        return self.inner.handle_request(request)

    def reset(self) -> None:
        self.operations.clear()
        self.requests = 0

    def close(self) -> None:
        self.inner.close()
