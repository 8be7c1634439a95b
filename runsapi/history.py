"""A run's logged metrics: sampled history, full scans, and their DataFrames.

`history()` returns a *sample* (at most `samples` rows, first and last kept) and says so
in `df.attrs`; `scan_history()` returns every row. Scans page by step range and adapt the
range to the data: a range never holds more steps than a page can return unless the
previous pages proved the rows sparse, so no page is silently sampled.
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from runsapi._checks import check_count
from runsapi._exceptions import NotFoundError, UsageError
from runsapi._json import encode
from runsapi._pagination import Page, Paginator, page_of
from runsapi._paths import RunPath
from runsapi._progress import Progress, open_progress, progress_bar
from runsapi._results import run_of
from runsapi._runs_query import RunsQuery
from runsapi._shared.json_codec import loads

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

    from runsapi._session import Session

Join = Literal["inner", "outer"]
Stream = Literal["default", "system"]
Row = dict[str, Any]
_A = TypeVar("_A")
_B = TypeVar("_B")

# A scan grows its step range by at most this factor per page when rows are sparse.
_MAX_SPAN_GROWTH = 8


def check_keys(keys: Sequence[str] | None, *, x_axis: str) -> list[str] | None:
    """Validate `keys` and return them with the x axis first, or None for all keys."""
    if not isinstance(x_axis, str) or not x_axis:
        raise UsageError(f"x_axis must be a non-empty string, got {x_axis!r}")
    if keys is None:
        return None
    if isinstance(keys, str) or not isinstance(keys, Sequence):
        raise UsageError(f"keys must be a list of strings, got {keys!r}")
    if not keys:
        raise UsageError("keys must not be empty; pass None for every key")
    bad = [key for key in keys if not isinstance(key, str) or not key]
    if bad:
        raise UsageError(f"keys must be non-empty strings, got {bad!r}")
    return [x_axis, *dict.fromkeys(key for key in keys if key != x_axis)]


# How a JSON value (sampledHistory rows) carries non-finite floats: JSON has no NaN, and
# the W&B-compatible local server writes them as these strings.
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def restore_non_finite(rows: Sequence[Any] | None) -> list[Row]:
    """Sampled rows with "NaN", "Infinity" and "-Infinity" strings made floats again."""
    return [
        {
            key: _NON_FINITE.get(value, value) if type(value) is str else value
            for key, value in row.items()
        }
        if any(type(value) is str and value in _NON_FINITE for value in row.values())
        else row
        for row in rows or []
    ]


def decode_rows(rows: Sequence[str] | None) -> list[Row]:
    """JSON-encoded rows (as `history` and `events` return them) to dicts, in one parse."""
    if not rows:
        return []
    decoded: list[Row] = loads("[" + ",".join(rows) + "]")
    return decoded


def last_history_step(session: Session, run: RunPath) -> int:
    """The run's last logged step, asked anew; -1 for a run without history."""
    result = session.gql.run_history_keys(entity=run.entity, project=run.project, name=run.run_id)
    node = result.project.run if result.project else None
    keys = node.history_keys if node else None
    step = keys.get("lastStep") if isinstance(keys, dict) else None
    return int(step) if isinstance(step, (int, float)) else -1


def sampled_history(
    session: Session,
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
            events = gql.run_events(*where, samples=samples).project
            return decode_rows(run_of(events, str(run)).events)
        page = gql.run_history_page(*where, samples=samples).project
        return decode_rows(run_of(page, str(run)).history)
    if stream == "system":
        raise UsageError("keys can only be given with stream='default'")
    if join == "inner":
        specs = [encode({"keys": wanted, "samples": samples})]
    else:
        specs = [encode({"keys": [x_axis, key], "samples": samples}) for key in wanted[1:]]
    result = gql.run_sampled_history(*where, specs=specs).project
    per_spec = run_of(result, str(run)).sampled_history or []
    lists = [restore_non_finite(rows) for rows in per_spec]
    if join == "outer":
        return outer_join(lists, x_axis)
    rows = lists[0] if lists else []
    if not rows and len(wanted) > 2:
        _warn_if_keys_exist_alone(session, run, wanted)
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


def _warn_if_keys_exist_alone(session: Session, run: RunPath, wanted: list[str]) -> None:
    """Explain an empty inner join: keys logged at different steps, or never logged."""
    x_axis, keys = wanted[0], wanted[1:]
    specs = [encode({"keys": [x_axis, key], "samples": 1}) for key in keys]
    gql = session.gql
    result = gql.run_sampled_history(run.entity, run.project, run.run_id, specs=specs).project
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


class HistoryScan(Iterator[Row]):
    """Every history row of a run in step order, fetched a page at a time.

    With `keys`, only rows that have all of them are returned, filtered on the server,
    so a sparse key does not page through every row. If fetching a page fails (after the
    client's own retries), the exception propagates and the scan stays usable: iterating
    again resumes at the first step not yet returned, with no row repeated or skipped.
    """

    def __init__(
        self,
        session: Session,
        run: RunPath,
        *,
        keys: Sequence[str] | None,
        page_size: int,
        min_step: int | None,
        max_step: int | None,
        progress: bool | None = None,
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
        self._next_step = max(min_step or 0, 0)
        self._max_step = max_step
        self._stop: int | None = None
        self._span = self.page_size
        # (widest span, step until which it applies) after a range overflowed a page.
        self._ceiling = (self.page_size, -1)
        self._buffer: deque[Row] = deque()
        self.pages_fetched = 0

    @property
    def next_step(self) -> int:
        """The first step not yet fetched."""
        return self._next_step

    def __iter__(self) -> HistoryScan:
        return self

    def __next__(self) -> Row:
        while not self._buffer:
            if not self._fetch_page():
                raise StopIteration
        return self._buffer.popleft()

    def _stop_step(self) -> int:
        """One past the last step to read: max_step, clamped to the run's last step."""
        if self._stop is None:
            stop = last_history_step(self._session, self._run) + 1
            self._stop = stop if self._max_step is None else min(self._max_step, stop)
        return self._stop

    def _fetch_page(self) -> bool:
        """Fetch the next non-empty page into the buffer; False (and the bar closed) when
        the scan is over."""
        stop = self._stop_step()
        if self._bar is None:
            self._bar = open_progress(
                max(stop - self._next_step, 0),
                description=f"history of {self._run.run_id}",
                unit="step",
                enabled=self._progress,
            )
        while self._next_step < stop:
            start = self._next_step
            span = min(self._span, stop - start)
            rows = self._rows(start, start + span)
            self.pages_fetched += 1
            if len(rows) >= self.page_size and span > self.page_size:
                # More rows than a page holds, so the server sampled them: re-read a
                # narrower range, and do not widen again before the end of this one.
                self._span = max(self.page_size, span // 2)
                self._ceiling = (self._span, start + span)
                continue
            self._next_step = start + span
            self._bar.update(span)
            if len(rows) < self.page_size // 2:
                self._span = self._widened(span, len(rows))
            if rows:
                self._buffer.extend(rows)
                return True
        self._bar.close()
        return False

    def _widened(self, span: int, found: int) -> int:
        """The next range's width after a sparse one: about a page of rows, if the rows
        keep their density, at most `_MAX_SPAN_GROWTH` times wider, and no wider than a
        range known to overflow."""
        target = int(self.page_size * 0.8 * span / max(found, 1))
        widened = max(self.page_size, min(target, span * _MAX_SPAN_GROWTH))
        ceiling, until = self._ceiling
        if self._next_step < until:
            return min(widened, ceiling)
        return widened

    def _rows(self, start: int, end: int) -> list[Row]:
        run = self._run
        gql = self._session.gql
        where = (run.entity, run.project, run.run_id)
        if self._keys is None:
            page = gql.run_history_page(
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
            result = gql.run_sampled_history(*where, specs=[encode(spec)]).project
            lists = run_of(result, str(run)).sampled_history or []
            rows = restore_non_finite(lists[0]) if lists else []
        rows.sort(key=lambda row: row.get("_step", 0))
        return rows

    def iter_batches(self, format: Literal["pandas", "arrow"] = "pandas") -> Iterator[Any]:
        """One DataFrame (or pyarrow Table) per page, to export without holding all rows."""
        if format not in ("pandas", "arrow"):
            raise UsageError(f"format must be 'pandas' or 'arrow', got {format!r}")
        while self._buffer or self._fetch_page():
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
    def limit(self) -> int | None: ...
    @property
    def more(self) -> bool: ...
    @property
    def known_count(self) -> int | None: ...
    def __iter__(self) -> Iterator[_ListedRun]: ...


def runs_histories(
    session: Session,
    query: RunsQuery,
    runs: RunListing,
    *,
    samples: int,
    keys: Sequence[str] | None,
    x_axis: str,
    stream: Stream,
    max_workers: int,
    progress: bool | None,
) -> list[Row]:
    """Every run's sampled history, each row tagged with `run_id`, runs in query order.

    With keys, runs' histories come a page of runs per request (the multi-run
    operation); pages whose runs are already listed are fetched concurrently. The bar
    counts runs, out of as many as are known before fetching.
    """
    check_count(samples, "samples")
    check_count(max_workers, "max_workers")
    wanted = check_keys(keys, x_axis=x_axis)
    if wanted is not None and stream != "default":
        raise UsageError("keys can only be given with stream='default'")
    listed = list(runs) if wanted is None else []  # listed first, so the bar has a total
    total = runs.known_count
    with progress_bar(total, description="run histories", unit="run", enabled=progress) as bar:
        if wanted is None:
            ordered = []
            for run, rows in _map(
                lambda run: sampled_history(
                    session,
                    run.run_path,
                    samples=samples,
                    keys=None,
                    x_axis=x_axis,
                    stream=stream,
                    join="inner",
                ),
                listed,
                max_workers,
            ):
                ordered.append((run.run_path.run_id, rows))
                bar.update(1)
        else:
            ordered = _multi_run_sampled(session, query, runs, wanted, samples, max_workers, bar)
    return [{"run_id": run_id, **row} for run_id, rows in ordered for row in rows]


def _multi_run_sampled(
    session: Session,
    query: RunsQuery,
    runs: RunListing,
    wanted: list[str],
    samples: int,
    max_workers: int,
    bar: Progress,
) -> list[tuple[str, list[Row]]]:
    gql = session.gql
    specs = [encode({"keys": wanted, "samples": samples})]
    entity, project = query.path.entity, query.path.project

    def by_names(names: list[str]) -> dict[str, list[Row]]:
        result = gql.runs_sampled_history(
            entity, project, specs, filters=encode({"name": {"$in": names}}), per_page=len(names)
        )
        return _histories_of(result.project, query)

    if not runs.more:
        # Every run is listed already: fetch pages of them concurrently.
        names = [run.run_path.run_id for run in runs]
        chunks = [names[i : i + runs.per_page] for i in range(0, len(names), runs.per_page)]
        found: dict[str, list[Row]] = {}
        for chunk, part in _map(by_names, chunks, max_workers):
            found.update(part)
            bar.update(len(chunk))
        return [(name, found.get(name, [])) for name in names]

    def fetch(cursor: str | None, size: int) -> Page[Any]:
        result = gql.runs_sampled_history(
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

    pages = Paginator[tuple[str, list[Row]]](
        fetch=fetch,
        convert=lambda nodes: [(node.name, _sampled_rows(node)) for node in nodes],
        identity=lambda item: item[0],
        per_page=runs.per_page,
        limit=runs.limit,
        what="runs",
    )
    ordered = []
    for item in pages:
        ordered.append(item)
        bar.update(1)
    return ordered


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


def _map(
    function: Callable[[_A], _B], items: list[_A], max_workers: int
) -> Iterator[tuple[_A, _B]]:
    """(item, `function(item)`) on at most `max_workers` threads, in item order."""
    if len(items) <= 1 or max_workers == 1:
        for item in items:
            yield item, function(item)
        return
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items))) as pool:
        futures = [pool.submit(function, item) for item in items]
        for item, future in zip(items, futures, strict=True):
            yield item, future.result()


def histories_frame(
    rows: Sequence[Row], *, x_axis: str, format: str
) -> list[Row] | pandas.DataFrame | polars.DataFrame:
    """`runs.histories` rows as `format`: "default" (the rows), "pandas" or "polars".

    pandas and polars frames have the same columns in the same order: run_id, the x
    axis, then the other keys sorted.
    """
    if format == "default":
        return list(rows)
    if format not in ("pandas", "polars"):
        raise UsageError(f"format must be 'default', 'pandas' or 'polars', got {format!r}")
    frame = rows_to_frame(rows, x_axis=x_axis, leading=("run_id",))
    if format == "pandas":
        return frame
    import polars as pl  # noqa: PLC0415 (optional dependency: the `polars` extra)

    return pl.from_pandas(frame)
