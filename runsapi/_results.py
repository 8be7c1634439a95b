"""Reading generated results by their shape, without importing the generated client."""

from __future__ import annotations

from typing import Protocol, TypeVar

from runsapi._exceptions import NotFoundError

_N = TypeVar("_N")
_N_co = TypeVar("_N_co", covariant=True)


class HasRun(Protocol[_N_co]):
    """A generated `project` result: its `run` is None when there is no such run."""

    @property
    def run(self) -> _N_co | None: ...


def run_of(project: HasRun[_N] | None, path: str) -> _N:
    """The `project.run` of a result, or NotFoundError naming `path` when it is null."""
    node = project.run if project is not None else None
    if node is None:
        raise NotFoundError(f"run {path} not found", path=path)
    return node
