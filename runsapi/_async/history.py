"""A run's logged metrics: sampled history, full scans, and their DataFrames.

`history()` returns a *sample* (at most `samples` rows, first and last kept) and says so
in `df.attrs`; `scan_history()` returns every row. Scans read step ranges, several at
once, and adapt the ranges to the data: a range never holds more steps than a page can
return unless the rows were proven sparse, so no page is silently sampled (see
`runsapi._step_ranges`).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

from runsapi._async import _backend
from runsapi._async._pagination import AsyncPaginator
from runsapi._async._step_ranges import AsyncStepRanges
from runsapi._checks import check_count
from runsapi._constants import (
    DEFAULT_PER_PAGE,
    DEFAULT_SCAN_WORKERS,
    MAX_CONNECTIONS,
    MAX_RUNS_PER_PAGE,
    MAX_SAMPLED_ROWS,
)
from runsapi._exceptions import NotFoundError, UsageError
from runsapi._history_rows import (
    Join,
    Row,
    Stream,
    check_keys,
    decode_rows,
    restore_non_finite,
)
from runsapi._json import encode
from runsapi._pages import Page, page_of
from runsapi._paths import RunPath
from runsapi._progress import Progress, open_progress, progress_bar
from runsapi._results import run_of
from runsapi._runs_query import RunsQuery

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

    from runsapi._async._session import AsyncSession


async def last_history_step(session: AsyncSession, run: RunPath) -> int:
    """The run's last logged step, asked anew; -1 for a run without history."""
    return (await history_extent(session, run, None))[0]


async def history_extent(
    session: AsyncSession, run: RunPath, keys: Sequence[str] | None
) -> tuple[int, int | None]:
    """The run's last logged step (-1 without history) and, if the server says, an upper
    bound on its rows that have every one of `keys` (all rows for None), in one request.

    The bound is the smallest count the run's history keys give (`historyLineCount` for
    `_step` and for all rows, a key's type counts for it); a key not counted bounds it to 0.
    """
    result = await session.gql.run_history_keys(
        entity=run.entity, project=run.project, name=run.run_id
    )
    node = result.project.run if result.project else None
    history_keys = node.history_keys if node else None
    described = history_keys if isinstance(history_keys, dict) else {}
    step = described.get("lastStep")
    last_step = int(step) if isinstance(step, (int, float)) else -1
    counts: list[int] = []
    if node is not None and isinstance(node.history_line_count, int):
        counts.append(node.history_line_count)
    per_key = described.get("keys")
    if isinstance(per_key, dict):
        counts.extend(_logged_count(per_key.get(key)) for key in keys or () if key != "_step")
    return last_step, min(counts) if counts else None


def _logged_count(described: Any) -> int:
    """How many rows logged a key, from its `{"typeCounts": [{"type", "count"}]}`."""
    type_counts = described.get("typeCounts") if isinstance(described, dict) else None
    if not isinstance(type_counts, list):
        return 0
    return sum(
        count
        for entry in type_counts
        if isinstance(entry, dict) and isinstance(count := entry.get("count"), int)
    )


async def sampled_history(
    session: AsyncSession,
    run: RunPath,
    *,
    samples: int,
    keys: Sequence[str] | None,
    x_axis: str,
    stream: Stream,
    join: Join,
) -> list[Row]:
    """The rows `Run.history` returns, sorted by the x axis."""
    check_count(samples, "samples")
    wanted = check_keys(keys, x_axis=x_axis)
    if stream not in ("default", "system"):
        raise UsageError(f"stream must be 'default' or 'system', got {stream!r}")
    if join not in ("inner", "outer"):
        raise UsageError(f"join must be 'inner' or 'outer', got {join!r}")
    gql = session.gql
    where = (run.entity, run.project, run.run_id)
    if wanted is None:
        if stream == "system":
            events = (await gql.run_events(*where, samples=samples)).project
            return decode_rows(run_of(events, str(run)).events)
        page = (await gql.run_history_page(*where, samples=samples)).project
        return decode_rows(run_of(page, str(run)).history)
    if stream == "system":
        raise UsageError("keys can only be given with stream='default'")
    if join == "inner":
        specs = [encode({"keys": wanted, "samples": samples})]
    else:
        specs = [encode({"keys": [x_axis, key], "samples": samples}) for key in wanted[1:]]
    result = (await gql.run_sampled_history(*where, specs=specs)).project
    per_spec = run_of(result, str(run)).sampled_history or []
    lists = [restore_non_finite(rows) for rows in per_spec]
    if join == "outer":
        return outer_join(lists, x_axis)
    rows = lists[0] if lists else []
    if not rows and len(wanted) > 2:
        await _warn_if_keys_exist_alone(session, run, wanted)
    return rows


def outer_join(lists: Sequence[Sequence[Row]], x_axis: str) -> list[Row]:
    """Merge rows that share an x-axis value; rows are returned sorted by it."""
    merged: dict[Any, Row] = {}
    for rows in lists:
        for row in rows:
            merged.setdefault(row.get(x_axis), {}).update(row)
    return [merged[x] for x in sorted(merged, key=_sort_key)]


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, (int, float)) else (1, str(value))


async def _warn_if_keys_exist_alone(session: AsyncSession, run: RunPath, wanted: list[str]) -> None:
    """Explain an empty inner join: keys logged at different steps, or never logged."""
    x_axis, keys = wanted[0], wanted[1:]
    specs = [encode({"keys": [x_axis, key], "samples": 1}) for key in keys]
    gql = session.gql
    result = (
        await gql.run_sampled_history(run.entity, run.project, run.run_id, specs=specs)
    ).project
    per_key = run_of(result, str(run)).sampled_history or []
    missing = [key for key, rows in zip(keys, per_key, strict=False) if not rows]
    if missing:
        message = f"run {run} never logged {missing}"
    else:
        message = (
            f"no row of run {run} has all of {keys}: they were logged at "
            f"different steps; pass join='outer' to merge them on {x_axis!r}"
        )
    warnings.warn(message, UserWarning, stacklevel=4)


class AsyncHistoryScan(AsyncIterator[Row]):
    """Every history row of a run in step order, fetched by step range.

    Up to `max_workers` step ranges are fetched at once (see `runsapi._step_ranges`), so
    at most that many pages are held ahead of the rows being returned. With `keys`, only
    rows that have all of them are returned, filtered on the server, so a sparse key does
    not page through every row. If fetching a range fails (after the client's own
    retries), the exception propagates once the rows before it are returned, and the scan
    stays usable: iterating again resumes at `next_step`, with no row repeated or skipped.
    `aclose()` (or leaving an `async with` block) stops the scan and waits for the
    requests already sent; a scan left unfinished requests nothing more, and its
    background requests end on their own.
    """

    def __init__(
        self,
        session: AsyncSession,
        run: RunPath,
        *,
        keys: Sequence[str] | None,
        page_size: int,
        min_step: int | None,
        max_step: int | None,
        progress: bool | None = None,
        max_workers: int = DEFAULT_SCAN_WORKERS,
    ) -> None:
        self._session = session
        self._run = run
        self._progress = progress
        self._bar: Progress | None = None
        self._keys = check_keys(keys, x_axis="_step")
        self.page_size = check_count(page_size, "page_size")
        for name, value in (("min_step", min_step), ("max_step", max_step)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise UsageError(f"{name} must be an integer or None, got {value!r}")
        if min_step is not None and max_step is not None and max_step <= min_step:
            raise UsageError(f"max_step ({max_step}) must be greater than min_step ({min_step})")
        if (
            isinstance(max_workers, bool)
            or not isinstance(max_workers, int)
            or not 1 <= max_workers <= MAX_CONNECTIONS
        ):
            raise UsageError(
                f"max_workers must be an integer from 1 to {MAX_CONNECTIONS} (the "
                f"connections of an Api), got {max_workers!r}"
            )
        self.max_workers = max_workers
        self._start = max(min_step or 0, 0)
        self._max_step = max_step
        self._ranges: AsyncStepRanges | None = None
        self._buffer: deque[Row] = deque()
        self._closed = False

    @property
    def next_step(self) -> int:
        """The first step not yet fetched: every row before it has been returned, or
        waits in the scan to be, so a new scan from it continues this one."""
        return self._start if self._ranges is None else self._ranges.next_step

    @property
    def pages_fetched(self) -> int:
        """Requests for history pages answered so far (a page re-read narrower included)."""
        return 0 if self._ranges is None else self._ranges.pages_fetched

    def __aiter__(self) -> AsyncHistoryScan:
        return self

    async def __anext__(self) -> Row:
        while not self._buffer:
            if not await self._fetch_page():
                raise StopAsyncIteration
        return self._buffer.popleft()

    async def __aenter__(self) -> AsyncHistoryScan:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """End the scan: nothing more is requested or returned, and the requests already
        sent (at most `max_workers`) are waited for."""
        self._closed = True
        self._buffer.clear()
        if self._ranges is not None:
            await self._ranges.aclose()
        if self._bar is not None:
            self._bar.close()

    async def _open(self) -> AsyncStepRanges:
        """The scan's step ranges, from its first step to max_step, clamped to the run's
        last step (asked once, with the key counts bounding the rows)."""
        if self._ranges is None:
            last_step, row_bound = await history_extent(self._session, self._run, self._keys)
            stop = last_step + 1 if self._max_step is None else min(self._max_step, last_step + 1)
            self._ranges = AsyncStepRanges(
                self._rows,
                page_size=self.page_size,
                max_workers=self.max_workers,
                start=self._start,
                stop=stop,
                row_bound=row_bound,
                job_name=f"runsapi-scan-{self._run.run_id}",
            )
            self._bar = open_progress(
                max(stop - self._start, 0),
                description=f"history of {self._run.run_id}",
                unit="step",
                enabled=self._progress,
            )
        return self._ranges

    async def _fetch_page(self) -> bool:
        """Fetch the next non-empty page into the buffer; False (and the bar closed) when
        the scan is over."""
        if self._closed:
            return False
        ranges = await self._open()
        while (page := await ranges.next_page()) is not None:
            steps, rows = page
            if self._bar is not None:
                self._bar.update(steps)
            if rows:
                self._buffer.extend(rows)
                return True
        if self._bar is not None:
            self._bar.close()
        return False

    async def _rows(self, start: int, end: int) -> list[Row]:
        """The rows of steps [start, end) in step order, at most a page of them (run in
        the background by the scan's step ranges)."""
        run = self._run
        gql = self._session.gql
        where = (run.entity, run.project, run.run_id)
        if self._keys is None:
            page = await gql.run_history_page(
                *where, min_step=start, max_step=end, samples=self.page_size
            )
            rows = decode_rows(run_of(page.project, str(run)).history)
        else:
            # sampledHistory's maxStep is inclusive.
            spec = {
                "keys": self._keys,
                "minStep": start,
                "maxStep": end - 1,
                "samples": self.page_size,
            }
            result = (await gql.run_sampled_history(*where, specs=[encode(spec)])).project
            lists = run_of(result, str(run)).sampled_history or []
            rows = restore_non_finite(lists[0]) if lists else []
        rows.sort(key=lambda row: row.get("_step", 0))
        return rows

    async def iter_batches(
        self, format: Literal["pandas", "arrow"] = "pandas"
    ) -> AsyncIterator[Any]:
        """One DataFrame (or pyarrow Table) per page, to export without holding all rows."""
        if format not in ("pandas", "arrow"):
            raise UsageError(f"format must be 'pandas' or 'arrow', got {format!r}")
        while self._buffer or await self._fetch_page():
            rows = list(self._buffer)
            self._buffer.clear()
            yield rows_to_frame(rows, x_axis="_step") if format == "pandas" else rows_to_arrow(rows)


def rows_to_frame(
    rows: Sequence[Row],
    *,
    x_axis: str,
    leading: Sequence[str] = (),
    attrs: dict[str, Any] | None = None,
) -> pandas.DataFrame:
    """History rows as a DataFrame: `leading` columns, the x axis, then the other keys sorted.

    Numeric columns are nullable Float64 (Int64 when every value is an integer): a key
    missing from a row is <NA>, while a logged NaN stays NaN and Infinity stays inf.
    """
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415 (imported on first use: it is slow to import)

    keys = sorted({key for row in rows for key in row} - {x_axis, *leading})
    columns: dict[str, Any] = {}
    for key in [*leading, x_axis, *keys]:
        values = [row.get(key) for row in rows]
        columns[key] = _column(values, np, pd)
    frame: pandas.DataFrame = pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))
    if attrs:
        frame.attrs.update(attrs)
    return frame


def _column(values: list[Any], np: Any, pd: Any) -> Any:
    present = [value for value in values if value is not None]
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pd.array(values, dtype="Int64")
    if present and all(isinstance(v, str) for v in present):
        return pd.array(values, dtype="string")
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        mask = np.fromiter((value is None for value in values), dtype=bool, count=len(values))
        data = np.fromiter(
            (0.0 if value is None else float(value) for value in values),
            dtype=float,
            count=len(values),
        )
        return pd.arrays.FloatingArray(data, mask)
    return pd.array(values, dtype=object)


def rows_to_arrow(rows: Sequence[Row]) -> pyarrow.Table:
    import pyarrow as pa  # noqa: PLC0415 (optional dependency: the `arrow` extra)

    keys = ["_step", *sorted({key for row in rows for key in row} - {"_step"})]
    return pa.table({key: [row.get(key) for row in rows] for key in keys})


class _ListedRun(Protocol):
    @property
    def run_path(self) -> RunPath: ...


class RunListing(Protocol):
    """What `runs_histories` reads of a listing of runs (the one behind `Runs`)."""

    @property
    def per_page(self) -> int: ...
    @property
    def grows(self) -> bool: ...
    @property
    def limit(self) -> int | None: ...
    @property
    def known_count(self) -> int | None: ...
    def _loaded_state(self) -> tuple[Sequence[_ListedRun], str | None, bool]: ...
    async def load_all(self) -> Sequence[_ListedRun]: ...


RunHistories = list[tuple[str, list[Row]]]
"""(run id, its sampled rows) of each run, in query order."""

_FORMATS = ("default", "pandas", "polars")


def check_histories_format(format: str) -> None:
    if format not in _FORMATS:
        raise UsageError(f"format must be 'default', 'pandas' or 'polars', got {format!r}")


async def runs_histories(
    session: AsyncSession,
    query: RunsQuery,
    runs: RunListing,
    *,
    samples: int,
    keys: Sequence[str] | None,
    x_axis: str,
    stream: Stream,
    max_workers: int,
    progress: bool | None,
) -> RunHistories:
    """Every run's sampled history, runs in query order.

    With keys, runs' histories come many runs per request (the multi-run operation): the
    runs listed already by name, in up to `max_workers` requests at once, and meanwhile
    the others a page at a time from the listing's cursor. The bar counts runs, out of as
    many as are known before fetching.
    """
    check_count(samples, "samples")
    check_count(max_workers, "max_workers")
    wanted = check_keys(keys, x_axis=x_axis)
    if stream not in ("default", "system"):
        raise UsageError(f"stream must be 'default' or 'system', got {stream!r}")
    if wanted is not None and stream != "default":
        raise UsageError("keys can only be given with stream='default'")
    # Listed first, so the bar has a total.
    listed = await runs.load_all() if wanted is None else []
    total = runs.known_count

    async def history_of(run: _ListedRun) -> list[Row]:
        return await sampled_history(
            session,
            run.run_path,
            samples=samples,
            keys=None,
            x_axis=x_axis,
            stream=stream,
            join="inner",
        )

    with progress_bar(total, description="run histories", unit="run", enabled=progress) as bar:
        if wanted is not None:
            return await _multi_run_sampled(session, query, runs, wanted, samples, max_workers, bar)
        ordered = []
        async for run, rows in _backend.map_in_order(history_of, listed, max_workers=max_workers):
            ordered.append((run.run_path.run_id, rows))
            bar.update(1)
        return ordered


async def _multi_run_sampled(
    session: AsyncSession,
    query: RunsQuery,
    runs: RunListing,
    wanted: list[str],
    samples: int,
    max_workers: int,
    bar: Progress,
) -> RunHistories:
    gql = session.gql
    specs = [encode({"keys": wanted, "samples": samples})]
    entity, project = query.path.entity, query.path.project
    listed, cursor, more = runs._loaded_state()
    names = [run.run_path.run_id for run in listed]
    size = _runs_per_request(runs, samples * len(specs))
    # Runs already listed are split among the workers, in requests of at least
    # DEFAULT_PER_PAGE runs (of `per_page` runs when it is given).
    chunk = size
    if runs.grows:
        chunk = min(size, max(DEFAULT_PER_PAGE, math.ceil(len(names) / max_workers)))

    async def by_names(chunk: list[str]) -> RunHistories:
        result = await gql.runs_sampled_history(
            entity, project, specs, filters=encode({"name": {"$in": chunk}}), per_page=len(chunk)
        )
        found = _histories_of(result.project, query)
        return [(name, found.get(name, [])) for name in chunk]

    async def fetch(cursor: str | None, size: int) -> Page[Any]:
        result = await gql.runs_sampled_history(
            entity,
            project,
            specs,
            filters=query.filters,
            order=query.order,
            cursor=cursor,
            per_page=size,
        )
        if result.project is None:
            raise NotFoundError(f"project {query.path} not found", path=str(query.path))
        return page_of(result.project.runs)

    async def not_listed() -> RunHistories:
        """The runs after the listed ones, a page at a time from the listing's cursor."""
        pages = AsyncPaginator[tuple[str, list[Row]]](
            fetch=fetch,
            convert=lambda nodes: [(node.name, _sampled_rows(node)) for node in nodes],
            identity=lambda item: item[0],
            per_page=size,
            limit=None if runs.limit is None else runs.limit - len(names),
            cursor=cursor,
            what="runs",
        )
        return [item for item in await pages.load_all() if item[0] not in known]

    async def run_task(task: Callable[[], Awaitable[RunHistories]]) -> RunHistories:
        return await task()

    known = set(names)
    tasks: list[Callable[[], Awaitable[RunHistories]]] = [
        functools.partial(by_names, names[start : start + chunk])
        for start in range(0, len(names), chunk)
    ]
    if more:
        tasks.append(not_listed)
    ordered: RunHistories = []
    async for _, part in _backend.map_in_order(run_task, tasks, max_workers=max_workers):
        ordered.extend(part)
        bar.update(len(part))
    return ordered


def _runs_per_request(runs: RunListing, rows_per_run: int) -> int:
    """`per_page` when given, else as many runs as one request may sample."""
    if not runs.grows:
        return runs.per_page
    return max(1, min(MAX_RUNS_PER_PAGE, MAX_SAMPLED_ROWS // rows_per_run))


def _sampled_rows(node: Any) -> list[Row]:
    return restore_non_finite((node.sampled_history or [[]])[0])


def _histories_of(project: Any, query: RunsQuery) -> dict[str, list[Row]]:
    if project is None:
        raise NotFoundError(f"project {query.path} not found", path=str(query.path))
    connection = project.runs
    return {
        edge.node.name: _sampled_rows(edge.node)
        for edge in (connection.edges if connection else [])
    }


def histories_frame(
    histories: RunHistories, *, x_axis: str, format: str
) -> list[Row] | pandas.DataFrame | polars.DataFrame:
    """`runs.histories` as `format`: "default" (rows tagged with `run_id`), "pandas" or
    "polars".

    pandas and polars frames have the same columns in the same order: run_id, the x
    axis, then the other keys sorted.
    """
    check_histories_format(format)
    if format == "default":
        return _tagged_rows(histories)
    frame = _histories_to_frame(histories, x_axis=x_axis)
    if format == "pandas":
        return frame
    import polars as pl  # noqa: PLC0415 (optional dependency: the `polars` extra)

    return pl.from_pandas(frame)


def _tagged_rows(histories: RunHistories) -> list[Row]:
    return [{"run_id": run_id, **row} for run_id, rows in histories for row in rows]


def _histories_to_frame(histories: RunHistories, *, x_axis: str) -> pandas.DataFrame:
    """`rows_to_frame` of the tagged rows, built a column at a time from each run's rows
    instead of a tagged copy of every row."""
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415 (imported on first use: it is slow to import)

    logged = {key for _, rows in histories for row in rows for key in row}
    if "run_id" in logged:  # a logged `run_id` replaces the tag in its rows
        return rows_to_frame(_tagged_rows(histories), x_axis=x_axis, leading=("run_id",))
    run_ids = [run_id for run_id, rows in histories for _ in rows]
    columns: dict[str, Any] = {"run_id": _column(run_ids, np, pd)}
    for key in [x_axis, *sorted(logged - {x_axis})]:
        values = [row.get(key) for _, rows in histories for row in rows]
        columns[key] = _column(values, np, pd)
    frame: pandas.DataFrame = pd.DataFrame(columns, index=pd.RangeIndex(len(run_ids)))
    return frame
