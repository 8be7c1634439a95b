"""The async side of what really differs between runsapi's two layers: waiting,
locking, running work concurrently, and loading on attribute access. Everything else in
runsapi/_async/ is rewritten into runsapi/_sync/ by scripts/unasync.py; this module and
its twin, runsapi/_sync/_backend.py, are written by hand with the same names.

Concurrency here is the event loop's: tasks, bounded by a semaphore, never threads.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from types import TracebackType
from typing import Generic, NoReturn, TypeVar

from runsapi._exceptions import NotLoadedError

T = TypeVar("T")
R = TypeVar("R")

LOADS_ON_ACCESS = False
"""Whether reading a property may send a request: never here (it cannot await), so
listings load runs' full data with their page unless asked to be lazy."""


async def sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class RLock:
    """A lock a task may take again while it holds it.

    `async with` around code that awaits; plain `with` around code that does not, which
    needs no lock here (nothing else runs on the loop meanwhile) but does in the sync twin.
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None
        self._depth = 0

    async def __aenter__(self) -> None:
        task = asyncio.current_task()
        if self._owner is not task or task is None:
            await self._lock.acquire()
            self._owner = task
        self._depth += 1

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


class Background(Generic[T]):
    """Work running concurrently with the code that started it (a task)."""

    def __init__(self, task: asyncio.Task[T]) -> None:
        self._task = task

    @classmethod
    def start(cls, work: Callable[[], Awaitable[T]], *, name: str) -> Background[T]:
        async def run() -> T:
            return await work()

        return cls(asyncio.get_running_loop().create_task(run(), name=name))

    def done(self) -> bool:
        return self._task.done()

    def failure(self) -> BaseException | None:
        """The error the finished work raised, or None (it must be done)."""
        if self._task.cancelled():
            return asyncio.CancelledError()
        return self._task.exception()

    def outcome(self) -> T:
        """The finished work's result, or its error raised (it must be done)."""
        return self._task.result()

    async def result(self) -> T:
        """Wait for the work, then its result, or its error raised."""
        await self.wait()
        return self._task.result()

    async def wait(self) -> None:
        """Wait until the work ends, whatever its outcome."""
        await asyncio.wait([self._task])

    async def stop(self) -> None:
        """Cancel the work, and wait until it has ended."""
        self._task.cancel()
        await self.wait()


async def wait_first(jobs: Sequence[Background[T]]) -> None:
    """Wait until one of `jobs` is done."""
    await asyncio.wait([job._task for job in jobs], return_when=asyncio.FIRST_COMPLETED)


async def run_all(
    work: Callable[[T], Awaitable[R]], items: Sequence[T], *, max_workers: int
) -> list[R]:
    """`work(item)` for each item, at most `max_workers` at once; the results in item
    order. At the first failure the work not yet started is dropped, the running work is
    cancelled, and the failure is raised."""
    results = []
    async for _, result in map_in_order(work, items, max_workers=max_workers):
        results.append(result)
    return results


async def map_in_order(
    work: Callable[[T], Awaitable[R]], items: Sequence[T], *, max_workers: int
) -> AsyncIterator[tuple[T, R]]:
    """(item, `work(item)`) for each item in item order, at most `max_workers` running at
    once. After a failure, or when the caller stops early, the rest is cancelled."""
    if len(items) <= 1 or max_workers == 1:
        for item in items:
            yield item, await work(item)
        return
    gate = asyncio.Semaphore(max_workers)

    async def bounded(item: T) -> R:
        async with gate:
            return await work(item)

    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(bounded(item)) for item in items]
    try:
        for item, task in zip(items, tasks, strict=True):
            yield item, await task
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)


def load_on_access(load: Callable[[], Awaitable[object]], *, missing: str, how: str) -> NoReturn:
    """Reading `missing` before it was loaded: a property cannot await a request here,
    so the error says what to await first (`how`)."""
    del load
    raise NotLoadedError(f"{missing} is not loaded: `await {how}` first")
