"""Reading what an HTTP response says about itself: Retry-After and GraphQL errors."""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Mapping
from datetime import timezone
from typing import Any

import httpx


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds a response asks the client to wait, from `retry-after-ms` or `Retry-After`.

    Retry-After may be a number of seconds or an HTTP date (RFC 9110 section 10.2.3); a
    date in the past gives 0. Returns None when absent or unusable (garbage, a negative,
    NaN or infinite number), so that the caller falls back to its own backoff.
    """
    millis = _seconds(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" or no zone: HTTP dates are in GMT
        when = when.replace(tzinfo=timezone.utc)
    return max(when.timestamp() - time.time(), 0.0)


def _seconds(text: str | None) -> float | None:
    """`text` as a finite, non-negative number, else None."""
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def graphql_errors(payload: object) -> list[dict[str, Any]] | None:
    """The GraphQL `errors` of a decoded response body, or None when it has none.

    Only spec-shaped errors (objects with a string `message`) count: a gateway's
    `{"errors": ["Server down"]}` is not a GraphQL error, and stays retryable.
    """
    if not isinstance(payload, dict):
        return None
    errors = payload.get("errors")
    if not isinstance(errors, list) or not errors:
        return None
    if all(isinstance(item, dict) and isinstance(item.get("message"), str) for item in errors):
        return errors
    return None


def carries_graphql_errors(response: httpx.Response) -> bool:
    """Whether a response's body is a GraphQL response with `errors`.

    The server executed such a request and said why it failed, so sending it again
    would fail again (a bad filter answered with HTTP 500, say).
    """
    try:
        payload = response.json()
    except (ValueError, UnicodeDecodeError):
        return False
    return graphql_errors(payload) is not None
