"""Dict-like views over a run's config and summary that remember what was changed.

Saving sends only the changes: the server merges them atomically when it offers that,
else they are replayed onto the value re-read just before writing (`Run.update`). Either
way two writers that touch different keys both keep their changes (the official client
writes back its whole copy, and the last writer silently wins). The server's merge
replays them with `apply_changes` too, so both paths agree.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

from runsapi._json import check_storable
from runsapi._shared.changes import DELETED, Change, apply_changes


class TrackedDict(MutableMapping[str, Any]):
    """A mapping whose edits (nested ones included) are recorded as Changes.

    Nested dicts come back as TrackedDict views of the same tree, so
    `summary["best"]["acc"] = 0.9` is recorded as setting ("best", "acc"). Lists are
    returned as they are: assign a new list to change one.
    """

    def __init__(
        self,
        data: dict[str, Any],
        *,
        changes: list[Change] | None = None,
        prefix: tuple[str, ...] = (),
    ) -> None:
        self._root = data
        self._changes: list[Change] = [] if changes is None else changes
        self._prefix = prefix

    def _node(self) -> dict[str, Any]:
        node = self._root
        for key in self._prefix:
            child = node.get(key)
            if not isinstance(child, dict):
                raise KeyError(".".join(self._prefix))
            node = child
        return node

    def __getitem__(self, key: str) -> Any:
        value = self._node()[key]
        if isinstance(value, dict):
            return TrackedDict(self._root, changes=self._changes, prefix=(*self._prefix, key))
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._set(key, self._storable(key, value))

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """Set the given keys: all of them, or none if one cannot be stored."""
        checked = {key: self._storable(key, value) for key, value in dict(other, **kwargs).items()}
        for key, value in checked.items():
            self._set(key, value)

    def _storable(self, key: str, value: Any) -> Any:
        """`value` as stored at `key`; InvalidValueError if JSON cannot hold it."""
        if not isinstance(key, str):
            raise TypeError(f"keys must be strings, got {type(key).__name__}")
        if isinstance(value, TrackedDict):
            return value.to_dict()
        check_storable(".".join((*self._prefix, key)), value)
        return value

    def _set(self, key: str, value: Any) -> None:
        self._node()[key] = copy.deepcopy(value)
        self._changes.append(Change((*self._prefix, key), value))

    def __delitem__(self, key: str) -> None:
        del self._node()[key]
        self._changes.append(Change((*self._prefix, key), DELETED))

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._node()))

    def __len__(self) -> int:
        return len(self._node())

    def __repr__(self) -> str:
        return repr(self._node())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self.to_dict() == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """A plain, independent copy of the (nested) contents."""
        return copy.deepcopy(self._node())

    def view(self) -> Mapping[str, Any]:
        """The contents without copying them, for reading only (runs tables use it)."""
        return self._node()

    @property
    def changes(self) -> list[Change]:
        """The edits not yet saved, oldest first."""
        return list(self._changes)

    def _reset(self, data: dict[str, Any], *, pending: Sequence[Change] = ()) -> None:
        """Adopt freshly read contents (root views only): edits are forgotten, except
        `pending` ones, which are replayed on top and stay unsaved."""
        self._root.clear()
        self._root.update(apply_changes(data, list(pending)))
        self._changes[:] = pending


class Summary(TrackedDict):
    """A run's summary metrics: a dict that saves itself.

    `summary[k] = v` and `del summary[k]` are saved by `summary.update()` or
    `run.update()`; `summary.update({...})` changes and saves at once, like the official
    client. Saving sends only these changes (see `Run.update`), so other writers' keys
    survive.
    """

    def __init__(self, data: dict[str, Any], save: Callable[[list[Change]], None]) -> None:
        super().__init__(data)
        self._save = save

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """Set the given keys (if any), then save every pending change to the server."""
        super().update(other, **kwargs)
        self.save()

    def save(self) -> None:
        """Save pending changes; does nothing when there are none."""
        if self._changes:
            self._save(self.changes)
