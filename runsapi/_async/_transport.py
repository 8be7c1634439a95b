"""HTTP plumbing: the configured httpx.AsyncClient and the retry loop.

This module knows URLs, headers, status codes and bytes, and nothing about runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import httpx

from runsapi._async import _backend
from runsapi._constants import MAX_CONNECTIONS, MAX_KEEPALIVE_CONNECTIONS, OPERATION_EXTENSION
from runsapi._http import (
    DEFAULT_TIMEOUT,
    USER_AGENT,
    ApiKeyAuth,
    DeadlineExceeded,
    RateLimitGate,
    describe_outcome,
)
from runsapi._responses import parse_retry_after
from runsapi._retry import RetryPolicy

logger = logging.getLogger("runsapi")


def build_http_client(
    *,
    base_url: str,
    api_key: str | None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.AsyncClient:
    """The httpx.AsyncClient one `AsyncApi` uses for all its requests (one connection pool)."""
    return httpx.AsyncClient(
        auth=ApiKeyAuth(api_key, base_url) if api_key else None,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        timeout=timeout,
        limits=httpx.Limits(
            max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_KEEPALIVE_CONNECTIONS
        ),
        transport=transport,
        follow_redirects=False,
    )


@dataclass(frozen=True)
class AsyncRetryingSender:
    """Sends requests through an httpx.AsyncClient, retrying as a RetryPolicy decides.

    The only place in runsapi that sleeps. A request is sent at most
    `policy.max_retries + 1` times, and no retry starts after `policy.deadline`; each
    attempt's timeouts are shortened so that it cannot run past the deadline either.
    """

    client: httpx.AsyncClient
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], Awaitable[None]] = _backend.sleep
    clock: Callable[[], float] = time.monotonic
    gate: RateLimitGate = field(default_factory=RateLimitGate)
    """Shared by the copies `with_options` makes, so a 429 pauses them all."""
    auth: httpx.Auth | None = None
    """Auth for a client that was given rather than built here (which has its own)."""

    async def send(
        self,
        request: httpx.Request,
        *,
        idempotent: bool,
        consume: Callable[[httpx.Response], Awaitable[None]] | None = None,
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
            await self._wait_at_gate(started)
            self._fit_into_deadline(request, started)
            outcome: httpx.Response | httpx.TransportError
            try:
                outcome = await self.client.send(request, auth=auth, stream=consume is not None)
                if consume is not None:
                    try:
                        if outcome.is_success:
                            await consume(outcome)
                        else:
                            await outcome.aread()
                    finally:
                        await outcome.aclose()
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
                await outcome.aclose()
            retries_done += 1
            logger.warning(
                "%s: %s; retry %d of %d in %.2f s",
                request.extensions.get(OPERATION_EXTENSION)
                or f"{request.method} {request.url.path}",
                describe_outcome(outcome),
                retries_done,
                self.policy.max_retries,
                wait,
            )
            await self.sleep(wait)

    def _remaining(self, started: float) -> float | None:
        deadline = self.policy.deadline
        return None if deadline is None else deadline - (self.clock() - started)

    async def _wait_at_gate(self, started: float) -> None:
        paused = self.gate.time_left(self.clock)
        while paused > 0:
            remaining = self._remaining(started)
            if remaining is not None and paused >= remaining:
                raise DeadlineExceeded(self.policy.deadline or 0.0)
            await self.sleep(paused)
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
