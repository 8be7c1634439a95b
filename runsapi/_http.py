"""HTTP pieces both layers share: API-key auth, the User-Agent, the default timeouts,
the rate-limit gate, and the deadline error of the retry loop."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator

import httpx

from runsapi._constants import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_POOL_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_WRITE_TIMEOUT,
)
from runsapi._version import __version__

USER_AGENT = f"runsapi/{__version__}"

DEFAULT_TIMEOUT = httpx.Timeout(
    connect=DEFAULT_CONNECT_TIMEOUT,
    read=DEFAULT_READ_TIMEOUT,
    write=DEFAULT_WRITE_TIMEOUT,
    pool=DEFAULT_POOL_TIMEOUT,
)


class ApiKeyAuth(httpx.Auth):
    """HTTP basic auth `api:<key>`, sent only to URLs under the API's base URL.

    W&B hands out presigned storage URLs for files; those must not receive the key.
    """

    def __init__(self, api_key: str, base_url: str) -> None:
        self._header = httpx.BasicAuth("api", api_key)
        base = httpx.URL(base_url)
        self._scheme, self._host, self._port = base.scheme, base.host, base.port
        self._path = base.path.rstrip("/")

    def covers(self, url: httpx.URL) -> bool:
        """Whether `url` is under the base URL (same scheme, host, port and path prefix)."""
        return (url.scheme, url.host, url.port) == (self._scheme, self._host, self._port) and (
            url.path == self._path or url.path.startswith(self._path + "/")
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.covers(request.url):
            yield from self._header.auth_flow(request)
        else:
            yield request

    def __repr__(self) -> str:
        return "ApiKeyAuth(api_key=[REDACTED])"


class RateLimitGate:
    """Holds every request of one client back while the server asks for a pause.

    When one request is answered 429 with Retry-After, its siblings on other threads
    would hit the same limit; they wait out the same pause instead.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0

    def close_for(self, seconds: float, clock: Callable[[], float]) -> None:
        with self._lock:
            self._until = max(self._until, clock() + seconds)

    def time_left(self, clock: Callable[[], float]) -> float:
        with self._lock:
            return max(self._until - clock(), 0.0)


class DeadlineExceeded(Exception):
    """Internal: the retry deadline ran out before another attempt could start."""

    def __init__(self, deadline: float) -> None:
        super().__init__(f"retry deadline of {deadline:g} s exceeded")
        self.deadline = deadline


def describe_outcome(outcome: httpx.Response | Exception) -> str:
    if isinstance(outcome, httpx.Response):
        return f"HTTP {outcome.status_code}"
    return type(outcome).__name__
