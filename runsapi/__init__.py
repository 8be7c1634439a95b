"""runsapi: a typed client for the Weights & Biases runs GraphQL API."""

from runsapi._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CommError,
    GraphQLError,
    GraphQLErrorDetail,
    HTTPNotFoundError,
    InternalServerError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    RunsApiError,
    UsageError,
)
from runsapi._retry import NO_RETRIES, RetryPolicy
from runsapi._version import __version__

__all__ = [
    "NO_RETRIES",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CommError",
    "GraphQLError",
    "GraphQLErrorDetail",
    "HTTPNotFoundError",
    "InternalServerError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "RetryPolicy",
    "RunsApiError",
    "UsageError",
    "__version__",
]
