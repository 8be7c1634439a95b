"""`Api`: the entry point, one per server and user, cheap to create and safe to share."""

from __future__ import annotations

import os
import secrets
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

from runsapi import _launch_checks as launch_checks
from runsapi._async import _backend
from runsapi._async._file_stream import finish_run
from runsapi._async._pagination import AsyncPaginator
from runsapi._async._session import AsyncClient, AsyncSession
from runsapi._async.artifacts import (
    AsyncArtifact,
    AsyncArtifactCollection,
    AsyncArtifactType,
    find_artifact,
    find_collection,
    find_type,
    list_collections,
    list_types,
    list_versions,
)
from runsapi._async.launch import (
    AsyncQueuedRun,
    AsyncRunQueue,
    RunQueuePrioritizationMode,
    RunQueueResourceType,
    create_queue,
    find_queue,
    find_queued_run,
    upsert_queue,
)
from runsapi._async.launch_jobs import AsyncJob, AsyncJobCollection, list_jobs, load_job
from runsapi._async.reports import AsyncReport, find_report, list_reports
from runsapi._async.run import AsyncRun
from runsapi._async.runs import GROWING_PER_PAGE, AsyncRuns
from runsapi._async.sweeps import AsyncSweep, find_sweep, list_sweeps, parse_sweep_reference
from runsapi._async.teams import AsyncTeam, create_team, find_team
from runsapi._async.users import AsyncUserAccount, create_user, find_user, search_users
from runsapi._checks import check_count
from runsapi._config import resolve_settings
from runsapi._constants import (
    DEFAULT_ORDER,
    DEFAULT_PER_PAGE,
    DEFAULT_PROJECT,
    DEFAULT_PROJECTS_PER_PAGE,
)
from runsapi._exceptions import (
    InvalidPathError,
    NotFoundError,
    NotLoadedError,
    ResponseValidationError,
    UsageError,
)
from runsapi._http import USER_AGENT
from runsapi._json import check_storable, encode
from runsapi._pages import Page, page_of
from runsapi._paths import (
    ArtifactPath,
    ProjectPath,
    RunPath,
    check_run_id,
    parse_artifact_path,
    parse_project_path,
    parse_report_path,
    parse_run_path,
    path_kind,
)
from runsapi._retry import RetryPolicy
from runsapi._shared.json_codec import wrap_config
from runsapi._shared.launch_rules import LAUNCH_PROJECT
from runsapi._time import as_utc
from runsapi._types import NOT_GIVEN, NotGiven
from runsapi.tensorboard import read_log_dir

if TYPE_CHECKING:
    import httpx

    from runsapi._async._gql import ProjectData
    from runsapi._async._session import AsyncSession as _Session
    from runsapi._config import Settings
    from runsapi._filter_builder import Filter

_RUN_ID_ALPHABET = string.ascii_lowercase + string.digits
_RUN_ID_LENGTH = 8

_T = TypeVar("_T")


@dataclass(frozen=True)
class AsyncViewer:
    """The user the API key belongs to."""

    id: str
    name: str
    username: str | None
    email: str | None
    entity: str | None
    """The user's default entity."""


@dataclass(frozen=True)
class AsyncProject:
    """A project."""

    id: str
    internal_id: str
    name: str
    entity: str
    created_at: datetime
    description: str | None
    read_only: bool
    _session: _Session = field(repr=False, compare=False)

    @property
    def path(self) -> ProjectPath:
        return ProjectPath(self.entity, self.name)

    @classmethod
    def _from(cls, data: ProjectData, session: _Session) -> AsyncProject:
        created = as_utc(data.created_at)
        assert created is not None
        return cls(
            id=data.id,
            internal_id=data.internal_id,
            name=data.name,
            entity=data.entity_name,
            created_at=created,
            description=data.description,
            read_only=bool(data.read_only),
            _session=session,
        )

    def sweeps(
        self, per_page: int = DEFAULT_PER_PAGE, filters: Mapping[str, str] | None = None
    ) -> AsyncPaginator[AsyncSweep]:
        """The project's sweeps, oldest first, a page at a time; `filters` is `{}` or
        `{"state": "RUNNING"}` (checked before any request). Unfiltered, `len()` is the
        server's count."""
        return list_sweeps(self._session, self.path, per_page=per_page, filters=filters)


class AsyncApi:
    """A client for one W&B server, as one user.

    Settings are found as the official client finds them: the arguments, then the
    environment (WANDB_API_KEY, WANDB_BASE_URL, WANDB_ENTITY, WANDB_PROJECT), then the
    settings file `wandb login --host` writes (`$WANDB_CONFIG_DIR/settings` or
    `~/.config/wandb/settings`), and the key in the netrc entry for the base URL's host
    (`$NETRC` or `~/.netrc`). Close it (or use `with Api() as api:`) to release its
    connections.

    Args:
        overrides: `base_url`, `entity`, `project` and `app_url`, as in the official client.
        timeout: Seconds to wait for a response (connecting keeps its own 10 s limit), an
            `httpx.Timeout`, or None for no limit.
        api_key: The API key; never shown in reprs, logs or errors.
        max_retries: Retries after a transient failure (default 4); see RetryPolicy.
        retry_policy: The full retry policy, when `max_retries` is not enough.
        http_client: An httpx.Client to send through instead of a new one.
        transport: An httpx transport for the new client (for tests and proxies).
    """

    def __init__(
        self,
        overrides: Mapping[str, str | None] | None = None,
        timeout: float | httpx.Timeout | None | NotGiven = NOT_GIVEN,
        api_key: str | None = None,
        *,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        settings = resolve_settings(
            overrides=overrides,
            api_key=api_key,
            timeout=timeout,
            retry_policy=retry_policy,
            max_retries=max_retries,
        )
        session = AsyncSession.connect(settings, http_client=http_client, transport=transport)
        self._start(session, owns_client=http_client is None)

    @classmethod
    def _from_session(cls, session: AsyncSession, *, default_entity: str | None) -> AsyncApi:
        """An Api over an existing session (a `with_options` copy): it owns no client."""
        api = cls.__new__(cls)
        api._start(session, owns_client=False, default_entity=default_entity)
        return api

    def _start(
        self, session: AsyncSession, *, owns_client: bool, default_entity: str | None = None
    ) -> None:
        self._session = session
        self._client = AsyncClient(session)
        self._owns_client = owns_client
        self._lock = _backend.RLock()
        self._default_entity = default_entity

    @property
    def settings(self) -> Settings:
        """The resolved settings (base URL, entity, project, timeout, retry policy)."""
        return self._session.settings

    @property
    def api_key(self) -> str | None:
        """The API key this Api sends (None when none was found)."""
        return self.settings.api_key

    @property
    def user_agent(self) -> str:
        """The User-Agent header this Api sends: `runsapi/<version>`."""
        return USER_AGENT

    @property
    def client(self) -> AsyncClient:
        """The connection this Api sends through, for `Runs(client=api.client, ...)`."""
        return self._client

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
    ) -> AsyncApi:
        """A copy with another timeout or retry count, sharing this Api's connections.

        `api.with_options(timeout=300).runs(...)` applies to that call's requests only.
        """
        session = self._session.with_options(timeout=timeout, max_retries=max_retries)
        return AsyncApi._from_session(session, default_entity=self._default_entity)

    # -- lifecycle ------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Stop the listings made through this Api or its `with_options` copies from
        fetching pages in the background (each waits for a request it has on the wire),
        then close the connections (unless the httpx client was given by the caller)."""
        await self._session.listings.close_all()
        if self._owns_client:
            await self._session.gql.aclose()

    async def __aenter__(self) -> AsyncApi:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        entity = f", entity={self.settings.entity!r}" if self.settings.entity else ""
        return f"<Api {self.settings.base_url}{entity}>"

    # -- who and where --------------------------------------------------------------------

    @property
    async def viewer(self) -> AsyncViewer:
        """The user the API key belongs to (one request each time)."""
        viewer = (await self._session.gql.get_viewer()).viewer
        if viewer is None:
            raise ResponseValidationError(
                "GetViewer returned no viewer; check the API key", operation="GetViewer", error=None
            )
        return AsyncViewer(viewer.id, viewer.name, viewer.username, viewer.email, viewer.entity)

    @property
    async def default_entity(self) -> str | None:
        """The configured entity, else the viewer's default entity (asked once, cached)."""
        if self.settings.entity:
            return self.settings.entity
        async with self._lock:
            if self._default_entity is None:
                viewer = (await self._session.gql.get_default_entity()).viewer
                self._default_entity = viewer.entity if viewer else None
            return self._default_entity

    def _entity(self) -> str | None:
        """The default entity for parsing a path that lacks one: in the async layer it
        must be known already (see `_parsed`), in the sync one it is asked for now."""
        if self.settings.entity or self._default_entity is not None:
            return self.settings.entity or self._default_entity
        _backend.load_on_access(
            lambda: self.default_entity,
            missing="the default entity (this path names no entity)",
            how="api.default_entity",
        )
        return self._default_entity

    async def _parsed(self, parse: Callable[[], _T]) -> _T:
        """`parse()`, asking for the default entity first when the path needs it and it
        is not known yet (a listing, which is not awaited, cannot ask: it raises
        NotLoadedError in the async layer instead)."""
        try:
            return parse()
        except NotLoadedError:
            await self.default_entity
            return parse()

    def _default_project(self) -> str | None:
        return self.settings.project

    def flush(self) -> None:
        """Forget cached lookups (the default entity). Runs and Runs objects hold no cache
        beyond what they loaded: call `run.load(force=True)` to re-read a run."""
        with self._lock:
            self._default_entity = None

    def _project_path(self, path: str | None, *, default_project: str | None = None) -> ProjectPath:
        return parse_project_path(
            path,
            entity=self._entity,
            project=lambda: self.settings.project or default_project,
        )

    def _named_project(self, name: str, entity: str | None) -> ProjectPath:
        return self._project_path(f"{entity}/{name}" if entity else name)

    def _run_path(self, path: str) -> RunPath:
        return parse_run_path(path, entity=self._entity, project=self._default_project)

    # -- projects -------------------------------------------------------------------------

    async def project(self, name: str, entity: str | None = None) -> AsyncProject:
        """The project `entity/name` (or `name` in the default entity)."""
        path = await self._parsed(lambda: self._named_project(name, entity))
        found = (await self._session.gql.get_project(entity=path.entity, name=path.project)).project
        if found is None:
            raise NotFoundError(f"project {path} not found", path=str(path))
        return AsyncProject._from(found, self._session)

    def projects(
        self, entity: str | None = None, per_page: int = DEFAULT_PROJECTS_PER_PAGE
    ) -> AsyncPaginator[AsyncProject]:
        """The projects of an entity (default: the default entity), loaded a page at a time."""
        owner = entity or self._entity()
        if not owner:
            raise UsageError("no entity given and none configured (WANDB_ENTITY)")

        async def fetch(cursor: str | None, size: int) -> Page[ProjectData]:
            models = (
                await self._session.gql.get_projects(entity=owner, cursor=cursor, per_page=size)
            ).models
            if models is None:
                raise NotFoundError(f"entity {owner} not found", path=owner)
            return page_of(models)

        return AsyncPaginator(
            fetch=fetch,
            convert=lambda nodes: [AsyncProject._from(node, self._session) for node in nodes],
            identity=lambda project: project.id,
            per_page=per_page,
            what="projects",
        )

    async def create_project(
        self, name: str, entity: str | None = None, description: str | None = None
    ) -> AsyncProject:
        """Create the project (or return it if it exists)."""
        path = await self._parsed(lambda: self._named_project(name, entity))
        result = await self._session.gql.create_project(
            entity=path.entity, name=path.project, description=description
        )
        project = result.upsert_model.project if result.upsert_model else None
        if project is None:
            raise NotFoundError(f"could not create project {path}", path=str(path))
        return AsyncProject._from(project, self._session)

    # -- runs -----------------------------------------------------------------------------

    async def run(self, path: str = "") -> AsyncRun:
        """The run at `path` (any form in runsapi._paths.RUN_PATH_FORMS, or its URL),
        with full data loaded."""
        run_path = await self._parsed(lambda: self._run_path(path))
        result = await self._session.gql.get_run_full(
            entity=run_path.entity, project=run_path.project, name=run_path.run_id
        )
        if result.project is None:
            raise NotFoundError(f"project {run_path.project_path} not found", path=str(run_path))
        if result.project.run is None:
            raise NotFoundError(f"run {run_path} not found", path=str(run_path))
        return AsyncRun(self._session, run_path.project_path, result.project.run)

    def runs(
        self,
        path: str | None = None,
        filters: Mapping[str, Any] | Filter | None = None,
        order: str | None = DEFAULT_ORDER,
        per_page: int = GROWING_PER_PAGE,
        include_sweeps: bool = False,
        lazy: bool = _backend.LOADS_ON_ACCESS,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AsyncRuns:
        """Runs of a project (`entity/project` or `project`), filtered and ordered.

        Args:
            filters: A MongoDB-style dict, passed through unchanged, or a filter built
                with `F`; checked locally before any request.
            order: `+` or `-` then `created_at`, `heartbeat_at`, `display_name`,
                `config.<key>` or `summary_metrics.<key>`.
            per_page: Runs per request. Left at its default, the first request lists 50
                runs, for a quick first result, and each later one 4 times as many as
                the one before, up to 10,000; a number given (50 included) is the size
                of every page.
            include_sweeps: Accepted for the official client's sake; see `Runs`.
            lazy: List without config and summaries, loading them a page at a time on
                first use. `lazy=False` lists everything at once.
            limit: Stop after this many runs.
            cursor: Continue after a previous listing's `runs.cursor`.

        A loop over the runs gets the next page in the background while it is on the
        last one listed; `with api.runs(...) as runs:` stops that at the end.
        """
        where = self._project_path(path, default_project=DEFAULT_PROJECT)
        return AsyncRuns(
            self._client,
            where.entity,
            where.project,
            filters=filters,
            order=order,
            per_page=per_page,
            include_sweeps=include_sweeps,
            lazy=lazy,
            limit=limit,
            cursor=cursor,
        )

    async def create_run(
        self,
        run_id: str | None = None,
        project: str | None = None,
        entity: str | None = None,
        *,
        state: str = "running",
        name: str | None = None,
        group: str | None = None,
        job_type: str | None = None,
        tags: list[str] | None = None,
        notes: str | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> AsyncRun:
        """Create a run (state "running" or "pending") and return it with full data."""
        if state not in {"running", "pending"}:
            raise UsageError(f"a new run's state must be 'running' or 'pending', got {state!r}")
        if run_id is None:
            run_id = "".join(secrets.choice(_RUN_ID_ALPHABET) for _ in range(_RUN_ID_LENGTH))
        check_run_id(run_id)
        for key, value in (config or {}).items():
            check_storable(key, value)
        path = await self._parsed(
            lambda: self._named_project(project or self.settings.project or DEFAULT_PROJECT, entity)
        )
        result = await self._session.gql.create_run(
            entity=path.entity,
            project=path.project,
            name=run_id,
            state=state,
            display_name=name,
            group=group,
            job_type=job_type,
            tags=tags,
            notes=notes,
            config=encode(wrap_config(config, {})) if config else None,
        )
        bucket = result.upsert_bucket.bucket if result.upsert_bucket else None
        if bucket is None:
            raise NotFoundError(f"could not create run {run_id} in {path}", path=str(path))
        created_in = bucket.project
        where = ProjectPath(created_in.entity_name, created_in.name) if created_in else path
        return AsyncRun(self._session, where, bucket)

    # -- artifacts ------------------------------------------------------------------------

    def _artifact_path(self, name: str) -> ArtifactPath:
        """`[[entity/]project/]name[:alias]`; as the official client, the project defaults
        to WANDB_PROJECT, then `uncategorized`."""
        return parse_artifact_path(
            name,
            entity=self._entity,
            project=lambda: self.settings.project or DEFAULT_PROJECT,
        )

    def _collection_path(self, name: str) -> ArtifactPath:
        path = self._artifact_path(name)
        if ":" in name:
            raise InvalidPathError(
                f"invalid artifact collection name {name!r}: a collection takes no ':alias' "
                "(accepted forms: entity/project/name, project/name, name)"
            )
        return path

    def _artifact_project(self, project: str | None) -> ProjectPath:
        return self._project_path(project, default_project=DEFAULT_PROJECT)

    async def artifact(self, name: str, type: str | None = None) -> AsyncArtifact:
        """The artifact version `[[entity/]project/]name[:alias]` (`model:v3`,
        `model:latest`, or `model`: the latest); with `type`, only if of that type.

        A malformed name raises InvalidPathError before any request; an unknown one (or one
        of another type) raises NotFoundError.
        """
        path = await self._parsed(lambda: self._artifact_path(name))
        return await find_artifact(self._session, path, type)

    async def artifact_exists(self, name: str, type: str | None = None) -> bool:
        """Whether `artifact(name, type)` would find a version (a malformed name still
        raises InvalidPathError; a failed request still raises its error)."""
        try:
            await self.artifact(name, type)
        except NotFoundError:
            return False
        return True

    async def artifact_type(self, type_name: str, project: str | None = None) -> AsyncArtifactType:
        """The artifact type `type_name` of `project` (`entity/project` or `project`)."""
        where = await self._parsed(lambda: self._artifact_project(project))
        return await find_type(self._session, where, type_name)

    def artifact_types(self, project: str | None = None) -> AsyncPaginator[AsyncArtifactType]:
        """The artifact types of `project`, in the order they first appeared."""
        return list_types(self._session, self._artifact_project(project), DEFAULT_PER_PAGE)

    async def artifact_collection(self, type_name: str, name: str) -> AsyncArtifactCollection:
        """The collection `[[entity/]project/]name` of type `type_name`."""
        path = await self._parsed(lambda: self._collection_path(name))
        return await find_collection(
            self._session, ProjectPath(path.entity, path.project), type_name, path.collection
        )

    async def artifact_collection_exists(self, name: str, type: str) -> bool:
        """Whether `artifact_collection(type, name)` would find a collection."""
        try:
            await self.artifact_collection(type, name)
        except NotFoundError:
            return False
        return True

    def artifact_collections(
        self, project_name: str, type_name: str, per_page: int = DEFAULT_PER_PAGE
    ) -> AsyncPaginator[AsyncArtifactCollection]:
        """The collections of type `type_name` in `project_name` (`entity/project` or
        `project`), oldest first."""
        where = self._artifact_project(project_name)
        return list_collections(self._session, where, type_name, per_page=per_page)

    def artifacts(
        self,
        type_name: str,
        name: str,
        per_page: int = DEFAULT_PER_PAGE,
        tags: str | Sequence[str] | None = None,
    ) -> AsyncPaginator[AsyncArtifact]:
        """The versions of the collection `[[entity/]project/]name` of type `type_name`,
        oldest first; with `tags`, only those that have all of them."""
        path = self._collection_path(name)
        where = ProjectPath(path.entity, path.project)
        return list_versions(self._session, where, type_name, path.collection, per_page, tags)

    def artifact_versions(
        self, type_name: str, name: str, per_page: int = DEFAULT_PER_PAGE
    ) -> AsyncPaginator[AsyncArtifact]:
        """`artifacts(type_name, name, per_page)`, under the official client's older name."""
        return self.artifacts(type_name, name, per_page=per_page)

    async def from_path(self, path: str) -> AsyncRun | AsyncProject | AsyncSweep | AsyncReport:
        """A project (`project`, `entity/project` or its URL: one or two parts, as in the
        official client), a sweep (`entity/project/sweeps/id` or its URL), a report
        (`entity/project/reports/Title--id` or its URL: looked up by id, one request) or a
        run (any other run path form, or its URL).
        """
        kind = path_kind(path)
        if kind == "project":
            project_path = await self._parsed(lambda: self._project_path(path))
            return await self.project(project_path.project, project_path.entity)
        if kind == "run":
            return await self.run(path)
        if kind == "sweep":
            return await self.sweep(path)
        return await find_report(self._session, parse_report_path(path))

    # -- sweeps ---------------------------------------------------------------------------

    async def sweep(self, path: str = "") -> AsyncSweep:
        """The sweep at `path`, loaded (one request): `entity/project/sweep_id`,
        `project/sweep_id` (default entity), `sweep_id` (default entity and project),
        `entity/project/sweeps/sweep_id` or the sweep's URL.

        A malformed path raises InvalidPathError before any request; an unknown sweep or
        project raises NotFoundError.
        """
        where = await self._parsed(
            lambda: parse_sweep_reference(path, entity=self._entity, project=self._default_project)
        )
        return await find_sweep(self._session, where)

    # -- reports --------------------------------------------------------------------------

    def reports(
        self, path: str = "", name: str | None = None, per_page: int = DEFAULT_PER_PAGE
    ) -> AsyncPaginator[AsyncReport]:
        """The reports of a project (`entity/project`, or `project` in the default entity;
        empty: the default project), oldest first, loaded a page at a time.

        With `name`, only the report of that view name (`Report.name`, not its title;
        URL-quoted names are unquoted first, as in the official client). A malformed
        path or `per_page` raises UsageError before any request; an unknown project
        raises NotFoundError when the first page is loaded.
        """
        check_count(per_page, "per_page")
        if name is not None and not isinstance(name, str):
            raise UsageError(f"name must be a report's view name (a string), got {name!r}")
        where = self._project_path(path or None)
        return list_reports(self._session, where, unquote(name) if name else None, per_page)

    # -- teams and users ------------------------------------------------------------------

    async def team(self, team: str) -> AsyncTeam:
        """The team named `team`, with its members. NotFoundError if there is none the
        Api's user may see (members see their teams, server admins every one)."""
        return await find_team(self._session, team)

    async def create_team(self, team: str, admin_username: str | None = None) -> AsyncTeam:
        """Create the team `team` (lowercase letters, digits, `-` and `_`, checked before
        sending); its one member and admin is the Api's user, or the user
        `admin_username` (which takes a server admin: else PermissionDeniedError)."""
        return await create_team(self._session, team, admin_username)

    async def user(self, username_or_email: str) -> AsyncUserAccount | None:
        """The user with this username or e-mail address (else the one whose starts or
        ends with it, or the oldest of several, with a warning), or None.

        Server admins only: anyone else gets PermissionDeniedError. `viewer` is the Api's
        own user.
        """
        return await find_user(self._session, username_or_email)

    async def users(self, username_or_email: str) -> list[AsyncUserAccount]:
        """The users whose username or e-mail address starts or ends with the text
        (ignoring case), oldest first. Server admins only (else PermissionDeniedError)."""
        return await search_users(self._session, username_or_email)

    async def create_user(self, email: str, admin: bool = False) -> AsyncUserAccount:
        """Create a user with this e-mail address, a server admin with `admin`; its
        username comes from the address. Server admins only (else PermissionDeniedError).
        It has no API key yet: `generate_api_key()` gives it one."""
        return await create_user(self._session, email, admin)

    # -- launch: run queues and jobs ------------------------------------------------------

    def _launch_entity(self, entity: str | None) -> str:
        if entity is not None and not isinstance(entity, str):
            raise UsageError(f"entity must be a string, got {entity!r}")
        owner = entity or self._entity()
        if not owner:
            raise UsageError("no entity given and none configured (WANDB_ENTITY)")
        return owner

    async def create_run_queue(
        self,
        name: str,
        type: RunQueueResourceType,
        entity: str | None = None,
        prioritization_mode: RunQueuePrioritizationMode | None = None,
        config: Mapping[str, Any] | None = None,
        template_variables: Mapping[str, Any] | None = None,
    ) -> AsyncRunQueue:
        """Create the run queue `name` of `entity` (default: the default entity) in its
        `model-registry` project, for resource `type`, and return it loaded.

        Args:
            prioritization_mode: `V0` to give items priorities; None (or `DISABLED`) not.
            config: The resource's arguments (stored as `{"resource_args": {type: config}}`);
                strings may hold `{{name}}` placeholders of template variables.
            template_variables: `{"<name>": {"schema": {"type": "string" | "number" |
                "integer", "default": ..., "minimum": ..., "maximum": ..., "enum": [...]}}}`.

        A name not of 1 to 64 characters, an unknown type or mode, a config JSON cannot
        hold or template variables not of that shape raise UsageError before any request;
        a queue of that name already there is refused by the server (GraphQLError).
        """
        queue = launch_checks.queue_name(name)
        resource = launch_checks.resource_type(type)
        mode = launch_checks.prioritization_mode(prioritization_mode)
        resource_args = launch_checks.json_object(config or {}, "config")
        declared = launch_checks.template_variables(template_variables)
        return await create_queue(
            self._session,
            await self._parsed(lambda: self._launch_entity(entity)),
            queue,
            resource,
            prioritization_mode=mode,
            config=resource_args,
            template_variables=declared,
        )

    async def upsert_run_queue(
        self,
        name: str,
        resource_config: Mapping[str, Any],
        resource_type: RunQueueResourceType,
        entity: str | None = None,
        template_variables: Mapping[str, Any] | None = None,
        external_links: Mapping[str, str] | None = None,
        prioritization_mode: RunQueuePrioritizationMode | None = None,
    ) -> AsyncRunQueue:
        """Create the run queue `name`, or give the existing one this resource type and
        config, template variables, external links (`{"label": "https://..."}`) and
        prioritization mode (default `DISABLED`), replacing what it had; return it loaded.

        Checked before any request as in `create_run_queue` (links: labels to http(s)
        URLs). Problems the server finds in the config template, such as a placeholder
        that names no template variable, are issued as ResourceConfigWarning.
        """
        queue = launch_checks.queue_name(name)
        resource = launch_checks.resource_type(resource_type)
        mode = launch_checks.prioritization_mode(prioritization_mode) or "DISABLED"
        resource_args = launch_checks.json_object(resource_config, "resource_config")
        declared = launch_checks.template_variables(template_variables)
        links = launch_checks.external_links(external_links)
        return await upsert_queue(
            self._session,
            await self._parsed(lambda: self._launch_entity(entity)),
            queue,
            resource,
            resource_config=resource_args,
            template_variables=declared,
            external_links=links,
            prioritization_mode=mode,
        )

    async def run_queue(self, entity: str, name: str) -> AsyncRunQueue:
        """The run queue `name` of `entity`, loaded with its default resource config (two
        requests); NotFoundError if there is none."""
        queue = launch_checks.queue_name(name)
        return await find_queue(
            self._session, await self._parsed(lambda: self._launch_entity(entity)), queue
        )

    async def queued_run(
        self,
        entity: str,
        project: str,
        queue_name: str,
        run_queue_item_id: str,
        project_queue: str | None = None,
        priority: int | None = None,
    ) -> AsyncQueuedRun:
        """The item `run_queue_item_id` of the queue `queue_name` of `entity`, whose run
        logs to `project`; NotFoundError if the queue has no such item.

        `project_queue` is the project holding the queue (default `model-registry`);
        `priority` is accepted for the official client's sake: the item's own is read.
        """
        for value, what in (
            (project, "project"),
            (run_queue_item_id, "run_queue_item_id"),
            (project_queue or LAUNCH_PROJECT, "project_queue"),
        ):
            if not isinstance(value, str) or not value:
                raise UsageError(f"{what} must be a non-empty string, got {value!r}")
        queue = launch_checks.queue_name(queue_name)
        return await find_queued_run(
            self._session,
            await self._parsed(lambda: self._launch_entity(entity)),
            project,
            queue,
            run_queue_item_id,
            project_queue=project_queue or LAUNCH_PROJECT,
        )

    async def job(self, name: str | None, path: str | os.PathLike[str] | None = None) -> AsyncJob:
        """The job version `entity/project/name:alias`, downloaded into `path` (default:
        the artifact's directory under WANDB_ARTIFACT_DIR) and read.

        A name of another form raises InvalidPathError before any request; no artifact
        of type `job` by that name raises NotFoundError.
        """
        if name is None:
            raise UsageError("a job name is needed: entity/project/name:alias")
        return await load_job(self._session, launch_checks.job_path(name), name, path)

    async def list_jobs(self, entity: str, project: str) -> list[AsyncJobCollection]:
        """The jobs of `entity/project`, each with its versions (oldest first); [] when
        it has none, NotFoundError when there is no such project."""
        for value, what in ((entity, "entity"), (project, "project")):
            if not isinstance(value, str) or not value:
                raise UsageError(f"{what} must be a non-empty string, got {value!r}")
        return await list_jobs(self._session, ProjectPath(entity, project))

    # -- TensorBoard ----------------------------------------------------------------------

    async def sync_tensorboard(
        self,
        root_dir: str | os.PathLike[str],
        run_id: str | None = None,
        project: str | None = None,
        entity: str | None = None,
    ) -> AsyncRun:
        """A run made of the TensorBoard event files under `root_dir`, finished.

        The run is created as `create_run` does (`run_id`, else a new id; the project and
        entity default alike). Each subdirectory is a TensorBoard run whose tags get its
        path as a prefix (`train/loss`); the scalars become history rows by step, each
        tag's last value the summary, the HParams plugin's hyperparameters the config
        (runsapi.tensorboard). The files are read, and checked, before any request: a
        missing `tensorboard` package (`pip install "runsapi[tensorboard]"`), a path
        without event files or a bad `run_id` raise UsageError. History is written
        through W&B's run stream (file_stream), as wandb-core writes it.
        """
        if run_id is not None:
            check_run_id(run_id)
        log = read_log_dir(root_dir)
        run = await self.create_run(run_id, project, entity, config=log.hparams or None)
        await finish_run(
            self._session,
            run.run_path,
            log.history,
            {**run.summary_metrics, **log.summary},  # an existing run keeps its other keys
            history_offset=run.history_line_count,
        )
        return await run.load(force=True)
