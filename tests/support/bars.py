"""A stand-in for tqdm that records the bars runsapi opens and what they counted."""

from __future__ import annotations

import threading

import pytest
import tqdm.auto


class RecordedBar:
    def __init__(self, *, total: int | None, desc: str, unit: str, leave: bool) -> None:
        self.total = total
        self.description = desc
        self.unit = unit
        self.updates: list[int] = []
        self.closed = False
        self._lock = threading.Lock()  # bars are updated from worker threads too

    def update(self, n: int = 1) -> None:
        with self._lock:
            self.updates.append(n)

    def close(self) -> None:
        self.closed = True

    @property
    def n(self) -> int:
        return sum(self.updates)


def record_bars(monkeypatch: pytest.MonkeyPatch) -> list[RecordedBar]:
    """Make runsapi open RecordedBars instead of tqdm's; returns the list they go to."""
    bars: list[RecordedBar] = []

    def open_bar(*, total: int | None, desc: str, unit: str, leave: bool) -> RecordedBar:
        bar = RecordedBar(total=total, desc=desc, unit=unit, leave=leave)
        bars.append(bar)
        return bar

    monkeypatch.setattr(tqdm.auto, "tqdm", open_bar)
    return bars
