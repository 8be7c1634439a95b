"""Runs whose process died: a run that streams (file_stream) is watched until it completes,
and once its last heartbeat is older than the server's timeout it is stored as "crashed"
("preempted" if it was preempting), as W&B marks a run whose SDK went silent. The SDK
heartbeats every 30 s when it has nothing else to send (`heartbeat_seconds`); the
default timeout is well above that.

The app checks every HEARTBEAT_CHECKS_PER_TIMEOUT-th of the timeout (at most every
MAX_HEARTBEAT_CHECK_SECONDS) from a task of its lifespan, so that every reader sees the
crash the same way. A crashed run whose process streams again is running again
(_file_stream.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from datetime import datetime, timedelta, timezone

from starlette.concurrency import run_in_threadpool

from runsapi.server._constants import (
    HEARTBEAT_CHECKS_PER_TIMEOUT,
    MAX_HEARTBEAT_CHECK_SECONDS,
    MIN_HEARTBEAT_CHECK_SECONDS,
)
from runsapi.server._store import Store
from runsapi.server._time import iso

LOGGER = logging.getLogger("runsapi.server")


def heartbeat_timeout(seconds: object) -> float | None:
    """`seconds` checked: a positive finite number, or None (runs never crash)."""
    if seconds is None:
        return None
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not math.isfinite(seconds)
        or seconds <= 0
    ):
        raise ValueError(
            "heartbeat_timeout takes a number of seconds above 0, or None (runs never crash);"
            f" got {seconds!r}"
        )
    return float(seconds)


def crash_silent_runs(store: Store, timeout: float, *, at: datetime | None = None) -> int:
    """Store as crashed (or preempted) every watched run still running (or preempting)
    whose heartbeat is older than `timeout` seconds before `at` (now); how many."""
    moment = at or datetime.now(timezone.utc)
    cutoff = iso(moment - timedelta(seconds=timeout))
    with store.write() as conn:
        cursor = conn.execute(
            "UPDATE runs SET watched = 0, updated_at = ?,"
            " state = CASE state WHEN 'preempting' THEN 'preempted' ELSE 'crashed' END"
            " WHERE watched = 1 AND heartbeat_at < ? AND state IN ('running', 'preempting')",
            (iso(moment), cutoff),
        )
        return cursor.rowcount


def check_interval(timeout: float) -> float:
    """How often the app looks for silent runs, for a given timeout."""
    return min(
        max(timeout / HEARTBEAT_CHECKS_PER_TIMEOUT, MIN_HEARTBEAT_CHECK_SECONDS),
        MAX_HEARTBEAT_CHECK_SECONDS,
    )


async def watch_heartbeats(store: Store, timeout: float, stopping: asyncio.Event) -> None:
    """Crash silent runs now and then every `check_interval(timeout)` until `stopping` is
    set (a check under way finishes first: the store stays usable until then)."""
    interval = check_interval(timeout)
    while not stopping.is_set():
        try:
            crashed = await run_in_threadpool(crash_silent_runs, store, timeout)
        except Exception:  # a busy database: the next check tries again
            LOGGER.exception("checking the runs' heartbeats failed")
        else:
            if crashed:
                LOGGER.info("%d run(s) crashed: no heartbeat for %g s", crashed, timeout)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stopping.wait(), interval)
