"""The public surface: a sorted, complete __all__, and a typed package."""

from __future__ import annotations

from pathlib import Path

import runsapi


def test_all_is_sorted_and_complete() -> None:
    public = {name for name in vars(runsapi) if not name.startswith("_")} - {"annotations"}
    assert len(runsapi.__all__) == len(set(runsapi.__all__))  # ruff (RUF022) keeps it sorted
    assert set(runsapi.__all__) - {"__version__"} == public - _submodules()


def _submodules() -> set[str]:
    return {name for name, value in vars(runsapi).items() if type(value).__name__ == "module"}


def test_package_is_typed() -> None:
    assert (Path(runsapi.__file__).parent / "py.typed").exists()
