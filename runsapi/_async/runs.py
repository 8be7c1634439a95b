"""`Runs`: a project's runs matching a filter, in order, loaded a page at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, overload

from runsapi._async import _backend
from runsapi._async._pagination import AsyncPaginator
from runsapi._async.history import check_histories_format, histories_frame, runs_histories
from runsapi._async.run import AsyncRun, _FullDataBatch
from runsapi._constants import (
    DEFAULT_ORDER,
    DEFAULT_PER_PAGE,
    MAX_RUNS_PER_PAGE,
    TABLE_PAGE_SIZE,
    TABLE_WORKERS,
)
from runsapi._exceptions import NotFoundError
from runsapi._filter_builder import normalize_filters
from runsapi._filters import validate_order
from runsapi._history_rows import Stream
from runsapi._json import encode
from runsapi._pages import DefaultPageSize, Page, page_of
from runsapi._paths import ProjectPath
from runsapi._progress import Progress, progress_bar
from runsapi._runs_query import RunsQuery

if TYPE_CHECKING:
    import pandas
    import polars

    from runsapi._async._gql import LightRun
    from runsapi._async._session import AsyncClient
    from runsapi._filter_builder import Filter

__all__ = ["AsyncRun", "AsyncRuns"]  # Run is imported from here by code written before run.py

GROWING_PER_PAGE: Final = DefaultPageSize(DEFAULT_PER_PAGE)
"""`per_page` left at its default: 50 runs first, then larger pages (see `Runs`)."""


class AsyncRuns(AsyncPaginator[AsyncRun]):
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
        per_page: Runs per request. Left at its default, the first request lists 50
            runs and each later one 4 times as many as the one before, up to 10,000;
            a number given (50 included) is the size of every page.
        include_sweeps: Accepted as in the official client, where it loads each run's
            sweep object while listing; here it changes no request: `run.sweep_name` is
            always listed, and `run.sweep` loads the sweep when first read.
        lazy: List without config and summaries, loading them a page at a time on
            first use (the default of the sync `Runs`). `AsyncRuns` lists full data by
            default, since a property cannot await: with `lazy=True`, await
            `run.load_full_data()` before reading `config` or `summary`.
        limit: Stop after this many runs.
        cursor: Continue after a previous listing's `runs.cursor`.

    While a loop is on the last page listed, the next one is fetched in the background
    (one page ahead; an error it meets is raised when the loop reaches it). `aclose()`,
    or the end of an `async with` block, stops that; so does `AsyncApi.aclose()`.
    """

    def __init__(
        self,
        client: AsyncClient,
        entity: str,
        project: str,
        filters: Mapping[str, Any] | Filter | None = None,
        order: str | None = DEFAULT_ORDER,
        per_page: int = GROWING_PER_PAGE,
        include_sweeps: bool = False,
        lazy: bool = _backend.LOADS_ON_ACCESS,
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
            convert=list,
            identity=lambda run: run.id,
            per_page=per_page,
            limit=limit,
            cursor=cursor,
            what="runs",
            max_per_page=MAX_RUNS_PER_PAGE,
            prefetch=self._session.listings,
        )

    async def _fetch_page(self, cursor: str | None, size: int) -> Page[AsyncRun]:
        """A page of runs; the first this listing loads also asks for their count."""
        gql = self._session.gql
        lazy = self._lazy  # read once: a table may switch it while a page is on its way
        list_runs = gql.get_runs if lazy else gql.get_runs_full
        # The operation asks for the count unless told not to: leaving it out keeps the
        # first page's request as it always was.
        without_count = {"with_count": False} if self.pages_loaded else {}
        result = await list_runs(
            self.path.entity,
            self.path.project,
            filters=self._query.filters,
            order=self.order,
            cursor=cursor,
            per_page=size,
            **without_count,
        )
        project = result.project
        if project is None:
            raise NotFoundError(f"project {self.path} not found", path=str(self.path))
        page = page_of(project.runs, total=project.run_count)
        runs = self._to_runs(page.nodes, lazy=lazy)
        return Page(runs, page.next_cursor, page.has_next, page.total)

    def _to_runs(self, nodes: Sequence[LightRun], *, lazy: bool) -> list[AsyncRun]:
        batch = _FullDataBatch(self._session, self.path) if lazy else None
        runs = [AsyncRun(self._session, self.path, node, batch=batch) for node in nodes]
        if batch is not None:
            batch.runs = runs
        return runs

    @property
    def lazy(self) -> bool:
        return self._lazy

    async def upgrade_to_full(self) -> None:
        """List further pages with full data, and load it for the runs already listed
        (one request per page already loaded, up to TABLE_WORKERS at once)."""
        self._lazy = False
        await self._settle_prefetch()
        await _load_batches(self._pending_batches(), bar=None)

    def _pending_batches(self) -> list[_FullDataBatch]:
        """The pages listed lazily whose full data is not loaded yet, in listing order."""
        batches = {id(run._batch): run._batch for run in self.loaded if run._batch}
        return [batch for batch in batches.values() if batch.pending]

    def __repr__(self) -> str:
        loaded = len(self.loaded)
        more = ", more to load" if self.more else ""
        return f"<Runs {self.path} ({loaded} loaded{more})>"

    @overload
    async def histories(
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
    async def histories(
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
    async def histories(
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
    async def histories(
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

        With keys, many runs cost one request (not one per run): the runs listed already
        are asked by name, up to `max_workers` requests at once, and meanwhile the others
        from where the listing stopped, in pages of `per_page` runs when it is given,
        else of as many runs as one request may sample (500,000 rows). `format` picks a
        list of dicts, a pandas or a polars DataFrame (the same columns in both).
        `progress` shows a bar over the runs (default: when stderr is a terminal or in a
        Jupyter notebook).
        """
        check_histories_format(format)
        histories = await runs_histories(
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
        return histories_frame(histories, x_axis=x_axis, format=format)

    async def to_pandas(self, *, progress: bool | None = None) -> pandas.DataFrame:
        """One row per run, in query order: id, name, state, created_at, tags, group,
        job_type, then `config.*` and `summary.*` columns (nested keys joined with ".").

        Built from the listing pages alone: lazily listed runs are upgraded a request
        per page, TABLE_WORKERS (4) at once, and the pages still to load are listed with
        full data, at least TABLE_PAGE_SIZE (500) runs per request (growing from there
        when `per_page` was left at its default), each fetched while the one before is
        turned into rows. When that takes more than one request,
        `progress` shows a bar over the runs (default: when stderr is a terminal or in a
        Jupyter notebook).
        """
        from runsapi._frames import runs_frame  # noqa: PLC0415 (pandas loads on first use)

        return runs_frame(await self._table_records(progress))

    async def _table_records(self, progress: bool | None) -> list[dict[str, Any]]:
        """Every run as a table record, in listing order, each page's built while the
        next page is fetched. The first request of a listing not started yet is made
        before any bar opens: it tells whether more follow and how many runs there are."""
        self._lazy = False
        self.per_page = max(self.per_page, TABLE_PAGE_SIZE)
        await self._settle_prefetch()
        if not self.pages_loaded:
            await self.load_next_page()
        batches = self._pending_batches()
        if not batches and not self.more:
            return [run._table_record() for run in self.loaded]
        with progress_bar(
            self.known_count, description="runs table", unit="run", enabled=progress
        ) as bar:
            self._prefetch()
            with_full_data = len(self.loaded) - sum(len(batch.runs) for batch in batches)
            if with_full_data:
                bar.update(with_full_data)
            await _load_batches(batches, bar=bar)
            records = [run._table_record() for run in self.loaded]
            async for page in self._pages_to_come():
                records.extend(run._table_record() for run in page)
                bar.update(len(page))
        return records

    async def _pages_to_come(self) -> AsyncIterator[list[AsyncRun]]:
        """The pages not loaded yet, each fetched while the one before is in use."""
        while self.more:
            page = await self.load_next_page()
            self._prefetch()
            yield page

    async def to_polars(self, *, progress: bool | None = None) -> polars.DataFrame:
        """`to_pandas()` as a polars DataFrame (needs the `polars` extra)."""
        import polars as pl  # noqa: PLC0415 (optional dependency)

        return pl.from_pandas(await self.to_pandas(progress=progress))


async def _load_batches(batches: list[_FullDataBatch], *, bar: Progress | None) -> None:
    """Load the full data of listed pages, TABLE_WORKERS requests at a time, counting
    them on the bar in listing order. The first failure is raised once the requests
    already sent are answered; those not sent are dropped."""

    async def load(batch: _FullDataBatch) -> None:
        await batch.load()

    async for batch, _ in _backend.map_in_order(load, batches, max_workers=TABLE_WORKERS):
        if bar is not None:
            bar.update(len(batch.runs))
