"""Reading what an HTTP response says about itself: Retry-After and GraphQL errors."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any

import httpx


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds a response asks the client to wait, from `retry-after-ms` or `Retry-After`.

    Retry-After may be a number of seconds or an HTTP date (RFC 9110 section 10.2.3).
    Returns None when absent or unreadable; a date in the past gives 0.
    """
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


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
