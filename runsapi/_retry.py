"""When to retry a request, and how long to wait first.

The decision (`RetryPolicy.should_retry`) and the delay (`RetryPolicy.delay`) are separate
so that tests and callers can change one without the other. The loop that applies them,
and the only place that sleeps, is `runsapi._transport.RetryingSender`.
"""

from __future__ import annotations

import numbers
import random
from dataclasses import dataclass, field

import httpx

from runsapi._checks import check_count, check_seconds
from runsapi._constants import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_DEADLINE,
    INITIAL_RETRY_DELAY,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    RETRY_JITTER,
)
from runsapi._exceptions import UsageError
from runsapi._responses import carries_graphql_errors, parse_retry_after

# 501 Not Implemented and 505 HTTP Version Not Supported will not change on a retry.
_RETRYABLE_STATUSES = frozenset({408, 429} | set(range(500, 600)) - {501, 505})

# Failures that prove the request never reached the server: safe to retry even for
# mutations, which are not idempotent.
_NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout)
_TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How many times, for how long, and after which failures a request is retried.

    Queries are retried after timeouts, network errors, HTTP 408, 429 and 5xx (but not
    501/505, nor a 5xx whose body carries GraphQL errors). Mutations are retried only when
    the request provably never reached the server, or the server refused it with 429.
    400, 401, 403 and 404 are never retried.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    """Retries after the first attempt; 0 disables retrying."""
    deadline: float | None = DEFAULT_RETRY_DEADLINE
    """Seconds from the first attempt after which no retry starts; None for no limit."""
    initial_delay: float = INITIAL_RETRY_DELAY
    max_delay: float = MAX_RETRY_DELAY
    jitter: float = RETRY_JITTER
    """Each backoff delay is reduced by a random fraction up to this."""
    max_retry_after: float = MAX_RETRY_AFTER
    """A Retry-After longer than this is not waited for: the error is raised at once."""
    _random: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_count(self.max_retries, "max_retries", allow_zero=True)
        if self.deadline is not None:
            check_seconds(self.deadline, "deadline")
        check_seconds(self.initial_delay, "initial_delay", allow_zero=True)
        check_seconds(self.max_delay, "max_delay", allow_zero=True)
        check_seconds(self.max_retry_after, "max_retry_after", allow_zero=True)
        jitter = self.jitter
        if isinstance(jitter, bool) or not isinstance(jitter, numbers.Real) or not 0 <= jitter < 1:
            raise UsageError(
                f"jitter must be a number from 0 up to (not including) 1, got {jitter!r}"
            )

    def should_retry(
        self, outcome: httpx.Response | Exception, *, retries_done: int, idempotent: bool
    ) -> bool:
        """Whether to send the request again after `outcome`."""
        if retries_done >= self.max_retries:
            return False
        if isinstance(outcome, Exception):
            if isinstance(outcome, _NOT_SENT_ERRORS):
                return True
            return idempotent and isinstance(outcome, _TRANSIENT_ERRORS)
        status = outcome.status_code
        if status not in _RETRYABLE_STATUSES:
            return False
        retry_after = parse_retry_after(outcome.headers)
        if retry_after is not None and retry_after > self.max_retry_after:
            return False
        if not idempotent and status != 429:
            return False
        return not carries_graphql_errors(outcome)

    def delay(self, retries_done: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retries_done + 1`.

        The server's Retry-After wins when given; otherwise exponential backoff from
        `initial_delay`, capped at `max_delay`, minus random jitter.
        """
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        # The exponent is capped so that 2.0**n cannot overflow (at n = 1024) on long retries.
        backoff = min(self.initial_delay * 2.0 ** min(retries_done, 64), self.max_delay)
        return backoff * (1.0 - self.jitter * self._random.random())


NO_RETRIES = RetryPolicy(max_retries=0)
"""A policy that sends each request once."""
