"""Request counts per GraphQL operation, for tests that assert how often a client asked."""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

from runsapi.server._constants import MAX_COUNTED_NAME_LENGTH, MAX_COUNTED_OPERATIONS

_COMMENT = re.compile(r"#[^\n]*")
_OPERATION = re.compile(r"\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")
ANONYMOUS = "<anonymous>"
# Where names past MAX_COUNTED_OPERATIONS distinct ones, or too long, are counted.
OTHER_OPERATIONS = "<other>"


def operation_name(payload: Any) -> str:
    """The operation's name: `operationName` if given (the official client sends ""),
    else the name of the first operation in the document."""
    if not isinstance(payload, dict):
        return ANONYMOUS
    name = payload.get("operationName")
    if isinstance(name, str) and name:
        return name
    query = payload.get("query")
    if not isinstance(query, str):
        return ANONYMOUS
    match = _OPERATION.search(_COMMENT.sub("", query))
    return match.group(1) if match else ANONYMOUS


class RequestCounter:
    """Thread-safe counts of GraphQL requests by operation name (faulted ones included),
    and of the response bytes sent for them, for benchmarks. Names are the client's, so
    the memory they take is bounded: at most MAX_COUNTED_OPERATIONS of at most
    MAX_COUNTED_NAME_LENGTH characters are kept apart, others count as OTHER_OPERATIONS.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._bytes_sent = 0

    def record(self, operation: str) -> None:
        with self._lock:
            full = len(self._counts) >= MAX_COUNTED_OPERATIONS
            if len(operation) > MAX_COUNTED_NAME_LENGTH or (full and operation not in self._counts):
                operation = OTHER_OPERATIONS
            self._counts[operation] += 1

    def record_bytes(self, size: int) -> None:
        with self._lock:
            self._bytes_sent += size

    @property
    def bytes_sent(self) -> int:
        with self._lock:
            return self._bytes_sent

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._bytes_sent = 0
