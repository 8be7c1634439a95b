"""runsapi: a typed client for the Weights & Biases runs GraphQL API.

from runsapi import Api, F

with Api() as api:
    for run in api.runs("team/project", filters=F.state == "finished"):
        print(run.id, run.summary["loss"])
"""

from runsapi._config import Settings
from runsapi._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CommError,
    GraphQLError,
    GraphQLErrorDetail,
    GraphQLPermissionDeniedError,
    HTTPNotFoundError,
    HTTPPermissionDeniedError,
    IncompleteRunHistoryError,
    InternalServerError,
    InvalidFilterError,
    InvalidOrderError,
    InvalidPathError,
    InvalidValueError,
    LaunchError,
    NotFoundError,
    NotSupportedError,
    PaginationError,
    PermissionDeniedError,
    QueuedRunTimeoutError,
    RateLimitError,
    ResourceConfigWarning,
    ResponseValidationError,
    RunsApiError,
    UnsafePathError,
    UsageError,
)
from runsapi._filter_builder import (
    DisplayNameField,
    F,
    Field,
    Filter,
    NumberField,
    TagsField,
    TextField,
    TimeField,
    ValueField,
)
from runsapi._pagination import Paginator
from runsapi._paths import ProjectPath, ReportPath, RunPath, SweepPath
from runsapi._retry import NO_RETRIES, RetryPolicy
from runsapi._session import Client
from runsapi._shared.changes import Change
from runsapi._shared.manifest import ManifestEntry
from runsapi._tracked import Summary, TrackedDict
from runsapi._types import NOT_GIVEN, NotGiven
from runsapi._version import __version__
from runsapi.api import Api, Project, Viewer
from runsapi.artifact_draft import ArtifactDraft
from runsapi.artifact_files import ArtifactFile
from runsapi.artifacts import Artifact, ArtifactCollection, ArtifactType
from runsapi.files import File, Files
from runsapi.history import HistoryScan
from runsapi.history_exports import DownloadHistoryResult
from runsapi.launch import (
    QueuedRun,
    RunQueue,
    RunQueueAccessType,
    RunQueuePrioritizationMode,
    RunQueueResourceType,
)
from runsapi.launch_jobs import Job, JobCollection, JobSourceType
from runsapi.reports import Report, ReportAuthor
from runsapi.run import Run, RunState, User
from runsapi.runs import Runs
from runsapi.sweeps import Sweep
from runsapi.teams import Member, Team
from runsapi.users import UserAccount

__all__ = [
    "NOT_GIVEN",
    "NO_RETRIES",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "Api",
    "Artifact",
    "ArtifactCollection",
    "ArtifactDraft",
    "ArtifactFile",
    "ArtifactType",
    "AuthenticationError",
    "BadRequestError",
    "Change",
    "Client",
    "CommError",
    "DisplayNameField",
    "DownloadHistoryResult",
    "F",
    "Field",
    "File",
    "Files",
    "Filter",
    "GraphQLError",
    "GraphQLErrorDetail",
    "GraphQLPermissionDeniedError",
    "HTTPNotFoundError",
    "HTTPPermissionDeniedError",
    "HistoryScan",
    "IncompleteRunHistoryError",
    "InternalServerError",
    "InvalidFilterError",
    "InvalidOrderError",
    "InvalidPathError",
    "InvalidValueError",
    "Job",
    "JobCollection",
    "JobSourceType",
    "LaunchError",
    "ManifestEntry",
    "Member",
    "NotFoundError",
    "NotGiven",
    "NotSupportedError",
    "NumberField",
    "PaginationError",
    "Paginator",
    "PermissionDeniedError",
    "Project",
    "ProjectPath",
    "QueuedRun",
    "QueuedRunTimeoutError",
    "RateLimitError",
    "Report",
    "ReportAuthor",
    "ReportPath",
    "ResourceConfigWarning",
    "ResponseValidationError",
    "RetryPolicy",
    "Run",
    "RunPath",
    "RunQueue",
    "RunQueueAccessType",
    "RunQueuePrioritizationMode",
    "RunQueueResourceType",
    "RunState",
    "Runs",
    "RunsApiError",
    "Settings",
    "Summary",
    "Sweep",
    "SweepPath",
    "TagsField",
    "Team",
    "TextField",
    "TimeField",
    "TrackedDict",
    "UnsafePathError",
    "UsageError",
    "User",
    "UserAccount",
    "ValueField",
    "Viewer",
    "__version__",
]
