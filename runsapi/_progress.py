"""Optional progress bars for long calls: shown only in an interactive terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Progress(Protocol):
    def update(self, n: int = 1) -> object: ...


class _Silent:
    def update(self, n: int = 1) -> object:
        return None


@contextmanager
def progress_bar(
    total: int | None, *, description: str, enabled: bool | None
) -> Iterator[Progress]:
    """A tqdm bar when `enabled` (None: when stderr is a terminal) and tqdm is installed."""
    show = sys.stderr.isatty() if enabled is None else enabled
    if show:
        try:
            from tqdm.auto import tqdm  # noqa: PLC0415 (optional dependency)
        except ImportError:
            show = False
    if not show:
        yield _Silent()
        return
    bar = tqdm(total=total, desc=description, unit="row", leave=False)
    try:
        yield bar
    finally:
        bar.close()
