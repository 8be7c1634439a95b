"""The SQLite database: one connection per thread, WAL, one transaction per write."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runsapi.server._constants import BUSY_TIMEOUT_MS, MMAP_BYTES
from runsapi.server._migrations import migrate
from runsapi.server._regex import regex_search


class Store:
    """A database file, its bytes directory (`<db>.files/`) and per-thread connections.

    Reads run in autocommit mode; `write()` serialises writers in this process and
    wraps each one in a single `BEGIN IMMEDIATE` transaction.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.files_dir = path.with_name(path.name + ".files")
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        # (column, path) of the config and summary keys indexed (_json_indexes), once read.
        self.json_indexes: set[tuple[str, str]] | None = None
        migrate(self.connection())

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.create_function("re2_search", 3, regex_search, deterministic=True)
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._write_lock:
            conn = self.connection()
            if conn.in_transaction:  # nested: join the outer transaction
                yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:  # SQLite rolls back by itself after an interrupt
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def file_path(self, file_id: int) -> Path:
        return self.files_dir / str(file_id)

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
