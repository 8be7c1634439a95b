"""HTTP plumbing: the configured httpx.Client, API-key auth, and the retry loop.

This module knows URLs, headers, status codes and bytes, and nothing about runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field

import httpx

from runsapi._constants import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_POOL_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_WRITE_TIMEOUT,
    MAX_CONNECTIONS,
    MAX_KEEPALIVE_CONNECTIONS,
    OPERATION_EXTENSION,
)
from runsapi._responses import parse_retry_after
from runsapi._retry import RetryPolicy
from runsapi._version import __version__

logger = logging.getLogger("runsapi")

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


def build_http_client(
    *,
    base_url: str,
    api_key: str | None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Client:
    """The httpx.Client one `Api` uses for all its requests (one connection pool)."""
    return httpx.Client(
        auth=ApiKeyAuth(api_key, base_url) if api_key else None,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        timeout=timeout,
        limits=httpx.Limits(
            max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_KEEPALIVE_CONNECTIONS
        ),
        transport=transport,
        follow_redirects=False,
    )


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


@dataclass(frozen=True)
class RetryingSender:
    """Sends requests through an httpx.Client, retrying as a RetryPolicy decides.

    The only place in runsapi that sleeps. A request is sent at most
    `policy.max_retries + 1` times, and no retry starts after `policy.deadline`; each
    attempt's timeouts are shortened so that it cannot run past the deadline either.
    """

    client: httpx.Client
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    gate: RateLimitGate = field(default_factory=RateLimitGate)
    """Shared by the copies `with_options` makes, so a 429 pauses them all."""
    auth: httpx.Auth | None = None
    """Auth for a client that was given rather than built here (which has its own)."""

    def send(
        self,
        request: httpx.Request,
        *,
        idempotent: bool,
        consume: Callable[[httpx.Response], None] | None = None,
    ) -> httpx.Response:
        """The final response (which may be an error status), after any retries.

        With `consume`, the body is streamed to it instead of read into memory, and a
        connection that fails mid-body is retried like any other (`consume` must then
        start over, e.g. truncate what it wrote). Raises the last httpx.TransportError
        when no attempt succeeded, or DeadlineExceeded when the deadline ran out while
        waiting to send.
        """
        started = self.clock()
        retries_done = 0
        auth = self.auth if self.auth is not None else httpx.USE_CLIENT_DEFAULT
        while True:
            self._wait_at_gate(started)
            self._fit_into_deadline(request, started)
            outcome: httpx.Response | httpx.TransportError
            try:
                outcome = self.client.send(request, auth=auth, stream=consume is not None)
                if consume is not None:
                    try:
                        if outcome.is_success:
                            consume(outcome)
                        else:
                            outcome.read()
                    finally:
                        outcome.close()
            except httpx.TransportError as exc:
                outcome = exc
            if isinstance(outcome, httpx.Response) and outcome.is_success:
                return outcome
            wait = self._delay_before_retry(outcome, retries_done, idempotent, started)
            if wait is None:
                if isinstance(outcome, Exception):
                    raise outcome
                return outcome
            if isinstance(outcome, httpx.Response):
                outcome.close()
            retries_done += 1
            logger.warning(
                "%s: %s; retry %d of %d in %.2f s",
                request.extensions.get(OPERATION_EXTENSION)
                or f"{request.method} {request.url.path}",
                _describe(outcome),
                retries_done,
                self.policy.max_retries,
                wait,
            )
            self.sleep(wait)

    def _remaining(self, started: float) -> float | None:
        deadline = self.policy.deadline
        return None if deadline is None else deadline - (self.clock() - started)

    def _wait_at_gate(self, started: float) -> None:
        paused = self.gate.time_left(self.clock)
        while paused > 0:
            remaining = self._remaining(started)
            if remaining is not None and paused >= remaining:
                raise DeadlineExceeded(self.policy.deadline or 0.0)
            self.sleep(paused)
            paused = self.gate.time_left(self.clock)

    def _fit_into_deadline(self, request: httpx.Request, started: float) -> None:
        """Shorten the attempt's timeouts so that it cannot end past the deadline."""
        remaining = self._remaining(started)
        if remaining is None:
            return
        if remaining <= 0:
            raise DeadlineExceeded(self.policy.deadline or 0.0)
        timeouts = request.extensions.get("timeout") or dict.fromkeys(
            ("connect", "read", "write", "pool")
        )
        request.extensions["timeout"] = {
            key: remaining if value is None else min(value, remaining)
            for key, value in timeouts.items()
        }

    def _delay_before_retry(
        self,
        outcome: httpx.Response | Exception,
        retries_done: int,
        idempotent: bool,
        started: float,
    ) -> float | None:
        """Seconds to wait before retrying after `outcome`, or None to give up."""
        policy = self.policy
        if not policy.should_retry(outcome, retries_done=retries_done, idempotent=idempotent):
            return None
        response = outcome if isinstance(outcome, httpx.Response) else None
        wait = policy.delay(retries_done, parse_retry_after(response.headers) if response else None)
        remaining = self._remaining(started)
        if remaining is not None and wait >= remaining:
            return None
        if response is not None and response.status_code == 429:
            self.gate.close_for(wait, self.clock)
        return wait


class DeadlineExceeded(Exception):
    """Internal: the retry deadline ran out before another attempt could start."""

    def __init__(self, deadline: float) -> None:
        super().__init__(f"retry deadline of {deadline:g} s exceeded")
        self.deadline = deadline


def _describe(outcome: httpx.Response | Exception) -> str:
    if isinstance(outcome, httpx.Response):
        return f"HTTP {outcome.status_code}"
    return type(outcome).__name__
