"""Fault injection for client tests: the next N requests fail in a chosen way.

Modes: "status" answers `status` (with `Retry-After: retry_after` if given) and a
gateway-style body, `{"errors": ["<message>"]}` like W&B's `{"errors": ["Server down"]}`
(not spec-shaped GraphQL errors, which would say the query itself failed); "hang"
sleeps `seconds` before answering normally; "drop" closes the connection without an
answer; "truncate" answers 200 with the first half of the real JSON body. A fault may be
limited to one GraphQL operation (by name); the file routes count as no operation.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Literal, cast

from runsapi.server._constants import DEFAULT_HANG_SECONDS

Mode = Literal["status", "hang", "drop", "truncate"]
_MODES = ("status", "hang", "drop", "truncate")


@dataclass(frozen=True)
class Fault:
    mode: Mode
    count: int = 1
    status: int = 503
    retry_after: str | None = None
    seconds: float = DEFAULT_HANG_SECONDS
    operation: str | None = None

    @classmethod
    def from_json(cls, payload: Any) -> Fault:
        """A fault from the admin endpoint's JSON body; ValueError if malformed."""
        if not isinstance(payload, dict) or payload.get("mode") not in _MODES:
            raise ValueError(f"a fault needs a mode among {', '.join(_MODES)}")
        count = payload.get("count", 1)
        status = payload.get("status", 503)
        seconds = payload.get("seconds", DEFAULT_HANG_SECONDS)
        retry_after = payload.get("retry_after")
        operation = payload.get("operation")
        if not isinstance(count, int) or count < 1:
            raise ValueError("count must be a positive integer")
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status code")
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise ValueError("seconds must be a non-negative number")
        if retry_after is not None and not isinstance(retry_after, (str, int, float)):
            raise ValueError("retry_after must be a string or a number")
        if operation is not None and not isinstance(operation, str):
            raise ValueError("operation must be a string")
        return cls(
            mode=cast(Mode, payload["mode"]),
            count=count,
            status=status,
            retry_after=None if retry_after is None else str(retry_after),
            seconds=float(seconds),
            operation=operation,
        )


class FaultQueue:
    """Pending faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[list[Any]] = []  # [fault, remaining count]

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._pending.append([fault, fault.count])

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def take(self, operation: str | None) -> Fault | None:
        """The fault for this request, if any (one use of it is consumed)."""
        with self._lock:
            for entry in self._pending:
                fault: Fault = entry[0]
                if fault.operation is None or fault.operation == operation:
                    entry[1] -= 1
                    if entry[1] == 0:
                        self._pending.remove(entry)
                    return fault
        return None
