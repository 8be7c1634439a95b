"""runsapi: a typed client for the Weights & Biases runs GraphQL API.

from runsapi import Api, F

with Api() as api:
    for run in api.runs("team/project", filters=F.state == "finished"):
        print(run.id, run.summary["loss"])

`AsyncApi` is the same surface for asyncio (`async with AsyncApi() as api`, `await`,
`async for`); the sync layer is generated from it (runsapi/_async -> runsapi/_sync).
"""

from runsapi._async._pagination import AsyncPaginator
from runsapi._async._session import AsyncClient
from runsapi._async.api import AsyncApi, AsyncProject, AsyncViewer
from runsapi._async.artifact_files import AsyncArtifactFile
from runsapi._async.artifacts import AsyncArtifact, AsyncArtifactCollection, AsyncArtifactType
from runsapi._async.files import AsyncFile, AsyncFiles
from runsapi._async.history import AsyncHistoryScan
from runsapi._async.history_exports import AsyncDownloadHistoryResult
from runsapi._async.launch import AsyncQueuedRun, AsyncRunQueue
from runsapi._async.launch_jobs import AsyncJob, AsyncJobCollection
from runsapi._async.reports import AsyncReport
from runsapi._async.run import AsyncRun
from runsapi._async.runs import AsyncRuns
from runsapi._async.sweeps import AsyncSweep
from runsapi._async.teams import AsyncMember, AsyncTeam
from runsapi._async.users import AsyncUserAccount
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
    NotLoadedError,
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
from runsapi._export import ExportSummary, export
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
from runsapi._paths import ProjectPath, ReportPath, RunPath, SweepPath
from runsapi._retry import NO_RETRIES, RetryPolicy
from runsapi._shared.changes import Change
from runsapi._shared.manifest import ManifestEntry
from runsapi._sync._pagination import Paginator
from runsapi._sync._session import Client
from runsapi._sync.api import Api, Project, Viewer
from runsapi._sync.artifact_files import ArtifactFile
from runsapi._sync.artifacts import Artifact, ArtifactCollection, ArtifactType
from runsapi._sync.files import File, Files
from runsapi._sync.history import HistoryScan
from runsapi._sync.history_exports import DownloadHistoryResult
from runsapi._sync.launch import (
    QueuedRun,
    RunQueue,
    RunQueueAccessType,
    RunQueuePrioritizationMode,
    RunQueueResourceType,
)
from runsapi._sync.launch_jobs import Job, JobCollection, JobSourceType
from runsapi._sync.reports import Report, ReportAuthor
from runsapi._sync.run import Run, RunState, User
from runsapi._sync.runs import Runs
from runsapi._sync.sweeps import Sweep
from runsapi._sync.teams import Member, Team
from runsapi._sync.users import UserAccount
from runsapi._tracked import Summary, TrackedDict
from runsapi._types import NOT_GIVEN, NotGiven
from runsapi._version import __version__
from runsapi.artifact_draft import ArtifactDraft

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
    "AsyncApi",
    "AsyncArtifact",
    "AsyncArtifactCollection",
    "AsyncArtifactFile",
    "AsyncArtifactType",
    "AsyncClient",
    "AsyncDownloadHistoryResult",
    "AsyncFile",
    "AsyncFiles",
    "AsyncHistoryScan",
    "AsyncJob",
    "AsyncJobCollection",
    "AsyncMember",
    "AsyncPaginator",
    "AsyncProject",
    "AsyncQueuedRun",
    "AsyncReport",
    "AsyncRun",
    "AsyncRunQueue",
    "AsyncRuns",
    "AsyncSweep",
    "AsyncTeam",
    "AsyncUserAccount",
    "AsyncViewer",
    "AuthenticationError",
    "BadRequestError",
    "Change",
    "Client",
    "CommError",
    "DisplayNameField",
    "DownloadHistoryResult",
    "ExportSummary",
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
    "NotLoadedError",
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
    "export",
]
