"""The sync side of what really differs between runsapi's two layers: waiting, locking,
running work concurrently, and loading on attribute access; the twin of
runsapi/_async/_backend.py, with the same names (see there).

Concurrency here is threads: a thread per background job, a pool for bounded batches.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

LOADS_ON_ACCESS = True
"""Whether reading a property may send a request: yes here, so listings are lazy by
default and a run loads its full data when one of its full fields is first read."""


def sleep(seconds: float) -> None:
    time.sleep(seconds)


RLock = threading.RLock


class Background(Generic[T]):
    """Work running concurrently with the code that started it (a thread of its own)."""

    def __init__(self, future: Future[T], thread: threading.Thread | None) -> None:
        self._future = future
        self._thread = thread

    @classmethod
    def start(cls, work: Callable[[], T], *, name: str) -> Background[T]:
        future: Future[T] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(work())
            except BaseException as exc:  # handed to whoever asks for the result
                future.set_exception(exc)

        # A daemon: an interpreter exiting does not wait for work no one asked for yet.
        thread = threading.Thread(target=run, name=name, daemon=True)
        try:
            thread.start()
        except RuntimeError as exc:  # no thread to spare: raised to whoever asks
            future.set_running_or_notify_cancel()
            future.set_exception(exc)
            return cls(future, None)
        return cls(future, thread)

    def done(self) -> bool:
        return self._future.done()

    def failure(self) -> BaseException | None:
        """The error the finished work raised, or None (it must be done)."""
        return self._future.exception()

    def outcome(self) -> T:
        """The finished work's result, or its error raised (it must be done)."""
        return self._future.result()

    def result(self) -> T:
        """Wait for the work, then its result, or its error raised."""
        self.wait()
        return self._future.result()

    def wait(self) -> None:
        """Wait until the work ends, whatever its outcome."""
        if self._thread is not None:
            self._thread.join()

    def stop(self) -> None:
        """Cancel the work if it has not started, else wait for it to end (a request
        on the wire cannot be taken back; it ends within its timeout)."""
        self._future.cancel()
        self.wait()


def wait_first(jobs: Sequence[Background[T]]) -> None:
    """Wait until one of `jobs` is done."""
    wait([job._future for job in jobs], return_when=FIRST_COMPLETED)


def run_all(work: Callable[[T], R], items: Sequence[T], *, max_workers: int) -> list[R]:
    """`work(item)` for each item, at most `max_workers` at once; the results in item
    order. At the first failure the work not yet started is dropped, the running work
    finishes, and the failure is raised."""
    return [result for _, result in map_in_order(work, items, max_workers=max_workers)]


def map_in_order(
    work: Callable[[T], R], items: Sequence[T], *, max_workers: int
) -> Iterator[tuple[T, R]]:
    """(item, `work(item)`) for each item in item order, on at most `max_workers`
    threads. After a failure, or when the caller stops early, the work not started is
    dropped and the running work finishes before this returns."""
    if len(items) <= 1 or max_workers == 1:
        for item in items:
            yield item, work(item)
        return
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items))) as pool:
        futures = [pool.submit(work, item) for item in items]
        try:
            for item, future in zip(items, futures, strict=True):
                yield item, future.result()
        finally:
            for future in futures:
                future.cancel()


def load_on_access(load: Callable[[], object], *, missing: str, how: str) -> None:
    """Reading `missing` before it was loaded: load it now (`how` is what the async
    twin asks its caller to await instead)."""
    del missing, how
    load()
