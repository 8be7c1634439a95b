"""`Run`: one run, with typed properties, lazily loaded contents and mutations.

Longer than most modules (about 750 lines) because `Run` is the class users hold most:
its docstrings and the `history` overloads are most of it; loading (`_FullDataBatch`)
and saving stay next to the state they guard with the run's lock.
"""

from __future__ import annotations

import html
import json
import os
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeGuard, overload

from runsapi._async import _backend
from runsapi._async._artifact_upload import create_version, log_draft
from runsapi._async._export_scan import AsyncExportedHistoryScan
from runsapi._async._features import MERGE_RUN_CHANGES
from runsapi._async.artifacts import (
    AsyncArtifact,
    check_aliases,
    check_tags,
    find_artifact,
    run_artifacts,
)
from runsapi._async.files import AsyncFile, AsyncFiles, upload_file
from runsapi._async.history import (
    AsyncHistoryScan,
    last_history_step,
    rows_to_frame,
    sampled_history,
)
from runsapi._async.history_exports import AsyncDownloadHistoryResult, download_history_exports
from runsapi._checks import check_count, check_seconds
from runsapi._constants import (
    DEFAULT_ARTIFACTS_PER_PAGE,
    DEFAULT_DOWNLOAD_WORKERS,
    DEFAULT_PER_PAGE,
    DEFAULT_SCAN_WORKERS,
)
from runsapi._exceptions import NotFoundError, UsageError
from runsapi._frames import flatten
from runsapi._history_rows import Join, Stream
from runsapi._json import decode_object, encode
from runsapi._paths import ProjectPath, RunPath, SweepPath, parse_artifact_path
from runsapi._results import run_of
from runsapi._shared.changes import DELETED, Change, apply_changes
from runsapi._shared.json_codec import unwrap_config, unwrap_value, wrap_config
from runsapi._time import as_utc
from runsapi._tracked import Summary, TrackedDict
from runsapi.artifact_draft import ArtifactDraft

if TYPE_CHECKING:
    import pandas as pandas_  # Run.history has a parameter called `pandas`

    from runsapi._async._gql import FullRun, LightRun, RunChangeInput
    from runsapi._async._pagination import AsyncPaginator
    from runsapi._async._session import AsyncSession
    from runsapi._async.sweeps import AsyncSweep

RunState = Literal[
    "running", "finished", "crashed", "failed", "killed", "preempting", "preempted", "pending"
]
# States a run does not leave by itself. The official client forgets "killed".
TERMINAL_STATES = frozenset({"finished", "crashed", "failed", "killed", "preempted"})
METADATA_FILE = "wandb-metadata.json"
SETTABLE_STATES = frozenset({"pending", "failed", "finished", "crashed", "killed", "running"})


class _CreatesRuns(Protocol):
    """What `Run.create` needs of an `Api` (typed without importing it: api.py imports this)."""

    async def create_run(
        self,
        run_id: str | None = None,
        project: str | None = None,
        entity: str | None = None,
        *,
        state: str = ...,
    ) -> AsyncRun: ...


def _is_full(data: LightRun) -> TypeGuard[FullRun]:
    """Whether the server sent the run's full data (config, summary, history keys)."""
    # Imported here: runsapi loads the generated client with the first Api, not on import.
    from runsapi._async._gql import FullRun  # noqa: PLC0415

    return isinstance(data, FullRun)


@dataclass(frozen=True)
class User:
    """The user who created a run."""

    name: str
    username: str | None


class _Editable:
    """A text field of a run that can be edited locally and is saved by `Run.update()`."""

    def __init__(self, field: str, doc: str) -> None:
        self._field = field
        self.__doc__ = doc

    @overload
    def __get__(self, run: None, owner: type[AsyncRun]) -> _Editable: ...
    @overload
    def __get__(self, run: AsyncRun, owner: type[AsyncRun]) -> str | None: ...
    def __get__(self, run: AsyncRun | None, owner: type[AsyncRun]) -> _Editable | str | None:
        if run is None:
            return self
        value: str | None = run._edits.get(self._field, getattr(run._data, self._field))
        return value

    def __set__(self, run: AsyncRun, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise UsageError(f"{self._field} must be a string or None, got {value!r}")
        run._edits[self._field] = value


@dataclass
class _Views:
    """A run's decoded config and summary, as users edit them."""

    raw: dict[str, Any]
    config: TrackedDict
    summary: Summary[Awaitable[None]]


class AsyncRun:
    """One run. Listed runs load their config and summaries on first use.

    Properties read the typed data the server returned; `tags`, `notes`, `name`,
    `description`, `group`, `job_type`, `config` and `summary` can be edited locally and
    are saved by `update()`.
    """

    def __init__(
        self,
        session: AsyncSession,
        path: ProjectPath,
        data: LightRun,
        *,
        batch: _FullDataBatch | None = None,
    ) -> None:
        self._session = session
        self._project_path = path
        self._lock = _backend.RLock()
        self._batch = batch
        self._decoded: _Views | None = None
        self._sweep: AsyncSweep | None = None
        self._set_data(data)

    def _set_data(self, data: LightRun, *, keep_edits: bool = False) -> None:
        """Adopt data the server sent. Unsaved edits are dropped unless `keep_edits`.

        Config and summary are decoded on first use (a runs table reads them without
        keeping them). Once decoded, the `config` and `summary` objects stay the same
        objects, so references users hold see the new contents.
        """
        with self._lock:
            if not keep_edits:
                self._edits: dict[str, Any] = {}
                self._tags = list(data.tags or [])
            self._data = data
            self._full: FullRun | None = data if _is_full(data) else None
            views = self._decoded
            if self._full is None or views is None:
                return
            raw, config, summary = self._decode_contents(self._full)
            views.raw = raw
            views.config._reset(config, pending=views.config.changes if keep_edits else ())
            views.summary._reset(summary)

    def _decode_contents(
        self, full: FullRun
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """(raw config, config, summary) decoded from the server's JSON."""
        raw = decode_object(full.config, what=f"config of {self.path_str}")
        summary = decode_object(full.summary_metrics, what=f"summary of {self.path_str}")
        return raw, unwrap_config(raw), summary

    def _views(self) -> _Views:
        """The decoded config and summary, decoded now if they were not yet."""
        full = self._full_data()
        with self._lock:
            views = self._decoded
            if views is None:
                raw, config, summary = self._decode_contents(full)
                views = self._decoded = _Views(
                    raw, TrackedDict(config), Summary(summary, self._save_summary)
                )
            return views

    def _table_record(self) -> dict[str, Any]:
        """The run as a row of a runs table: its base columns, then `config.*` and
        `summary.*` (read from the views when they exist, unsaved edits included, else
        decoded for the table without being kept)."""
        record: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "created_at": self.created_at,
            "tags": list(self.tags),
            "group": self.group,
            "job_type": self.job_type,
        }
        views = self._decoded
        config: dict[str, Any]
        summary: dict[str, Any]
        if views is not None:
            config, summary = views.config, views.summary
        else:
            _, config, summary = self._decode_contents(self._full_data())
        flatten("config", config, record)
        flatten("summary", summary, record)
        return record

    @classmethod
    async def create(
        cls,
        api: _CreatesRuns,
        run_id: str | None = None,
        project: str | None = None,
        entity: str | None = None,
        state: Literal["running", "pending"] = "running",
    ) -> AsyncRun:
        """Create a run; the same as `api.create_run(...)`, as in the official client."""
        return await api.create_run(run_id, project, entity, state=state)

    # -- identity ---------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The run id used in paths and URLs (GraphQL `Run.name`)."""
        return self._data.name

    @property
    def storage_id(self) -> str:
        """The server's opaque id of the run (GraphQL `Run.id`), used by mutations."""
        return self._data.id

    @property
    def entity(self) -> str:
        return self._project_path.entity

    @property
    def project(self) -> str:
        return self._project_path.project

    @property
    def run_path(self) -> RunPath:
        return RunPath(self.entity, self.project, self.id)

    @property
    def path(self) -> list[str]:
        """`[entity, project, run_id]`, as in the official client."""
        return [self.entity, self.project, self.id]

    @property
    def path_str(self) -> str:
        return str(self.run_path)

    @property
    def url(self) -> str:
        return self.run_path.url(self._session.settings.app_url)

    # -- light fields -----------------------------------------------------------------

    name = _Editable("display_name", "The display name (editable; saved by `update()`).")
    display_name = name

    @property
    def state(self) -> str:
        """One of RunState's values, or a newer state the server knows."""
        return self._data.state or "unknown"

    @property
    def tags(self) -> list[str]:
        """The run's tags; edit the list in place or assign one, then `update()`."""
        return self._tags

    @tags.setter
    def tags(self, value: Sequence[str]) -> None:
        if isinstance(value, str) or not all(isinstance(tag, str) for tag in value):
            raise UsageError(f"tags must be a list of strings, got {value!r}")
        self._tags = list(value)

    notes = _Editable("notes", "Free-form notes (editable; saved by `update()`).")
    description = _Editable("description", "The description (editable; saved by `update()`).")
    group = _Editable("group", "The run's group (editable; saved by `update()`).")
    job_type = _Editable("job_type", "The job type (editable; saved by `update()`).")

    @property
    def sweep_name(self) -> str | None:
        return self._data.sweep_name

    @property
    async def sweep(self) -> AsyncSweep | None:
        """The sweep this run belongs to, read the first time it is asked for (one
        request), or None for a run of no sweep."""
        # Imported here: sweeps.py imports this module (a sweep lists its runs).
        from runsapi._async.sweeps import find_sweep  # noqa: PLC0415

        name = self.sweep_name
        if name is None:
            return None
        async with self._lock:
            if self._sweep is None or self._sweep.id != name:
                where = SweepPath(self.entity, self.project, name)
                self._sweep = await find_sweep(self._session, where)
            return self._sweep

    @property
    def commit(self) -> str | None:
        return self._data.commit

    @property
    def user(self) -> User | None:
        user = self._data.user
        return User(user.name, user.username) if user else None

    @property
    def username(self) -> str | None:
        return self._data.user.username if self._data.user else None

    @property
    def created_at(self) -> datetime:
        created = as_utc(self._data.created_at)
        assert created is not None
        return created

    @property
    def heartbeat_at(self) -> datetime | None:
        return as_utc(self._data.heartbeat_at)

    @property
    def read_only(self) -> bool:
        return bool(self._data.read_only)

    @property
    def history_line_count(self) -> int:
        return self._data.history_line_count or 0

    @property
    def project_internal_id(self) -> int:
        return self._data.project_id

    @property
    def raw_model(self) -> LightRun | FullRun:
        """The run as the server sent it: the generated pydantic model of the fragment it
        was loaded with (`FullRunFragment` once full data is loaded, else
        `LightRunFragment`), typed, for fields added to queries/ that `Run` does not
        surface yet (see "When the schema changes" in README.md)."""
        return self._full if self._full is not None else self._data

    # -- full fields (loaded on first use) --------------------------------------------

    def _full_data(self) -> FullRun:
        if self._full is None:
            _backend.load_on_access(
                self.load_full_data,
                missing=f"the config and summary of run {self.path_str}",
                how="run.load_full_data()",
            )
        full = self._full
        assert full is not None
        return full

    @property
    def config(self) -> TrackedDict:
        """User config, values unwrapped from `{"value": ...}`; `_wandb` is in rawconfig."""
        return self._views().config

    @property
    def rawconfig(self) -> dict[str, Any]:
        """The config as stored: wrapped values and W&B's internal keys."""
        return dict(self._views().raw)

    @property
    def json_config(self) -> str:
        """The config in W&B's stored form, as JSON: `{"lr": {"value": 0.1, "desc": null}}`
        with local edits, and `_wandb` first; the official client's `json_config`."""
        views = self._views()
        raw = views.raw
        internal = {"_wandb": unwrap_value(raw["_wandb"])} if "_wandb" in raw else {}
        return json.dumps(
            {
                key: {"value": value, "desc": None}
                for key, value in {**internal, **views.config}.items()
            }
        )

    @property
    def summary(self) -> Summary[Awaitable[None]]:
        """Summary metrics: a dict whose `update()` saves only the changed keys."""
        return self._views().summary

    @property
    def summary_metrics(self) -> dict[str, Any]:
        """A plain copy of the summary."""
        return self.summary.to_dict()

    @property
    def system_metrics(self) -> dict[str, Any]:
        full = self._full_data()
        return decode_object(full.system_metrics, what=f"system metrics of {self.path_str}")

    @property
    def history_keys(self) -> dict[str, Any]:
        """`{"lastStep": int, "keys": {key: {"typeCounts": [...]}}}` as last loaded."""
        keys = self._full_data().history_keys
        return dict(keys) if isinstance(keys, dict) else {}

    @property
    async def last_history_step(self) -> int:
        """The last logged step, fetched anew each time; -1 for a run without history."""
        return await last_history_step(self._session, self.run_path)

    lastHistoryStep = last_history_step  # the official client's name

    @property
    async def metadata(self) -> dict[str, Any] | None:
        """The run's `wandb-metadata.json` (host, Python, git, ...), or None without one."""
        files = await self.files(names=[METADATA_FILE]).load_all()
        if not files or not files[0].url:
            return None
        content = await self._session.gql.download(files[0].url)
        return decode_object(content.decode("utf-8"), what=f"{METADATA_FILE} of {self.path_str}")

    # -- files and artifacts ------------------------------------------------------------

    def files(
        self,
        names: Sequence[str] | None = None,
        pattern: str | None = None,
        per_page: int = DEFAULT_PER_PAGE,
    ) -> AsyncFiles:
        """The run's files: all, the given `names`, or those matching `pattern` (SQL LIKE
        syntax: `%` any text, `_` one character, e.g. `"%.json"`)."""
        return AsyncFiles(
            self._session,
            self.run_path,
            project_id=self.project_internal_id,
            names=names,
            pattern=pattern,
            per_page=per_page,
        )

    async def file(self, name: str) -> AsyncFile:
        """The file called `name`; NotFoundError if the run has none."""
        found = await self.files(names=[name]).load_all()
        if not found:
            raise NotFoundError(
                f"run {self.path_str} has no file {name!r}", path=f"{self.path_str}/{name}"
            )
        return found[0]

    async def upload_file(
        self, path: str | os.PathLike[str], root: str | os.PathLike[str] = "."
    ) -> AsyncFile:
        """Upload a local file; it is named after its path relative to `root`."""
        return await upload_file(
            self._session, self.run_path, path, root, project_id=self.project_internal_id
        )

    def logged_artifacts(
        self, per_page: int = DEFAULT_ARTIFACTS_PER_PAGE
    ) -> AsyncPaginator[AsyncArtifact]:
        """Artifact versions this run logged."""
        return run_artifacts(self._session, self.run_path, used=False, per_page=per_page)

    def used_artifacts(
        self, per_page: int = DEFAULT_ARTIFACTS_PER_PAGE
    ) -> AsyncPaginator[AsyncArtifact]:
        """Artifact versions this run declared as inputs."""
        return run_artifacts(self._session, self.run_path, used=True, per_page=per_page)

    async def use_artifact(
        self, artifact: AsyncArtifact | str, use_as: str | None = None
    ) -> AsyncArtifact:
        """Declare an artifact version an input of this run: an `Artifact`, or a name
        (`[[entity/]project/]collection[:alias]`, relative to this run's project)."""
        if isinstance(artifact, str):
            path = parse_artifact_path(
                artifact, entity=lambda: self.entity, project=lambda: self.project
            )
            artifact = await find_artifact(self._session, path)
        result = await self._session.gql.use_artifact(
            self.entity, self.project, self.id, artifact_id=artifact.id, used_as=use_as
        )
        if result.use_artifact is None:
            raise NotFoundError(f"could not use artifact {artifact.name} in {self.path_str}")
        return AsyncArtifact(self._session, result.use_artifact.artifact)

    async def log_artifact(
        self,
        artifact: AsyncArtifact | ArtifactDraft,
        aliases: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        *,
        max_workers: int = DEFAULT_DOWNLOAD_WORKERS,
    ) -> AsyncArtifact:
        """Declare an artifact an output of this run and return the version.

        An `ArtifactDraft` is uploaded as a new version of its collection (at most
        `max_workers` files at once; content the server already stores is not sent
        again, and a draft identical to an existing version becomes that version). An
        `Artifact` of this run's project is linked as is. `aliases` are added (with
        `latest`), as are `tags`; both are checked before any request.
        """
        checked_aliases = check_aliases([] if aliases is None else aliases)
        checked_tags = check_tags([] if tags is None else tags)
        check_count(max_workers, "max_workers")
        if isinstance(artifact, ArtifactDraft):
            data = await log_draft(
                self._session,
                self.run_path,
                artifact,
                aliases=checked_aliases,
                tags=checked_tags,
                max_workers=max_workers,
            )
            return AsyncArtifact(self._session, data)
        if (artifact.entity, artifact.project) != (self.entity, self.project):
            raise UsageError(
                f"artifact {artifact.qualified_name} is not in {self.entity}/{self.project},"
                f" the project of run {self.path_str}"
            )
        data = await create_version(
            self._session,
            self.run_path,
            collection=artifact.collection,
            type_name=artifact.type,
            digest=artifact.digest,
            description=None,
            metadata=None,
            aliases=checked_aliases,
            tags=checked_tags,
        )
        return AsyncArtifact(self._session, data)

    # -- loading ------------------------------------------------------------------------

    async def load(self, force: bool = False) -> AsyncRun:
        """Reload the run from the server when `force` (dropping unsaved edits).

        A run whose full data was loaded is reloaded with full data.
        """
        if not force:
            return self
        async with self._lock:
            if self._full is not None:
                return await self.load_full_data(force=True)
            result = await self._session.gql.get_run(
                entity=self.entity, project=self.project, name=self.id
            )
            self._set_data(run_of(result.project, self.path_str))
        return self

    async def load_full_data(self, force: bool = False) -> AsyncRun:
        """Load config, summaries and history keys (again, with `force`).

        A run listed lazily loads them together with the other runs of its page: one
        request per page, not one per run.
        """
        if self._full is not None and not force:
            return self
        if self._batch is not None and not force:
            # Without this run's lock: the batch takes it (and its siblings') to hand out data.
            await self._batch.load()
        async with self._lock:
            if self._full is None or force:
                self._set_data(await self._fetch_current())
        return self

    def _adopt_full_data(self, data: FullRun) -> None:
        """Take the full data loaded with this run's page, unless it has its own by now.
        Edits made meanwhile are kept: the listing and these data are the same run."""
        with self._lock:
            if self._full is None:
                self._set_data(data, keep_edits=True)

    # -- mutations ----------------------------------------------------------------------

    async def update(self) -> AsyncRun:
        """Save local edits: tags, notes, name, description, group, job type, config, summary.

        Only changed fields are sent, and of config and summary only the changed keys:
        the server merges them into the stored values atomically when it offers that
        (MERGE_RUN_CHANGES), else they are replayed onto the values as re-read just
        before writing. Either way concurrent edits of other keys survive; see README.md
        for the window that replaying leaves.
        """
        async with self._lock:
            fields: dict[str, Any] = {}
            for field in ("display_name", "description", "notes", "group", "job_type"):
                if field in self._edits:
                    # W&B leaves a field given as null unchanged: an empty text clears it.
                    value = self._edits[field]
                    fields[field] = "" if value is None else value
            if self._tags != list(self._data.tags or []):
                fields["tags"] = list(self._tags)
            views = self._decoded
            config = [] if views is None else views.config.changes
            summary = [] if views is None else views.summary.changes
            if config or summary:
                await self._save_changes(fields, config=config, summary=summary)
            elif fields:
                await self._send_update(fields)
        return self

    save = update

    async def _fetch_current(self) -> FullRun:
        result = await self._session.gql.get_run_full(
            entity=self.entity, project=self.project, name=self.id
        )
        return run_of(result.project, self.path_str)

    async def _save_changes(
        self,
        fields: dict[str, Any],
        *,
        config: list[Change],
        summary: list[Change],
        keep_edits: bool = False,
    ) -> None:
        """Save `fields` with config and summary changes: one atomic merge on the server
        when it offers one, else the changes replayed onto a fresh read, then written."""
        if await self._session.features.enabled(MERGE_RUN_CHANGES):
            result = await self._session.gql.merge_run_changes(
                id=self.storage_id,
                **fields,
                config=_change_inputs(config),
                summary_metrics=_change_inputs(summary),
            )
            merged = result.merge_run_changes
            self._adopt(merged.bucket if merged else None, keep_edits=keep_edits)
            return
        current = await self._fetch_current()
        if config:
            raw = decode_object(current.config, what=f"config of {self.path_str}")
            fields["config"] = encode(wrap_config(apply_changes(unwrap_config(raw), config), raw))
        if summary:
            stored = decode_object(current.summary_metrics, what=f"summary of {self.path_str}")
            fields["summary_metrics"] = encode(apply_changes(stored, summary))
        await self._send_update(fields, keep_edits=keep_edits)

    async def _send_update(self, fields: dict[str, Any], *, keep_edits: bool = False) -> None:
        result = await self._session.gql.update_run(id=self.storage_id, **fields)
        self._adopt(
            result.upsert_bucket.bucket if result.upsert_bucket else None, keep_edits=keep_edits
        )

    def _adopt(self, bucket: FullRun | None, *, keep_edits: bool) -> None:
        """Take the run as a mutation returned it; None means the run is gone."""
        if bucket is None:
            raise NotFoundError(f"run {self.path_str} not found", path=self.path_str)
        self._set_data(bucket, keep_edits=keep_edits)

    async def _save_summary(self, changes: list[Change]) -> None:
        if not changes:
            return
        async with self._lock:
            # Saving the summary leaves the other unsaved edits pending.
            await self._save_changes({}, config=[], summary=changes, keep_edits=True)

    async def delete(self, delete_artifacts: bool = False) -> None:
        """Delete the run (and the artifacts it logged, with `delete_artifacts`)."""
        await self._session.gql.delete_run(id=self.storage_id, delete_artifacts=delete_artifacts)

    async def update_state(self, state: str) -> bool:
        """Set the run's state (for example "pending" to requeue it); True on success."""
        if state not in SETTABLE_STATES:
            raise UsageError(f"state must be one of {sorted(SETTABLE_STATES)}, got {state!r}")
        from runsapi._async._gql import UpdateRunStateInput  # noqa: PLC0415 (see update)

        result = await self._session.gql.update_run_state(
            input=UpdateRunStateInput(id=self.storage_id, state=state)
        )
        ok = bool(result.update_run_state and result.update_run_state.success)
        if ok:
            self._replace_state(state)
        return ok

    def _replace_state(self, state: str) -> None:
        with self._lock:
            self._data = self._data.model_copy(update={"state": state})
            if _is_full(self._data):
                self._full = self._data

    async def stop(self) -> bool:
        """Ask the run's process to stop; True when the server accepted."""
        result = await self._session.gql.stop_run(id=self.storage_id)
        return bool(result.stop_run and result.stop_run.success)

    async def wait_until_finished(
        self, poll_interval: float = 5.0, timeout: float | None = None
    ) -> str:
        """Poll the run's state until it is terminal (finished, crashed, failed, killed,
        preempted); return it. Raises TimeoutError after `timeout` seconds."""
        check_seconds(poll_interval, "poll_interval")
        if timeout is not None:
            check_seconds(timeout, "timeout", allow_zero=True)  # 0: poll once
        started = time.monotonic()
        while True:
            result = await self._session.gql.get_run_state(
                entity=self.entity, project=self.project, name=self.id
            )
            state = run_of(result.project, self.path_str).state or "unknown"
            self._replace_state(state)
            if state in TERMINAL_STATES:
                return state
            if timeout is not None and time.monotonic() - started + poll_interval > timeout:
                raise TimeoutError(f"run {self.path_str} still {state!r} after {timeout:g} s")
            await _backend.sleep(poll_interval)

    # -- history ------------------------------------------------------------------------

    @overload
    async def history(
        self,
        samples: int = ...,
        keys: Sequence[str] | None = ...,
        x_axis: str = ...,
        pandas: Literal[True] = ...,
        stream: Stream = ...,
        *,
        join: Join = ...,
    ) -> pandas_.DataFrame: ...
    @overload
    async def history(
        self,
        samples: int = ...,
        keys: Sequence[str] | None = ...,
        x_axis: str = ...,
        *,
        pandas: Literal[False],
        stream: Stream = ...,
        join: Join = ...,
    ) -> list[dict[str, Any]]: ...
    @overload
    async def history(
        self,
        samples: int,
        keys: Sequence[str] | None,
        x_axis: str,
        pandas: Literal[False],
        stream: Stream = ...,
        *,
        join: Join = ...,
    ) -> list[dict[str, Any]]: ...
    async def history(
        self,
        samples: int = 500,
        keys: Sequence[str] | None = None,
        x_axis: str = "_step",
        pandas: bool = True,
        stream: Stream = "default",
        *,
        join: Join = "inner",
    ) -> pandas_.DataFrame | list[dict[str, Any]]:
        """A *sample* of the run's history: at most `samples` rows, first and last kept.

        Args:
            keys: Metrics to return (the x axis is always added). None returns every key.
            join: "inner" keeps rows that have every key (the official client's
                behaviour); "outer" samples each key on its own and merges them on the x
                axis, for keys logged at different steps.
            stream: "system" returns system metrics (keys must then be None).
            pandas: A DataFrame (`df.attrs` says it is sampled and how many rows the run
                has), or a list of dicts.
        """
        rows = await sampled_history(
            self._session,
            self.run_path,
            samples=samples,
            keys=keys,
            x_axis=x_axis,
            stream=stream,
            join=join,
        )
        if not pandas:
            return rows
        attrs = {"sampled": True, "samples": samples, "run_rows": self.history_line_count}
        return rows_to_frame(rows, x_axis=x_axis, attrs=attrs)

    def scan_history(
        self,
        keys: Sequence[str] | None = None,
        page_size: int = 1000,
        min_step: int | None = None,
        max_step: int | None = None,
        use_cache: bool = True,
        *,
        progress: bool | None = None,
        max_workers: int = DEFAULT_SCAN_WORKERS,
    ) -> AsyncHistoryScan:
        """Every history row in step order (`max_step` exclusive), a page at a time.

        With keys, only rows that have all of them. `.iter_batches()` yields one
        DataFrame per page instead of one dict per row. `progress` shows a bar over the
        steps (default: when stderr is a terminal or in a Jupyter notebook). Up to
        `max_workers` step ranges are fetched at once (1 to 20); `close()` the scan, or
        use it in a `with` block, to stop it early.

        A run that is over may have its history exported to parquet files: when they hold
        the whole step range and pyarrow is installed (the `arrow` extra), the scan reads
        them (downloaded once into the cache, again if not `use_cache`) instead of paging,
        for the same rows (see `runsapi.history_exports`).
        """
        return AsyncExportedHistoryScan(
            self._session,
            self.run_path,
            keys=keys,
            page_size=page_size,
            min_step=min_step,
            max_step=max_step,
            progress=progress,
            max_workers=max_workers,
            use_cache=use_cache,
            finished=self.state in TERMINAL_STATES,
        )

    def beta_scan_history(
        self,
        keys: Sequence[str] | None = None,
        page_size: int = 1000,
        min_step: int = 0,
        max_step: int | None = None,
        use_cache: bool = True,
    ) -> AsyncHistoryScan:
        """`scan_history`, under the official client's name for its parquet-based scan."""
        return self.scan_history(keys, page_size, min_step, max_step, use_cache)

    async def download_history_exports(
        self, download_dir: str | os.PathLike[str], require_complete_history: bool = True
    ) -> AsyncDownloadHistoryResult:
        """Download the run's parquet history exports into `download_dir`, as
        `<entity>_<project>_<run>_<i>.runhistory.parquet` in step order (replacing files of
        those names). IncompleteRunHistoryError, before any download, if the run has rows
        not exported yet (it is running) and `require_complete_history`; otherwise the
        result says whether it has (`contains_live_data`)."""
        return await download_history_exports(
            self._session, self.run_path, download_dir, require_complete_history
        )

    # -- display ------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"<Run {self.path_str} ({self.state})>"

    def to_html(self, height: int = 420, hidden: bool = False) -> str:
        """An iframe of the run's page, for notebooks."""
        style = "border:none;width:100%;height:{}px;{}".format(
            height, "display:none;" if hidden else ""
        )
        return f'<iframe src="{html.escape(self.url)}?jupyter=true" style="{style}"></iframe>'

    def _repr_html_(self) -> str:
        return self.to_html()


def _change_inputs(changes: list[Change]) -> list[RunChangeInput]:
    """Changes as mergeRunChanges takes them: a value as JSON, or none to delete."""
    from runsapi._async._gql import RunChangeInput  # noqa: PLC0415 (loaded with the first Api)

    return [
        RunChangeInput(path=list(change.path))
        if change.value is DELETED
        else RunChangeInput(path=list(change.path), value=encode(change.value))
        for change in changes
    ]


class _FullDataBatch:
    """Runs listed on one page, whose full data is loaded together in one request.

    Lock order: the batch's lock guards the request only; runs get their data under their
    own lock afterwards, one at a time, so no thread ever holds two of these locks.
    """

    def __init__(self, session: AsyncSession, path: ProjectPath) -> None:
        self._session = session
        self._path = path
        self.runs: list[AsyncRun] = []
        self._lock = _backend.RLock()
        self._loaded: dict[str, FullRun] | None = None

    @property
    def pending(self) -> bool:
        """Whether some run of the page still lacks its full data."""
        return any(run._full is None for run in self.runs)

    async def load(self) -> None:
        """Load the page's full data (one request, the first time), then hand it out."""
        async with self._lock:
            if self._loaded is None:
                self._loaded = await self._fetch([run.id for run in self.runs if run._full is None])
            loaded = self._loaded
        for run in self.runs:
            data = loaded.get(run.id)
            if data is not None:
                run._adopt_full_data(data)

    async def _fetch(self, names: list[str]) -> dict[str, FullRun]:
        if not names:
            return {}
        result = await self._session.gql.get_runs_full(
            entity=self._path.entity,
            project=self._path.project,
            filters=encode({"name": {"$in": names}}),
            per_page=len(names),
        )
        runs = result.project.runs if result.project else None
        return {edge.node.name: edge.node for edge in runs.edges} if runs else {}
