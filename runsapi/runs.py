"""`Runs`: a project's runs matching a filter, in order, loaded a page at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from runsapi._constants import DEFAULT_ORDER, DEFAULT_PER_PAGE, TABLE_PAGE_SIZE
from runsapi._exceptions import NotFoundError
from runsapi._filter_builder import normalize_filters
from runsapi._filters import validate_order
from runsapi._json import encode
from runsapi._pagination import Page, Paginator, page_of
from runsapi._paths import ProjectPath
from runsapi._progress import progress_bar
from runsapi._runs_query import RunsQuery
from runsapi.history import Stream, histories_frame, runs_histories
from runsapi.run import Run, _FullDataBatch

if TYPE_CHECKING:
    import pandas
    import polars

    from runsapi._filter_builder import Filter
    from runsapi._gql import LightRun
    from runsapi._session import Client

__all__ = ["Run", "Runs"]  # Run is imported from here by code written before run.py


class Runs(Paginator[Run]):
    """Runs of a project matching a filter, in order, loaded a page at a time.

    Iterate, index (negative indices and open slices load what they need), or take
    `len()`, which asks the server for the count without listing every run.

    Usually made by `api.runs(...)`; `Runs(client=api.client, entity=..., project=...)`
    builds one directly, as with the official client.

    Args:
        client: `api.client` of the Api to list through.
        entity: The entity (user or team) owning the project.
        project: The project's name.
        filters: A MongoDB-style dict or a filter built with `F` (see `Api.runs`).
        order: `+` (ascending) or `-` then a field; None means `+created_at`.
        per_page: Runs per request.
        include_sweeps: Accepted as in the official client, where it loads each run's
            sweep object while listing; here it changes no request: `run.sweep_name` is
            always listed, and `run.sweep` loads the sweep when first read.
        lazy: List without config and summaries, loading them a page at a time on
            first use.
        limit: Stop after this many runs.
        cursor: Continue after a previous listing's `runs.cursor`.
    """

    def __init__(
        self,
        client: Client,
        entity: str,
        project: str,
        filters: Mapping[str, Any] | Filter | None = None,
        order: str | None = DEFAULT_ORDER,
        per_page: int = DEFAULT_PER_PAGE,
        include_sweeps: bool = False,
        lazy: bool = True,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> None:
        self._session = client._session
        self.path = ProjectPath(entity, project)
        self.include_sweeps = include_sweeps
        self.filters = normalize_filters(filters)
        self.order = validate_order(order)
        self._lazy = lazy
        self._query = RunsQuery(self.path, filters=encode(self.filters), order=self.order)
        super().__init__(
            fetch=self._fetch_page,
            convert=self._to_runs,
            identity=lambda run: run.id,
            per_page=per_page,
            limit=limit,
            cursor=cursor,
            what="runs",
        )

    def _fetch_page(self, cursor: str | None, size: int) -> Page[LightRun]:
        gql = self._session.gql
        list_runs = gql.get_runs if self._lazy else gql.get_runs_full
        result = list_runs(
            self.path.entity,
            self.path.project,
            filters=self._query.filters,
            order=self.order,
            cursor=cursor,
            per_page=size,
        )
        project = result.project
        if project is None:
            raise NotFoundError(f"project {self.path} not found", path=str(self.path))
        return page_of(project.runs, total=project.run_count)

    def _to_runs(self, nodes: Sequence[LightRun]) -> list[Run]:
        batch = _FullDataBatch(self._session, self.path) if self._lazy else None
        runs = [Run(self._session, self.path, node, batch=batch) for node in nodes]
        if batch is not None:
            batch.runs = runs
        return runs

    @property
    def lazy(self) -> bool:
        return self._lazy

    def upgrade_to_full(self) -> None:
        """List further pages with full data, and load it for the runs already listed
        (one request per page already loaded)."""
        self._lazy = False
        for batch in self._pending_batches():
            batch.load()

    def _pending_batches(self) -> list[_FullDataBatch]:
        """The pages listed lazily whose full data is not loaded yet, in listing order."""
        batches = {id(run._batch): run._batch for run in self.loaded if run._batch}
        return [batch for batch in batches.values() if batch.pending]

    def __repr__(self) -> str:
        loaded = len(self.loaded)
        more = ", more to load" if self.more else ""
        return f"<Runs {self.path} ({loaded} loaded{more})>"

    @overload
    def histories(
        self,
        samples: int = ...,
        keys: Sequence[str] | None = ...,
        x_axis: str = ...,
        format: Literal["default"] = ...,
        stream: Stream = ...,
        *,
        max_workers: int = ...,
        progress: bool | None = ...,
    ) -> list[dict[str, Any]]: ...
    @overload
    def histories(
        self,
        samples: int = ...,
        keys: Sequence[str] | None = ...,
        x_axis: str = ...,
        *,
        format: Literal["pandas"],
        stream: Stream = ...,
        max_workers: int = ...,
        progress: bool | None = ...,
    ) -> pandas.DataFrame: ...
    @overload
    def histories(
        self,
        samples: int = ...,
        keys: Sequence[str] | None = ...,
        x_axis: str = ...,
        *,
        format: Literal["polars"],
        stream: Stream = ...,
        max_workers: int = ...,
        progress: bool | None = ...,
    ) -> polars.DataFrame: ...
    def histories(
        self,
        samples: int = 500,
        keys: Sequence[str] | None = None,
        x_axis: str = "_step",
        format: Literal["default", "pandas", "polars"] = "default",
        stream: Stream = "default",
        *,
        max_workers: int = 4,
        progress: bool | None = None,
    ) -> list[dict[str, Any]] | pandas.DataFrame | polars.DataFrame:
        """Sampled histories of every run, in query order, with a `run_id` column.

        With keys, a page of runs costs one request (not one per run). `format` picks a
        list of dicts, a pandas or a polars DataFrame (the same columns in both).
        `progress` shows a bar over the runs (default: when stderr is a terminal or in a
        Jupyter notebook).
        """
        rows = runs_histories(
            self._session,
            self._query,
            self,
            samples=samples,
            keys=keys,
            x_axis=x_axis,
            stream=stream,
            max_workers=max_workers,
            progress=progress,
        )
        return histories_frame(rows, x_axis=x_axis, format=format)

    def to_pandas(self, *, progress: bool | None = None) -> pandas.DataFrame:
        """One row per run, in query order: id, name, state, created_at, tags, group,
        job_type, then `config.*` and `summary.*` columns (nested keys joined with ".").

        Built from the listing pages alone: lazily listed runs are upgraded a page at a
        time, and the pages still to load are listed with full data, at least
        TABLE_PAGE_SIZE (500) runs per request. When that takes more than one request,
        `progress` shows a bar over the runs (default: when stderr is a terminal or in a
        Jupyter notebook).
        """
        from runsapi._frames import runs_frame  # noqa: PLC0415 (pandas loads on first use)

        return runs_frame([run._table_record() for run in self._load_full_table(progress)])

    def _load_full_table(self, progress: bool | None) -> list[Run]:
        """Every run, with full data. The first request is made before any bar opens: it
        tells whether more follow and, listing, how many runs there are."""
        self._lazy = False
        self.per_page = max(self.per_page, TABLE_PAGE_SIZE)
        batches = self._pending_batches()
        if batches:
            batches.pop(0).load()
        else:
            self.load_next_page()
        if batches or self.more:
            with progress_bar(
                self.known_count, description="runs table", unit="run", enabled=progress
            ) as bar:
                # The runs that have their full data already.
                bar.update(len(self.loaded) - sum(len(batch.runs) for batch in batches))
                for batch in batches:
                    batch.load()
                    bar.update(len(batch.runs))
                while self.more:
                    bar.update(len(self.load_next_page()))
        return self.loaded

    def to_polars(self, *, progress: bool | None = None) -> polars.DataFrame:
        """`to_pandas()` as a polars DataFrame (needs the `polars` extra)."""
        import polars as pl  # noqa: PLC0415 (optional dependency)

        return pl.from_pandas(self.to_pandas(progress=progress))
