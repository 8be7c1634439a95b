"""runsapi: a typed client for the Weights & Biases runs GraphQL API.

from runsapi import Api, F

with Api() as api:
    for run in api.runs("team/project", filters=F.state == "finished"):
        print(run.id, run.summary["loss"])
"""

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
from runsapi._filters import F, Filter, InvalidFilterError, InvalidOrderError
from runsapi._json import InvalidValueError
from runsapi._paths import InvalidPathError
from runsapi._retry import NO_RETRIES, RetryPolicy
from runsapi._version import __version__
from runsapi.api import Api, Project, Viewer
from runsapi.files import UnsafePathError
from runsapi.history import HistoryScan
from runsapi.runs import Run, Runs, RunState, User

__all__ = [
    "NO_RETRIES",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "Api",
    "AuthenticationError",
    "BadRequestError",
    "CommError",
    "F",
    "Filter",
    "GraphQLError",
    "GraphQLErrorDetail",
    "HTTPNotFoundError",
    "HistoryScan",
    "InternalServerError",
    "InvalidFilterError",
    "InvalidOrderError",
    "InvalidPathError",
    "InvalidValueError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "Project",
    "RateLimitError",
    "ResponseValidationError",
    "RetryPolicy",
    "Run",
    "RunState",
    "Runs",
    "RunsApiError",
    "UnsafePathError",
    "UsageError",
    "User",
    "Viewer",
    "__version__",
]
