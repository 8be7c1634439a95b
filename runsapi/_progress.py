"""Progress bars for long calls: by default shown when stderr is a terminal or in a
Jupyter notebook, where `tqdm.auto` draws a widget."""

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


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel. A kernel has imported IPython already, so
    this never imports it."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    # Kernel shells (ZMQInteractiveShell and its subclasses, e.g. Colab's) have a kernel;
    # the terminal IPython shell has none.
    return getattr(shell, "kernel", None) is not None


def open_progress(
    total: int | None, *, description: str, unit: str, enabled: bool | None
) -> Progress:
    """A tqdm bar when `enabled` (None: when stderr is a terminal or in a notebook),
    otherwise one that shows nothing. Close it when done."""
    show = (sys.stderr.isatty() or in_notebook()) if enabled is None else enabled
    if not show:
        return _Silent()
    from tqdm.auto import tqdm  # noqa: PLC0415 (picks the notebook or terminal bar on first use)

    return tqdm(total=total, desc=description, unit=unit, leave=False)


@contextmanager
def progress_bar(
    total: int | None, *, description: str, unit: str, enabled: bool | None
) -> Iterator[Progress]:
    bar = open_progress(total, description=description, unit=unit, enabled=enabled)
    try:
        yield bar
    finally:
        bar.close()
