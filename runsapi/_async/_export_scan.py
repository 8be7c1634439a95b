"""`Run.scan_history` over a run's parquet exports, when they hold the steps asked for.

A scan of a run that is over (only such runs are exported) asks for its exports once, on
its first row, if pyarrow is installed (the `arrow` extra). When they hold the whole step
range, it gets the files (runsapi/history_exports.py: cached, or downloaded concurrently)
and reads them a batch at a time (runsapi/_parquet_rows.py), sending no history page;
otherwise it pages as HistoryScan does. The rows are the same either way.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from runsapi._async.history import AsyncHistoryScan, rows_to_arrow, rows_to_frame
from runsapi._async.history_exports import cached_exports, run_exports
from runsapi._constants import DEFAULT_SCAN_WORKERS
from runsapi._exceptions import UsageError
from runsapi._history_rows import Row, check_keys
from runsapi._parquet_rows import last_step, read_rows
from runsapi._paths import RunPath
from runsapi._progress import Progress, open_progress

if TYPE_CHECKING:
    from runsapi._async._session import AsyncSession


def _arrow_installed() -> bool:
    try:
        import pyarrow.parquet  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


class _ExportRead:
    """Where a scan of the export files is: the file, its open batches, and the first step
    not yet returned, from which a read that failed starts again."""

    def __init__(self, paths: list[Path], start: int, end: int, bar: Progress) -> None:
        self.paths = paths
        self.index = 0
        self.position = start
        self.end = end  # one past the last step the files hold in the range
        self.batches: Iterator[list[Row]] | None = None
        self.rows: deque[Row] = deque()
        self.bar = bar

    def advance(self, step: int) -> None:
        """Count the steps up to `step` (exclusive) as read."""
        if step > self.position:
            self.bar.update(step - self.position)
            self.position = step

    def close(self) -> None:
        self.index = len(self.paths)
        self.end = self.position
        self.batches = None
        self.rows.clear()
        self.bar.close()


@dataclass(frozen=True)
class _ExportSource:
    session: AsyncSession
    run: RunPath
    keys: list[str] | None
    start: int
    stop: int | None
    use_cache: bool
    progress: bool | None

    async def open(self) -> _ExportRead | None:
        """A read of the export files if they hold the range, else None (page)."""
        exports = await run_exports(self.session, self.run)
        if not exports.cover(self.stop):
            return None
        paths = await cached_exports(self.session, self.run, exports.urls, use_cache=self.use_cache)
        last = last_step(paths[-1]) if paths else None
        end = self.start if last is None else max(self.start, last + 1)
        if self.stop is not None:
            end = min(end, max(self.stop, self.start))
        bar = open_progress(
            end - self.start,
            description=f"history of {self.run.run_id}",
            unit="step",
            enabled=self.progress,
        )
        return _ExportRead(paths, self.start, end, bar)

    def fill(self, read: _ExportRead, batch_rows: int) -> bool:
        """Put the next rows into `read.rows`; False (and the bar closed) at the end."""
        while read.index < len(read.paths):
            if read.batches is None:
                path = read.paths[read.index]
                read.batches = read_rows(path, self.keys, read.position, self.stop, batch_rows)
            try:
                rows = next(read.batches, None)
            except BaseException:
                read.batches = None  # read again from read.position
                raise
            if rows is None:
                read.batches = None
                read.index += 1
                continue
            read.advance(rows[-1]["_step"] + 1)
            read.rows.extend(rows)
            return True
        read.advance(read.end)
        read.bar.close()
        return False


class AsyncExportedHistoryScan(AsyncHistoryScan):
    """A HistoryScan that reads the run's parquet exports when they hold the whole step
    range (see the module docstring) and pages otherwise, for the same rows in the same
    order. On the export path `pages_fetched` stays 0. A failed request, download or read
    raises; iterating again resumes at the first step not yet returned.
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
        use_cache: bool = True,
        finished: bool,
    ) -> None:
        super().__init__(
            session,
            run,
            keys=keys,
            page_size=page_size,
            min_step=min_step,
            max_step=max_step,
            progress=progress,
            max_workers=max_workers,
        )
        if not isinstance(use_cache, bool):
            raise UsageError(f"use_cache must be True or False, got {use_cache!r}")
        self._parquet = _ExportSource(
            session,
            run,
            check_keys(keys, x_axis="_step"),
            max(min_step or 0, 0),
            max_step,
            use_cache,
            progress,
        )
        self._parquet_read: _ExportRead | None | Literal["pages"] = (
            None if finished and _arrow_installed() else "pages"
        )

    @property
    def next_step(self) -> int:
        read = self._parquet_read
        return read.position if isinstance(read, _ExportRead) else super().next_step

    async def __anext__(self) -> Row:
        read = await self._decided()
        if read is None:
            return await super().__anext__()
        while not read.rows:
            if not self._parquet.fill(read, self.page_size):
                raise StopAsyncIteration
        return read.rows.popleft()

    async def aclose(self) -> None:
        """End the scan, whichever way it reads."""
        read = self._parquet_read
        if isinstance(read, _ExportRead):
            read.close()
        await super().aclose()

    async def iter_batches(
        self, format: Literal["pandas", "arrow"] = "pandas"
    ) -> AsyncIterator[Any]:
        """One DataFrame (or pyarrow Table) per `page_size` rows at most."""
        if format not in ("pandas", "arrow"):
            raise UsageError(f"format must be 'pandas' or 'arrow', got {format!r}")
        read = await self._decided()
        if read is None:
            async for batch in super().iter_batches(format):
                yield batch
            return
        while read.rows or self._parquet.fill(read, self.page_size):
            rows = list(read.rows)
            read.rows.clear()
            yield rows_to_frame(rows, x_axis="_step") if format == "pandas" else rows_to_arrow(rows)

    async def _decided(self) -> _ExportRead | None:
        """The export read, or None to page; decided on the first call (a failure to
        decide raises, and the next call asks again)."""
        if self._parquet_read is None:
            self._parquet_read = await self._parquet.open() or "pages"
        read = self._parquet_read
        return read if isinstance(read, _ExportRead) else None
