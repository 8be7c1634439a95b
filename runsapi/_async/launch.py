"""W&B Launch's run queues and the runs queued on them.

A queue lives in its entity's `model-registry` project, with a default resource config
(the resource type and its arguments, whose strings may hold `{{variable}}` placeholders
declared as template variables). Items wait on it until a launch agent takes them; this
package runs none, and the local server leaves them PENDING.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, get_args

from runsapi import _launch_checks as check
from runsapi._async import _backend
from runsapi._async._pagination import AsyncPaginator
from runsapi._async.launch_jobs import AsyncJob
from runsapi._async.run import AsyncRun
from runsapi._checks import check_seconds
from runsapi._exceptions import (
    LaunchError,
    NotFoundError,
    QueuedRunTimeoutError,
    ResourceConfigWarning,
    ResponseValidationError,
    UsageError,
)
from runsapi._json import decode_object, encode
from runsapi._launch_checks import (
    RunQueueAccessType,
    RunQueuePrioritizationMode,
    RunQueueResourceType,
)
from runsapi._pages import Page, page_of
from runsapi._paths import ProjectPath
from runsapi._shared.launch_rules import LAUNCH_PROJECT, links_by_label, links_document
from runsapi._time import as_utc

if TYPE_CHECKING:
    from runsapi._async._gql import ResourceConfigData, RunQueueData, RunQueueItemData
    from runsapi._async._session import AsyncSession as _Session

__all__ = [
    "AsyncQueuedRun",
    "AsyncRunQueue",
    "RunQueueAccessType",
    "RunQueuePrioritizationMode",
    "RunQueueResourceType",
]

DEFAULT_WAIT_TIMEOUT = 300.0
DEFAULT_POLL_INTERVAL = 5.0
_ITEMS_PER_PAGE = 100
_ACCESS: dict[str, RunQueueAccessType] = {name: name for name in get_args(RunQueueAccessType)}


def _invalid(what: str) -> ResponseValidationError:
    return ResponseValidationError(what, operation=None, error=None)


@dataclass(frozen=True, eq=False)
class AsyncQueuedRun:
    """A run put on a queue. Its id, priority and launch spec are as loaded; `state`
    and `await wait_until_running()` ask the server each time."""

    entity: str
    project: str
    """The project the run logs to (the launch spec's, else the queue's project)."""
    queue_name: str
    id: str
    priority: int | None
    """0 (critical) to 3 (low) on a V0 queue; None on a queue without priorities."""
    run_spec: dict[str, Any] = field(repr=False)
    """The launch spec: `job`, `entity`, `project`, `overrides` ..."""
    created_at: datetime | None = field(repr=False)
    project_queue: str
    """The project holding the queue (`model-registry`)."""
    _queue_id: str = field(repr=False)
    _session: _Session = field(repr=False)

    @classmethod
    def _from(
        cls,
        data: RunQueueItemData,
        *,
        entity: str,
        project: str | None,
        queue_name: str,
        project_queue: str,
        queue_id: str,
        session: _Session,
    ) -> AsyncQueuedRun:
        spec = decode_object(data.run_spec, what=f"the launch spec of queued run {data.id}")
        spec_project = spec.get("project")
        return cls(
            entity=entity,
            project=project or (spec_project if isinstance(spec_project, str) else project_queue),
            queue_name=queue_name,
            id=data.id,
            priority=data.priority,
            run_spec=spec,
            created_at=as_utc(data.created_at),
            project_queue=project_queue,
            _queue_id=queue_id,
            _session=session,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AsyncQueuedRun) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    async def state(self) -> str:
        """`pending`, `leased`, `claimed`, `failed` or `finished` (lower-cased, as the
        official client gives it; one request each time)."""
        return (await self._item()).state.lower()

    async def wait_until_running(
        self, timeout: float = DEFAULT_WAIT_TIMEOUT, poll_interval: float = DEFAULT_POLL_INTERVAL
    ) -> AsyncRun:
        """The run started for this item, asking every `poll_interval` seconds until one
        exists; QueuedRunTimeoutError after `timeout` seconds (0: ask once)."""
        limit = check_seconds(timeout, "timeout", allow_zero=True)
        interval = check_seconds(poll_interval, "poll_interval")
        deadline = time.monotonic() + limit
        while True:
            item = await self._item()
            run = (
                None if item.associated_run_id is None else await self._run(item.associated_run_id)
            )
            if run is not None:
                return run
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                state = item.state.lower()
                raise QueuedRunTimeoutError(
                    f"queued run {self.id} on {self.entity}/{self.queue_name} has no run after"
                    f" {limit:g} s (state {state}); nothing takes items from a queue but a"
                    " launch agent",
                    item_id=self.id,
                    state=state,
                    timeout=limit,
                )
            await _backend.sleep(min(interval, remaining))

    async def delete(self) -> None:
        """Take the item off its queue."""
        result = await self._session.gql.delete_from_run_queue(
            queue_id=self._queue_id, item_id=self.id
        )
        if not result.delete_from_run_queue or not result.delete_from_run_queue.success:
            raise LaunchError(f"the server did not delete queued run {self.id}")

    async def _item(self) -> RunQueueItemData:
        found = (
            await self._session.gql.get_run_queue_item(
                entity=self.entity, project=self.project_queue, queue=self.queue_name, id=self.id
            )
        ).project
        queue = found.run_queue if found else None
        if queue is None or queue.run_queue_item is None:
            raise NotFoundError(
                f"queued run {self.id} not found on run queue {self._where()}", path=self.id
            )
        return queue.run_queue_item

    async def _run(self, run_id: str) -> AsyncRun | None:
        """The run, or None while it does not exist yet."""
        found = await self._session.gql.get_run_full(
            entity=self.entity, project=self.project, name=run_id
        )
        if found.project is None or found.project.run is None:
            return None
        return AsyncRun(self._session, ProjectPath(self.entity, self.project), found.project.run)

    def _where(self) -> str:
        return f"{self.entity}/{self.project_queue}/{self.queue_name}"


@dataclass(frozen=True, eq=False)
class AsyncRunQueue:
    """A run queue as loaded (with its default resource config); `items`, `await push()` and
    `await delete()` ask the server."""

    entity: str
    name: str
    id: str
    access: RunQueueAccessType
    prioritization_mode: RunQueuePrioritizationMode
    type: RunQueueResourceType | None
    """The resource type of its default resource config (None: the queue has none)."""
    default_resource_config: dict[str, Any] = field(repr=False)
    """As W&B stores it: `{"resource_args": {<type>: {...}}}` ({} without one)."""
    template_variables: dict[str, dict[str, Any]] = field(repr=False)
    """Each template variable's schema by name (`{"type": "integer", "default": 1}`)."""
    external_links: dict[str, str] = field(repr=False)
    """Links by label."""
    default_resource_config_id: str | None = field(repr=False)
    created_at: datetime | None = field(repr=False)
    project: str
    """The project holding the queue (`model-registry`)."""
    _session: _Session = field(repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AsyncRunQueue) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    async def items(self) -> list[AsyncQueuedRun]:
        """Every item on the queue, in the order an agent takes them (priority, then age);
        asked from the server each time."""
        session = self._session

        async def fetch(cursor: str | None, size: int) -> Page[RunQueueItemData]:
            found = (
                await session.gql.get_run_queue_items(
                    entity=self.entity,
                    project=self.project,
                    queue=self.name,
                    cursor=cursor,
                    per_page=size,
                )
            ).project
            if found is None or found.run_queue is None:
                raise NotFoundError(f"run queue {self} not found", path=str(self))
            return page_of(found.run_queue.run_queue_items)

        def convert(nodes: Sequence[RunQueueItemData]) -> list[AsyncQueuedRun]:
            return [self._queued(node) for node in nodes]

        listing = AsyncPaginator(
            fetch=fetch,
            convert=convert,
            identity=lambda queued: queued.id,
            per_page=_ITEMS_PER_PAGE,
            what="queued runs",
        )
        return await listing.load_all()

    async def push(
        self,
        job: str | AsyncJob,
        config: Mapping[str, Any] | None = None,
        priority: int | None = None,
        *,
        project: str | None = None,
    ) -> AsyncQueuedRun:
        """Put a run of `job` (`entity/project/name:alias`, or a Job) on the queue, with
        `config` as its run config (W&B's `overrides.run_config`) and, on a V0 queue, a
        priority from 0 (critical) to 3 (low; default 2, medium). The run will log to
        `project` (default: the job's project). runsapi's own: the official client
        queues through `wandb launch` or `Job.call`."""
        name = job.name if isinstance(job, AsyncJob) else job
        path = check.job_path(name)
        run_config = check.json_object(config or {}, "config")
        rank = check.priority(priority)
        if rank is not None and self.prioritization_mode != "V0":
            raise UsageError(
                f"run queue {self} has prioritization mode {self.prioritization_mode}: a"
                " priority needs a queue made with prioritization_mode='V0'"
            )
        if project is not None and (not isinstance(project, str) or not project):
            raise UsageError(f"project must be a non-empty string, got {project!r}")
        spec: dict[str, Any] = {
            "job": name,
            "entity": self.entity,
            "project": project or path.project,
        }
        if run_config:
            spec["overrides"] = {"run_config": run_config}
        pushed = (
            await self._session.gql.push_to_run_queue(
                queue_id=self.id, run_spec=encode(spec), priority=rank
            )
        ).push_to_run_queue
        if pushed is None:
            raise LaunchError(f"the server did not queue a run of {name} on {self}")
        return await find_queued_run(
            self._session,
            self.entity,
            spec["project"],
            self.name,
            pushed.run_queue_item_id,
            project_queue=self.project,
        )

    async def delete(self) -> None:
        """Delete the queue and every item on it."""
        result = (await self._session.gql.delete_run_queue(id=self.id)).delete_run_queues
        if result is None or not result.success:
            raise LaunchError(f"the server did not delete run queue {self}")

    def __str__(self) -> str:
        return f"{self.entity}/{self.name}"

    def _queued(self, data: RunQueueItemData) -> AsyncQueuedRun:
        return AsyncQueuedRun._from(
            data,
            entity=self.entity,
            project=None,
            queue_name=self.name,
            project_queue=self.project,
            queue_id=self.id,
            session=self._session,
        )

    @classmethod
    def _from(
        cls,
        data: RunQueueData,
        config: ResourceConfigData | None,
        *,
        entity: str,
        project: str,
        session: _Session,
    ) -> AsyncRunQueue:
        where = f"run queue {entity}/{data.name}"
        if data.access is None:
            raise _invalid(f"{where} has no access type")
        try:
            links = links_by_label(data.external_links)
        except ValueError as exc:
            raise _invalid(f"{where}: {exc}") from None
        return cls(
            entity=entity,
            name=data.name,
            id=data.id,
            access=_ACCESS[data.access.value],
            prioritization_mode=check.prioritization_mode(
                data.prioritization_mode.value if data.prioritization_mode else None
            )
            or "DISABLED",
            type=None if config is None else _resource_type(config.resource, where),
            default_resource_config=_config_object(config, where),
            template_variables=_template_variables(config, where),
            external_links=links,
            default_resource_config_id=data.default_resource_config_id,
            created_at=as_utc(data.created_at),
            project=project,
            _session=session,
        )


def _resource_type(value: str, where: str) -> RunQueueResourceType:
    try:
        return check.resource_type(value)
    except UsageError as exc:
        raise _invalid(f"{where}: {exc}") from None


def _template_variables(config: ResourceConfigData | None, where: str) -> dict[str, dict[str, Any]]:
    declared = [] if config is None else config.template_variables or []
    return {
        variable.name: decode_object(
            variable.schema_, what=f"the schema of template variable {variable.name} of {where}"
        )
        for variable in declared
    }


def _config_object(config: ResourceConfigData | None, where: str) -> dict[str, Any]:
    if config is None or config.config is None:
        return {}
    if not isinstance(config.config, dict):
        raise _invalid(f"the default resource config of {where} is not a JSON object")
    return config.config


# -- lookups and changes (the Api members) -----------------------------------------------


async def find_queue(session: _Session, entity: str, name: str) -> AsyncRunQueue:
    """The queue `name` of `entity`, with its default resource config."""
    found = (
        await session.gql.get_run_queue(entity=entity, project=LAUNCH_PROJECT, name=name)
    ).project
    if found is None or found.run_queue is None:
        raise NotFoundError(f"run queue {entity}/{name} not found", path=f"{entity}/{name}")
    data = found.run_queue
    config = None
    if data.default_resource_config_id is not None:
        owner = (
            await session.gql.get_default_resource_config(
                entity=entity, id=data.default_resource_config_id
            )
        ).entity
        config = owner.default_resource_config if owner else None
        if config is None:
            raise NotFoundError(
                f"the default resource config of run queue {entity}/{name} not found",
                path=f"{entity}/{name}",
            )
    return AsyncRunQueue._from(data, config, entity=entity, project=LAUNCH_PROJECT, session=session)


async def find_queued_run(
    session: _Session,
    entity: str,
    project: str,
    queue_name: str,
    item_id: str,
    *,
    project_queue: str = LAUNCH_PROJECT,
) -> AsyncQueuedRun:
    found = (
        await session.gql.get_run_queue_item(
            entity=entity, project=project_queue, queue=queue_name, id=item_id
        )
    ).project
    queue = found.run_queue if found else None
    if queue is None or queue.run_queue_item is None:
        raise NotFoundError(
            f"queued run {item_id} not found on run queue {entity}/{project_queue}/{queue_name}",
            path=item_id,
        )
    return AsyncQueuedRun._from(
        queue.run_queue_item,
        entity=entity,
        project=project,
        queue_name=queue_name,
        project_queue=project_queue,
        queue_id=queue.id,
        session=session,
    )


async def create_queue(
    session: _Session,
    entity: str,
    name: str,
    resource: RunQueueResourceType,
    *,
    prioritization_mode: RunQueuePrioritizationMode | None,
    config: Mapping[str, Any],
    template_variables: Mapping[str, Any],
) -> AsyncRunQueue:
    """As the official client: the `model-registry` project, a default resource config,
    then the queue (a failure after the config leaves the config unused)."""
    from runsapi._async._gql import RunQueueAccessType as AccessEnum  # noqa: PLC0415
    from runsapi._async._gql import RunQueuePrioritizationMode as ModeEnum  # noqa: PLC0415

    gql = session.gql
    await gql.create_project(entity=entity, name=LAUNCH_PROJECT)
    made = (
        await gql.create_default_resource_config(
            entity=entity,
            resource=resource,
            config=encode({"resource_args": {resource: dict(config)}}),
            template_variables=encode(dict(template_variables)),
        )
    ).create_default_resource_config
    if made is None or not made.success:
        raise LaunchError(f"the server did not create a resource config for run queue {name}")
    created = (
        await gql.create_run_queue(
            entity=entity,
            project=LAUNCH_PROJECT,
            name=name,
            access=AccessEnum.PROJECT,
            prioritization_mode=None
            if prioritization_mode is None
            else ModeEnum(prioritization_mode),
            default_resource_config_id=made.default_resource_config_id,
        )
    ).create_run_queue
    if created is None or not created.success:
        raise LaunchError(f"the server did not create run queue {entity}/{name}")
    return await find_queue(session, entity, name)


async def upsert_queue(
    session: _Session,
    entity: str,
    name: str,
    resource: RunQueueResourceType,
    *,
    resource_config: Mapping[str, Any],
    template_variables: Mapping[str, Any],
    external_links: Mapping[str, str],
    prioritization_mode: RunQueuePrioritizationMode,
) -> AsyncRunQueue:
    """As the official client: the `model-registry` project, then the queue created or
    given this definition; the server's complaints about the template become warnings."""
    from runsapi._async._gql import RunQueuePrioritizationMode as ModeEnum  # noqa: PLC0415

    gql = session.gql
    await gql.create_project(entity=entity, name=LAUNCH_PROJECT)
    result = (
        await gql.upsert_run_queue(
            entity=entity,
            project=LAUNCH_PROJECT,
            name=name,
            resource_type=resource,
            resource_config=encode({"resource_args": {resource: dict(resource_config)}}),
            template_variables=encode(dict(template_variables)) if template_variables else None,
            prioritization_mode=ModeEnum(prioritization_mode),
            external_links=encode(links_document(external_links)),
        )
    ).upsert_run_queue
    if result is None or not result.success:
        raise LaunchError(f"the server did not create or update run queue {entity}/{name}")
    for problem in result.config_schema_validation_errors or []:
        warnings.warn(f"run queue {entity}/{name}: {problem}", ResourceConfigWarning, stacklevel=3)
    return await find_queue(session, entity, name)
