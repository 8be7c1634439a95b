"""A time budget for one request's SQL, so that no request can hold the server.

SQLite calls a progress handler every few thousand virtual-machine instructions; past the
request's deadline it answers "stop", and the statement running then fails with
`sqlite3.OperationalError("interrupted")` (a write's transaction is rolled back). The
handler belongs to the connection, which is the request's own while it runs (one
connection per thread, one thread per request).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

# SQLite instructions between two looks at the clock: about a millisecond of work, so the
# look costs nothing measurable and a stop comes within milliseconds of the deadline.
_INSTRUCTIONS_PER_CHECK = 100_000


@contextmanager
def sql_time_budget(conn: sqlite3.Connection, seconds: float) -> Iterator[None]:
    """Stop any statement on `conn` still running `seconds` after the block starts."""
    deadline = time.monotonic() + seconds
    conn.set_progress_handler(lambda: time.monotonic() > deadline, _INSTRUCTIONS_PER_CHECK)
    try:
        yield
    finally:
        conn.set_progress_handler(None, 0)


def stopped_by_budget(error: BaseException | None) -> bool:
    """Whether `error` is a statement stopped by the budget (nothing else interrupts)."""
    return isinstance(error, sqlite3.OperationalError) and str(error) == "interrupted"
