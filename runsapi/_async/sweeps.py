"""Sweeps: a project's hyperparameter searches, their configuration and their runs.

Read-only, as in W&B's public API: sweeps are created and driven by `wandb sweep` and
`wandb agent`. A sweep's `id` is the short name in its paths and URLs.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import yaml

from runsapi._async import _backend
from runsapi._async._pagination import AsyncPaginator
from runsapi._async._session import AsyncClient
from runsapi._async.run import AsyncRun
from runsapi._async.runs import AsyncRuns
from runsapi._constants import DEFAULT_ORDER, DEFAULT_PER_PAGE
from runsapi._exceptions import (
    InvalidFilterError,
    InvalidOrderError,
    InvalidPathError,
    NotFoundError,
    ResponseValidationError,
)
from runsapi._json import encode
from runsapi._pages import Page, page_of
from runsapi._paths import (
    DefaultName,
    ProjectPath,
    SweepPath,
    parse_run_path,
    parse_sweep_path,
    path_kind,
)
from runsapi._time import as_utc

if TYPE_CHECKING:
    from runsapi._async._gql import SweepData
    from runsapi._async._session import AsyncSession

SWEEP_PATH_FORMS = (
    "entity/project/sweep_id",
    "entity/project/sweeps/sweep_id",
    "project/sweep_id (default entity)",
    "sweep_id (default entity and project)",
    "https://<host>/entity/project/sweeps/sweep_id (a sweep's URL)",
)
# What `project.sweeps(filters=...)` can filter on: the server's sweeps listing takes
# `{}` or `{"state": ...}`.
SWEEP_FILTER_KEYS = frozenset({"state"})
# Order keys the official client leaves unresolved in `best_run` (its
# QueryGenerator.format_order_key gives None for them, so runs come oldest first).
_UNRESOLVED_ORDER_KEYS = frozenset({"createdAt", "updatedAt", "name", "sweep"})
# Dotted order keys that already name a section of a run; others are summary keys.
_ORDER_SECTIONS = frozenset({"config", "summary_metrics", "tags"})


def parse_sweep_reference(path: str, *, entity: DefaultName, project: DefaultName) -> SweepPath:
    """Split any form of SWEEP_PATH_FORMS; the defaults are called only when the path
    leaves that part out (the default entity may cost a request).

    Besides sweep URLs and `.../sweeps/...` paths, the official client reads a sweep path
    as it reads a run path (`e/p/id`, `p/id`, `id`, `e/p:id`), and so does this.
    """
    # The form is checked first (with stand-in defaults), so that its error names the
    # forms a sweep path takes, not those of the parser that read it.
    try:
        if path_kind(path) == "sweep":
            return parse_sweep_path(path)
        parse_run_path(path, entity=lambda: "-", project=lambda: "-")
    except InvalidPathError:
        if not isinstance(path, str):
            raise
        raise InvalidPathError(
            f"invalid sweep path {path!r}; accepted forms: " + "; ".join(SWEEP_PATH_FORMS)
        ) from None
    found = parse_run_path(path, entity=entity, project=project)
    return SweepPath(found.entity, found.project, found.run_id)


def sweep_order(key: str) -> str | None:
    """An order key of `best_run`, read as the official client reads it: unsigned means
    descending (`-`); a plain key names a summary metric (`loss` ->
    `summary_metrics.loss`), as does a dotted key outside `config.`, `summary_metrics.`
    and `tags.`; `createdAt`, `updatedAt`, `name` and `sweep` give None (oldest first)."""
    if not isinstance(key, str):
        raise InvalidOrderError(f"order must be a string such as '-loss', got {key!r}")
    direction, name = (key[0], key[1:]) if key[:1] in {"+", "-"} else ("-", key)
    parts = name.split(".")
    if len(parts) == 1:
        return None if name in _UNRESOLVED_ORDER_KEYS else f"{direction}summary_metrics.{name}"
    if parts[0] not in _ORDER_SECTIONS:
        return f"{direction}summary_metrics.{name}"
    return direction + name


def parse_config(text: str, *, what: str) -> dict[str, Any]:
    """A sweep configuration, stored as YAML (or JSON, which YAML reads too)."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ResponseValidationError(
            f"{what} is neither YAML nor JSON: {exc}", operation=None, error=None
        ) from exc
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ResponseValidationError(
            f"{what} should be a mapping, got {type(value).__name__}", operation=None, error=None
        )
    return value


class AsyncSweep:
    """A sweep: its configuration, state, best loss and runs.

    `api.sweep(path)` and `project.sweeps()` make them, loaded in one request;
    `await load(force=True)` reads the sweep again.
    """

    def __init__(self, session: AsyncSession, path: ProjectPath, data: SweepData) -> None:
        self._session = session
        self._project_path = path
        self._lock = _backend.RLock()
        self._set(data)

    def _set(self, data: SweepData) -> None:
        config = parse_config(data.config, what=f"config of sweep {data.name}")
        runs = AsyncRuns(
            AsyncClient(self._session),
            self._project_path.entity,
            self._project_path.project,
            filters={"sweep": data.name},
            order=DEFAULT_ORDER,
        )
        with self._lock:
            self._data = data
            self._config = config
            self._runs = runs

    # -- identity ---------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The sweep id used in paths and URLs (GraphQL `Sweep.name`)."""
        return self._data.name

    @property
    def storage_id(self) -> str:
        """The server's opaque id of the sweep (GraphQL `Sweep.id`)."""
        return self._data.id

    @property
    def entity(self) -> str:
        return self._project_path.entity

    @property
    def project(self) -> str:
        return self._project_path.project

    @property
    def sweep_path(self) -> SweepPath:
        return SweepPath(self.entity, self.project, self.id)

    @property
    def path(self) -> list[str]:
        """`[entity, project, sweep_id]`, as in the official client."""
        return [self.entity, self.project, self.id]

    @property
    def url(self) -> str:
        """The sweep's page in the web UI, each part percent-encoded."""
        parts = "/".join(quote(part, safe="") for part in self.path[:2])
        return f"{self._session.settings.app_url}/{parts}/sweeps/{quote(self.id, safe='')}"

    # -- fields -----------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The display name, else the configuration's `name`, else the id (as in the
        official client)."""
        configured = self._config.get("name")
        if self._data.display_name:
            return self._data.display_name
        return configured if isinstance(configured, str) and configured else self.id

    @property
    def display_name(self) -> str | None:
        """The name set in the UI, if any."""
        return self._data.display_name

    @property
    def config(self) -> dict[str, Any]:
        """The sweep configuration (`method`, `metric`, `parameters`, ...), parsed from its
        YAML; a copy, so changing it changes nothing else."""
        return copy.deepcopy(self._config)

    @property
    def method(self) -> str:
        """The search method: `grid`, `random` or `bayes`."""
        return self._data.method

    @property
    def state(self) -> str:
        """`RUNNING`, `PAUSED`, `FINISHED`, `CANCELED`, or another state the server knows."""
        return self._data.state

    @property
    def description(self) -> str | None:
        return self._data.description

    @property
    def best_loss(self) -> float | None:
        """The best value of the sweep's metric among its runs, as the server keeps it."""
        return self._data.best_loss

    @property
    def run_count(self) -> int:
        """How many runs the sweep has."""
        return self._data.run_count

    @property
    def expected_run_count(self) -> int | None:
        """How many runs the sweep will make in all; None when it is unbounded."""
        return self._data.run_count_expected

    @property
    def created_at(self) -> datetime:
        created = as_utc(self._data.created_at)
        assert created is not None
        return created

    @property
    def updated_at(self) -> datetime | None:
        return as_utc(self._data.updated_at)

    # -- runs -------------------------------------------------------------------------

    @property
    def runs(self) -> AsyncRuns:
        """The sweep's runs, oldest first, listed lazily a page at a time."""
        return self._runs

    async def best_run(self, order: str | None = None) -> AsyncRun | None:
        """The sweep's first run in `order`, with full data (one request); None if the
        sweep has no runs.

        Without `order`, the configuration's metric decides: `metric.name` ascending when
        `metric.goal` is `minimize` (the default), else descending; without a metric,
        the oldest run. An `order` is read as in the official client (see `sweep_order`):
        `"loss"` means `"-summary_metrics.loss"`, `"+val.loss"` means
        `"+summary_metrics.val.loss"`.
        """
        key = self._metric_order() if order is None else sweep_order(order)
        runs = AsyncRuns(
            AsyncClient(self._session),
            self.entity,
            self.project,
            filters={"sweep": self.id},
            order=key,
            per_page=1,
            lazy=False,
            limit=1,
        )
        found = await runs.load_all()
        return found[0] if found else None

    def _metric_order(self) -> str | None:
        metric = self._config.get("metric")
        name = metric.get("name") if isinstance(metric, dict) else None
        if not isinstance(metric, dict) or not isinstance(name, str) or not name:
            return None
        return sweep_order(("+" if metric.get("goal", "minimize") == "minimize" else "-") + name)

    # -- loading ----------------------------------------------------------------------

    async def load(self, force: bool = False) -> AsyncSweep:
        """Read the sweep again when `force` (its runs listing starts over too)."""
        if force:
            self._set(await _fetch(self._session, self.sweep_path))
        return self

    def __repr__(self) -> str:
        return f"<Sweep {self.sweep_path} ({self.state})>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AsyncSweep) and other.storage_id == self.storage_id

    def __hash__(self) -> int:
        return hash(self.storage_id)


async def _fetch(session: AsyncSession, path: SweepPath) -> SweepData:
    project = (
        await session.gql.get_sweep(entity=path.entity, project=path.project, name=path.sweep_id)
    ).project
    where = f"{path.entity}/{path.project}"
    if project is None:
        raise NotFoundError(f"project {where} not found", path=where)
    if project.sweep is None:
        raise NotFoundError(f"sweep {path} not found", path=str(path))
    return project.sweep


async def find_sweep(session: AsyncSession, path: SweepPath) -> AsyncSweep:
    """The sweep `path` names, loaded; NotFoundError if it or its project does not exist."""
    return AsyncSweep(session, ProjectPath(path.entity, path.project), await _fetch(session, path))


def check_sweep_filters(filters: Mapping[str, Any] | None) -> dict[str, str]:
    """`filters` for a sweeps listing, or InvalidFilterError: `{}` or `{"state": ...}`."""
    if filters is None:
        return {}
    if not isinstance(filters, Mapping):
        raise InvalidFilterError(f"sweep filters must be a dict, got {type(filters).__name__}")
    unknown = sorted(set(filters) - SWEEP_FILTER_KEYS, key=str)
    if unknown:
        raise InvalidFilterError(
            f"sweeps cannot be filtered on {unknown}; accepted: {{}} or {{'state': 'RUNNING'}}"
        )
    state = filters.get("state")
    if "state" in filters and not isinstance(state, str):
        raise InvalidFilterError(f"a sweep's state is a string such as 'RUNNING', got {state!r}")
    return dict(filters)


def list_sweeps(
    session: AsyncSession,
    project: ProjectPath,
    *,
    per_page: int = DEFAULT_PER_PAGE,
    filters: Mapping[str, Any] | None = None,
) -> AsyncPaginator[AsyncSweep]:
    """The sweeps of `project`, oldest first. Unfiltered, `len()` is the server's count
    (`totalSweeps`); filtered, it counts what the pages hold."""
    chosen = check_sweep_filters(filters)

    async def fetch(cursor: str | None, size: int) -> Page[SweepData]:
        found = (
            await session.gql.get_sweeps(
                entity=project.entity,
                project=project.project,
                filters=encode(chosen),
                cursor=cursor,
                per_page=size,
            )
        ).project
        if found is None:
            raise NotFoundError(f"project {project} not found", path=str(project))
        return page_of(found.sweeps, total=None if chosen else found.total_sweeps)

    return AsyncPaginator(
        fetch=fetch,
        convert=lambda nodes: [AsyncSweep(session, project, node) for node in nodes],
        identity=lambda sweep: sweep.storage_id,
        per_page=per_page,
        what="sweeps",
    )
