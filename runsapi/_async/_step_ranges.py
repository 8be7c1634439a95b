"""Reading a run's history by step range, several ranges at once, pages in step order.

`AsyncStepRanges` cuts the steps [start, stop) into ranges, requests up to `max_workers`
of them at once (a task each, for one request; a thread in the sync layer) and hands
their rows out in step order.
A range never holds more steps than a page can return unless the rows were proven
sparse, so no page is silently sampled:

- the first ranges are a page of steps wide: steps are unique, so they cannot overflow;
- a range whose rows fill less than half a page widens the ranges cut after it, to about
  a page of rows at that density, at most `_MAX_SPAN_GROWTH` times wider;
- a range that comes back full (the server sampled it) is requested again in ranges half
  as wide, and later ranges are cut no wider either until a sparse one widens them again;
- once the rows left (an upper bound from the run's history keys) cannot fill a page,
  each range reaches as far as it can: one request for the rest of the scan.

At most `max_workers` ranges are requested and not yet handed out, so at most that many
pages are held. A failed request is raised in its range's turn, after the rows before
it; the range is requested again by the next call, so nothing is repeated or skipped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from runsapi._async import _backend

Row = dict[str, Any]

# A scan grows its step range by at most this factor per range when rows are sparse.
_MAX_SPAN_GROWTH = 8


class _Range:
    """Steps [start, end): requested (`rows` set) or still to request (`rows` None, cut
    into requests at most `widest` steps wide, if set)."""

    __slots__ = ("end", "era", "rows", "settled", "start", "widest")

    def __init__(self, start: int, end: int, widest: int | None = None) -> None:
        self.start = start
        self.end = end
        self.widest = widest
        self.rows: _backend.Background[list[Row]] | None = None
        self.settled = False  # answered and examined: rows a page can hold, or an error
        self.era = 0  # how many failures had been raised when it was requested

    @property
    def width(self) -> int:
        return self.end - self.start


class AsyncStepRanges:
    """The pages of rows of steps [start, stop), in step order (see the module docstring).

    `read(start, end)` returns the rows of steps [start, end), at most `page_size` of them
    (sampled by the server when there are more); it runs in the background, named
    `job_name`. `row_bound` is an upper bound on the rows of the whole scan, or None.
    """

    def __init__(
        self,
        read: Callable[[int, int], Awaitable[list[Row]]],
        *,
        page_size: int,
        max_workers: int,
        start: int,
        stop: int,
        row_bound: int | None,
        job_name: str,
    ) -> None:
        self._read = read
        self._page_size = page_size
        self._max_workers = max_workers
        self._stop = stop
        self._job_name = job_name
        self.next_step = start
        """The first step whose rows have not been handed out."""
        self.pages_fetched = 0
        """Requests answered so far, a range requested again narrower included."""
        self._rows_left = row_bound
        self._cut = start  # the steps from here to `stop` are in no range yet
        # The ranges from `next_step` to `_cut`, in step order, requested or not.
        self._window: list[_Range] = []
        self._span = page_size  # the width of the next range cut after `_cut`
        self._running: list[_backend.Background[list[Row]]] = []
        """Requests sent and maybe not answered yet, waited for when the scan ends."""
        self._closed = False
        # A failed request is raised only if sent after the last failure raised; older
        # ones (sent before the caller could react) are requested again instead.
        self._failures_raised = 0

    async def next_page(self) -> tuple[int, list[Row]] | None:
        """(steps covered, rows) of the next range, maybe no rows; None when done.

        Raises the error of the next range's request, if it failed (after the client's
        own retries); calling again requests that range anew.
        """
        if self._closed or self.next_step >= self._stop:
            await self._join()
            return None
        head, answer = await self._answered_head()
        error = answer.failure()
        if error is not None:
            self._failures_raised += 1
            raise error
        rows = answer.outcome()
        self._window.pop(0)
        self.next_step = head.end
        if self._rows_left is not None:
            self._rows_left = max(self._rows_left - len(rows), 0)
        if len(rows) < self._page_size // 2:
            self._span = self._widened(head.width, len(rows))
        return head.width, rows

    async def aclose(self) -> None:
        """Request nothing more, drop what is held, and wait for the requests already
        sent (at most `max_workers`) to end."""
        self._closed = True
        self._window.clear()
        await self._join()

    async def _answered_head(self) -> tuple[_Range, _backend.Background[list[Row]]]:
        """The first range and its answer, once answered: ranges are requested meanwhile,
        and those that overflowed are requested again, narrower."""
        while True:
            self._settle()
            self._request()
            head = self._window[0]
            if head.settled and head.rows is not None:
                return head, head.rows
            await _backend.wait_first(
                [piece.rows for piece in self._window if piece.rows and not piece.settled]
            )

    def _settle(self) -> None:
        """Examine the ranges answered since last time. One that overflowed a page goes
        back to be requested again, narrower; so does a failure older than the last one
        raised."""
        for index, piece in enumerate(self._window):
            job = piece.rows
            if job is None or not job.done():
                continue
            if job.failure() is not None:
                if piece.era < self._failures_raised:
                    self._window[index] = _Range(piece.start, piece.end)
                piece.settled = True
                continue
            if piece.settled:
                continue
            piece.settled = True
            self.pages_fetched += 1
            found = len(job.outcome())
            if found >= self._page_size and piece.width > self._page_size:
                self._window[index] = self._overflowed(piece, found)
        self._merge_unrequested()

    def _overflowed(self, piece: _Range, found: int) -> _Range:
        """`piece`, to request again in ranges half as wide; later ranges are cut no wider.
        More rows than the bound allows prove the bound wrong: it is not used again."""
        half = max(self._page_size, piece.width // 2)
        self._span = min(self._span, half)
        if self._rows_left is not None and found > self._rows_left:
            self._rows_left = None
        return _Range(piece.start, piece.end, widest=half)

    def _merge_unrequested(self) -> None:
        merged: list[_Range] = []
        for piece in self._window:
            last = merged[-1] if merged else None
            if last and last.rows is None and piece.rows is None and last.widest == piece.widest:
                last.end = piece.end
            else:
                merged.append(piece)
        self._window = merged

    def _request(self) -> None:
        """Request ranges in step order while fewer than `max_workers` are requested and
        not handed out: first those to request again, then new ones."""
        requested = sum(1 for piece in self._window if piece.rows is not None)
        index = 0
        while requested < self._max_workers:
            while index < len(self._window) and self._window[index].rows is not None:
                index += 1
            if index < len(self._window):
                gap = self._window[index]
                piece = _Range(gap.start, gap.start + self._width(gap.width, gap.widest))
                if piece.end < gap.end:
                    gap.start = piece.end
                    self._window.insert(index, piece)
                else:
                    self._window[index] = piece
            elif self._cut < self._stop:
                piece = _Range(self._cut, self._cut + self._width(self._stop - self._cut, None))
                self._cut = piece.end
                self._window.append(piece)
            else:
                return
            self._start(piece)
            requested += 1

    def _width(self, room: int, widest: int | None) -> int:
        """The width of the next range cut from `room` steps, at most `widest`."""
        if self._rows_left is not None and self._rows_left < self._page_size:
            return room  # the rows left cannot fill a page
        return min(self._span, room, widest or room)

    def _start(self, piece: _Range) -> None:
        read, start, end = self._read, piece.start, piece.end
        piece.rows = _backend.Background.start(lambda: read(start, end), name=self._job_name)
        piece.era = self._failures_raised
        self._running = [job for job in self._running if not job.done()]
        self._running.append(piece.rows)

    async def _join(self) -> None:
        for job in self._running:
            await job.wait()
        self._running.clear()

    def _widened(self, span: int, found: int) -> int:
        """The width to cut ranges after a sparse one `span` steps wide with `found`
        rows: about a page of rows, if the rows keep their density, at most
        `_MAX_SPAN_GROWTH` times wider."""
        target = int(self._page_size * 0.8 * span / max(found, 1))
        return max(self._page_size, min(target, span * _MAX_SPAN_GROWTH))
