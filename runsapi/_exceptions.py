"""The runsapi error tree, and the one place that maps failures onto it.

    RunsApiError
    ├── UsageError                 bad arguments or configuration, raised before any request
    │   ├── InvalidPathError       a run or project path, or a new run's id
    │   ├── InvalidFilterError     a run filter
    │   ├── InvalidOrderError      a sort order
    │   ├── InvalidValueError      a config or summary value JSON cannot hold (also a TypeError)
    │   └── UnsafePathError        a file name a download must not write
    ├── APIConnectionError         no HTTP response: refused, reset or dropped connection
    │   └── APITimeoutError        connect, read, write or pool timeout; deadline exceeded
    ├── APIStatusError             the server answered with a non-2xx status
    │   ├── BadRequestError        400
    │   ├── AuthenticationError    401
    │   ├── HTTPPermissionDeniedError  403 (also a PermissionDeniedError)
    │   ├── HTTPNotFoundError      404 (also a NotFoundError)
    │   ├── RateLimitError         429
    │   └── InternalServerError    5xx
    ├── NotFoundError              a project, run or file does not exist (also a LookupError)
    ├── PermissionDeniedError      the API key's user may not do this (HTTP 403 or GraphQL)
    ├── GraphQLError               the response carried GraphQL `errors`
    │   └── GraphQLPermissionDeniedError  a PERMISSION_ERROR (also a PermissionDeniedError)
    ├── ResponseValidationError    the response does not have the shape the schema promises
    ├── PaginationError            a connection's cursor did not advance
    ├── IncompleteRunHistoryError  a run has history not exported to parquet yet
    └── NotSupportedError          what W&B offers, runsapi not yet (a NotImplementedError)

Every message names the GraphQL operation and the server's own words, and never contains
the API key: the mapper functions below redact it from anything the server echoes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import pydantic

from runsapi._responses import graphql_errors, parse_retry_after

# The `extensions.code` of a GraphQL error W&B answers an admin's operation with.
PERMISSION_ERROR_CODE = "PERMISSION_ERROR"
# Longest piece of a non-JSON error body quoted in a message.
_MAX_BODY_IN_MESSAGE = 500
_REDACTED = "[REDACTED]"


class RunsApiError(Exception):
    """Base class of every error runsapi raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        """The human-readable message, also given by `str()`."""


class UsageError(RunsApiError, ValueError):
    """An argument or setting is wrong; raised before any request is sent."""


class InvalidFilterError(UsageError):
    """A run filter W&B would reject or misread; raised before any request is sent."""

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(f"invalid filter at {path}: {message}" if path else message)
        self.path = path
        """Where in the filter the problem is, such as `$and[1].config.lr`; empty for the whole."""


class InvalidOrderError(UsageError):
    """A sort order the runs query does not accept; raised before any request is sent."""


class InvalidPathError(UsageError):
    """A run or project path that matches none of the accepted forms."""


class InvalidValueError(UsageError, TypeError):
    """A config or summary value that cannot be stored as JSON, refused when it is set.

    A TypeError too (a UsageError is a ValueError): the value's type is what is wrong, and
    `json` raises TypeError for it, so code that catches that keeps working.
    """


class UnsafePathError(UsageError):
    """A file name that could write outside the download directory; nothing was written."""


class NotLoadedError(UsageError):
    """`AsyncApi`: a property read before what it shows was loaded (a property cannot
    await a request); the message names the coroutine to await first."""


class NotSupportedError(RunsApiError, NotImplementedError):
    """Something W&B offers that runsapi does not support yet; raised before any request
    is sent."""


class LaunchError(RunsApiError):
    """The server answered a run queue mutation with `success: false`."""


class QueuedRunTimeoutError(RunsApiError, TimeoutError):
    """`QueuedRun.wait_until_running` gave up: no run was started for the item in time."""

    def __init__(self, message: str, *, item_id: str, state: str, timeout: float) -> None:
        super().__init__(message)
        self.item_id = item_id
        self.state = state
        """The item's state when the wait ended (lower-cased, `pending` and so on)."""
        self.timeout = timeout


class ResourceConfigWarning(UserWarning):
    """A problem the server found in a queue's resource config template (W&B's
    `configSchemaValidationErrors`), such as a placeholder no template variable names."""


class APIConnectionError(RunsApiError):
    """The request got no HTTP response (connection refused, reset or dropped)."""

    def __init__(self, message: str, *, operation: str | None = None) -> None:
        super().__init__(message)
        self.operation = operation
        """The GraphQL operation, when the request was one."""


class APITimeoutError(APIConnectionError):
    """A connect, read, write or pool timeout, or the retry deadline, expired."""


class APIStatusError(RunsApiError):
    """The server answered with a non-2xx HTTP status."""

    def __init__(self, message: str, *, response: httpx.Response, operation: str | None) -> None:
        self.response = response
        """The final HTTP response (after retries)."""
        self.status_code: int = response.status_code
        """The HTTP status; a `Literal` in the subclasses of one status, as in openai-python."""
        self.operation = operation
        """The GraphQL operation, when the request was one."""
        super().__init__(message)


class BadRequestError(APIStatusError):
    """HTTP 400: the server rejected the request as malformed."""

    status_code: Literal[400] = 400


class AuthenticationError(APIStatusError):
    """HTTP 401: the API key is missing or invalid."""

    status_code: Literal[401] = 401


class PermissionDeniedError(RunsApiError):
    """The API key's user may not do this: the server refused with HTTP 403
    (HTTPPermissionDeniedError) or with a GraphQL error whose `extensions.code` is
    PERMISSION_ERROR (GraphQLPermissionDeniedError), as W&B answers an operation reserved
    to server or team admins. Nothing was changed."""


class HTTPPermissionDeniedError(APIStatusError, PermissionDeniedError):
    """HTTP 403: the API key may not access this resource."""

    status_code: Literal[403] = 403


class NotFoundError(RunsApiError, LookupError):
    """A project, run, file or URL that was asked for does not exist."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        """What was looked up, such as `entity/project/run_id`, when known."""
        super().__init__(message)


class HTTPNotFoundError(APIStatusError, NotFoundError):
    """HTTP 404."""

    status_code: Literal[404] = 404


class RateLimitError(APIStatusError):
    """HTTP 429: too many requests, still refused after the allowed retries."""

    status_code: Literal[429] = 429

    def __init__(self, message: str, *, response: httpx.Response, operation: str | None) -> None:
        super().__init__(message, response=response, operation=operation)
        self.retry_after = parse_retry_after(response.headers)
        """Seconds the server asked to wait (Retry-After), when it said."""


class InternalServerError(APIStatusError):
    """HTTP 5xx, still failing after the allowed retries."""


@dataclass(frozen=True)
class GraphQLErrorDetail:
    """One entry of a GraphQL response's `errors` list."""

    message: str
    path: tuple[str | int, ...] | None = None
    locations: tuple[tuple[int, int], ...] | None = None
    extensions: dict[str, Any] = field(default_factory=dict)


class GraphQLError(RunsApiError):
    """The server executed the operation but reported errors (HTTP 200 with `errors`)."""

    def __init__(
        self,
        message: str,
        *,
        errors: list[GraphQLErrorDetail],
        data: dict[str, Any] | None,
        operation: str | None,
    ) -> None:
        self.errors = errors
        """Every error the server reported, in order."""
        self.data = data
        """The partial `data` the server returned beside the errors, if any."""
        self.operation = operation
        super().__init__(message)


class GraphQLPermissionDeniedError(GraphQLError, PermissionDeniedError):
    """A GraphQL error with `extensions.code` PERMISSION_ERROR: an operation reserved to
    server admins (listing or creating users) or a team's admins (changing its members)."""


class ResponseValidationError(RunsApiError):
    """The server's answer does not have the shape schema.graphql promises."""

    def __init__(
        self, message: str, *, operation: str | None, error: pydantic.ValidationError | None
    ) -> None:
        self.operation = operation
        self.validation_error = error
        """pydantic's description of every mismatch; None when the body was not JSON."""
        super().__init__(message)


class IncompleteRunHistoryError(RunsApiError):
    """`download_history_exports(require_complete_history=True)` of a run that has rows
    not exported to parquet yet (it is running, or its export is not done); nothing was
    downloaded. The official client raises its own error of this name."""


class PaginationError(RunsApiError):
    """A paginated connection misbehaved: its cursor did not advance or pageInfo is missing."""


CommError = RunsApiError
"""Alias for code written against the official client, which raises `wandb.CommError`."""

_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: HTTPPermissionDeniedError,
    404: HTTPNotFoundError,
    429: RateLimitError,
}


def redact(text: str, secret: str | None) -> str:
    """Return `text` with every occurrence of `secret` replaced."""
    if secret:
        return text.replace(secret, _REDACTED)
    return text


def _label(operation: str | None) -> str:
    return operation or "request"


def graphql_error_details(payload: object) -> list[GraphQLErrorDetail] | None:
    """The GraphQL `errors` of a decoded response body as typed details, or None."""
    errors = graphql_errors(payload)
    if errors is None:
        return None
    details = []
    for item in errors:
        path = item.get("path")
        locations = item.get("locations")
        extensions = item.get("extensions")
        details.append(
            GraphQLErrorDetail(
                message=item["message"],
                path=tuple(path) if isinstance(path, list) else None,
                locations=tuple(
                    (loc.get("line", 0), loc.get("column", 0))
                    for loc in locations
                    if isinstance(loc, dict)
                )
                if isinstance(locations, list)
                else None,
                extensions=extensions if isinstance(extensions, dict) else {},
            )
        )
    return details


def _server_message(response: httpx.Response) -> str:
    """What the server said in an error response, as briefly as it said it."""
    try:
        payload = response.json()
    except (ValueError, UnicodeDecodeError):
        text = response.text.strip()
        return text[:_MAX_BODY_IN_MESSAGE] + ("..." if len(text) > _MAX_BODY_IN_MESSAGE else "")
    details = graphql_error_details(payload)
    if details:
        return "; ".join(detail.message for detail in details)
    if isinstance(payload, dict):
        errors = payload.get("errors") or payload.get("error") or payload.get("message")
        if errors:
            return errors if isinstance(errors, str) else json.dumps(errors)
    return response.text.strip()[:_MAX_BODY_IN_MESSAGE]


def error_for_status(
    response: httpx.Response, *, operation: str | None, secret: str | None
) -> APIStatusError:
    """The typed error for a non-2xx response."""
    status = response.status_code
    cls = _STATUS_ERRORS.get(status, InternalServerError if status >= 500 else APIStatusError)
    reason = f"HTTP {status} {response.reason_phrase}".rstrip()
    said = _server_message(response)
    message = f"{_label(operation)} failed: {reason}" + (f": {said}" if said else "")
    if status == 401:
        message += " (check the API key: WANDB_API_KEY, api_key= or ~/.netrc)"
    return cls(redact(message, secret), response=response, operation=operation)


def error_for_transport(
    exc: httpx.TransportError, *, operation: str | None, secret: str | None
) -> APIConnectionError:
    """The typed error for a request that got no response."""
    cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    what = type(exc).__name__
    detail = str(exc) or what
    try:
        where = f" ({exc.request.method} {exc.request.url.copy_with(query=None)})"
    except RuntimeError:  # the exception carries no request
        where = ""
    message = f"{_label(operation)} failed: {what}: {detail}{where}"
    if cls is APITimeoutError:
        message += "; pass a larger timeout (Api(timeout=...) or with_options(timeout=...))"
    return cls(redact(message, secret), operation=operation)


def error_for_deadline(operation: str | None, deadline: float) -> APITimeoutError:
    """The error raised when retrying would run past the total deadline."""
    return APITimeoutError(
        f"{_label(operation)} failed: gave up after the {deadline:g} s retry deadline",
        operation=operation,
    )


def error_for_graphql(
    details: list[GraphQLErrorDetail],
    data: dict[str, Any] | None,
    *,
    operation: str | None,
    secret: str | None,
) -> GraphQLError:
    """The typed error for a response whose body carries GraphQL `errors`: a
    GraphQLPermissionDeniedError when one of them is a PERMISSION_ERROR."""
    said = "; ".join(detail.message for detail in details)
    redacted = [
        GraphQLErrorDetail(
            message=redact(d.message, secret),
            path=d.path,
            locations=d.locations,
            extensions=d.extensions,
        )
        for d in details
    ]
    denied = any(d.extensions.get("code") == PERMISSION_ERROR_CODE for d in details)
    cls = GraphQLPermissionDeniedError if denied else GraphQLError
    return cls(
        redact(f"{_label(operation)} failed: {said}", secret),
        errors=redacted,
        data=data,
        operation=operation,
    )


def error_for_invalid_body(
    response: httpx.Response, *, operation: str | None, secret: str | None
) -> ResponseValidationError:
    """The typed error for a 2xx body that is not a GraphQL response (truncated, not JSON)."""
    text = response.text.strip()
    shown = text[:200] + ("..." if len(text) > 200 else "")
    message = (
        f"{_label(operation)} failed: the server's response is not a GraphQL response: {shown!r}"
    )
    return ResponseValidationError(
        redact(message, secret),
        operation=operation,
        error=None,
    )


def error_for_response_shape(
    exc: pydantic.ValidationError, *, operation: str | None
) -> ResponseValidationError:
    """The typed error for a response that does not fit the generated models."""
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or '<root>'}: {error['msg']}"
        for error in exc.errors()[:5]
    )
    more = exc.error_count() - 5
    if more > 0:
        problems += f"; and {more} more"
    return ResponseValidationError(
        f"{_label(operation)} returned data that does not match the schema: {problems}",
        operation=operation,
        error=exc,
    )
