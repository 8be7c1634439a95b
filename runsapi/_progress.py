"""Optional progress bars for long calls: shown only in an interactive terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Progress(Protocol):
    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...


class _Silent:
    def update(self, n: int = 1) -> object:
        return None

    def close(self) -> None:
        return None


def open_progress(
    total: int | None, *, description: str, unit: str, enabled: bool | None
) -> Progress:
    """A tqdm bar when `enabled` (None: when stderr is a terminal) and tqdm is installed;
    otherwise one that shows nothing. Close it when done."""
    show = sys.stderr.isatty() if enabled is None else enabled
    if show:
        try:
            from tqdm.auto import tqdm  # noqa: PLC0415 (optional dependency)
        except ImportError:
            return _Silent()
        return tqdm(total=total, desc=description, unit=unit, leave=False)
    return _Silent()


@contextmanager
def progress_bar(
    total: int | None, *, description: str, unit: str, enabled: bool | None
) -> Iterator[Progress]:
    bar = open_progress(total, description=description, unit=unit, enabled=enabled)
    try:
        yield bar
    finally:
        bar.close()
