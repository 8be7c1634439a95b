"""Dicts over a run's config and summary that remember what was changed.

Saving sends only the changes: the server merges them atomically when it offers that,
else they are replayed onto the value re-read just before writing (`Run.update`). Either
way two writers that touch different keys both keep their changes (the official client
writes back its whole copy, and the last writer silently wins). The server's merge
replays them with `apply_changes` too, so both paths agree.

They are real dicts holding decoded JSON, so `json.dumps`, pandas and `isinstance(...,
dict)` treat them as the official client's plain dicts; every method that changes a
dict is overridden to record the change.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic

from typing_extensions import TypeVar

from runsapi._json import as_stored
from runsapi._shared.changes import DELETED, Change, apply_changes

_Saved = TypeVar("_Saved", default=None)
"""What saving returns: None in the sync layer (`Summary` alone), an awaitable in the async one."""


class TrackedDict(dict[str, Any]):
    """A dict whose edits (nested ones included) are recorded as Changes.

    Nested dicts are TrackedDicts too, so `summary["best"]["acc"] = 0.9` is recorded as
    setting ("best", "acc"). A nested dict that was removed or replaced records nothing
    more. Lists are plain: assign a new list to change one. Values are stored as JSON
    decodes them (tuples and sets as lists, dates as strings); copies and pickles are
    plain dicts.
    """

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self._parent: TrackedDict | None = None
        self._key = ""
        self._changes: list[Change] = []
        self._fill(data or {})

    def _fill(self, data: Mapping[str, Any]) -> None:
        """Take `data` as the contents. Nested dicts that stay dicts stay the same objects,
        so references users hold keep recording edits after a reload."""
        old = dict(self)
        dict.clear(self)
        for key, value in data.items():
            child = old.get(key)
            if isinstance(child, TrackedDict) and isinstance(value, dict):
                child._fill(value)
            else:
                child = self._held(key, value)
            dict.__setitem__(self, key, child)

    def _held(self, key: str, value: Any) -> Any:
        """`value` as held at `key`: a dict becomes a TrackedDict child of this one."""
        if not isinstance(value, dict):
            return value
        child = self._child()
        child._parent, child._key, child._changes = self, key, self._changes
        child._fill(value)
        return child

    def _child(self) -> TrackedDict:
        return TrackedDict()

    def _path(self, key: str) -> tuple[str, ...] | None:
        """The path of `key` from the root; None once this dict left the tree."""
        path = [key]
        node = self
        while node._parent is not None:
            if dict.get(node._parent, node._key) is not node:
                return None
            path.append(node._key)
            node = node._parent
        return tuple(reversed(path))

    def _record(self, key: str, value: Any) -> None:
        path = self._path(key)
        if path is not None:
            self._changes.append(Change(path, value))

    def _storable(self, key: str, value: Any) -> Any:
        """`value` as stored at `key`; InvalidValueError if JSON cannot hold it."""
        if not isinstance(key, str):
            raise TypeError(f"keys must be strings, got {type(key).__name__}")
        return as_stored(".".join(self._path(key) or (key,)), value)

    def _set(self, key: str, value: Any) -> None:
        """Set an already storable value (copied: the recorded Change keeps it as set)."""
        dict.__setitem__(self, key, self._held(key, copy.deepcopy(value)))
        self._record(key, value)

    def _set_all(self, other: Any, kwargs: dict[str, Any]) -> None:
        """Set the given keys: all of them, or none if one cannot be stored."""
        checked = {key: self._storable(key, value) for key, value in dict(other, **kwargs).items()}
        for key, value in checked.items():
            self._set(key, value)

    def __setitem__(self, key: str, value: Any) -> None:
        self._set(key, self._storable(key, value))

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """Set the given keys: all of them, or none if one cannot be stored."""
        self._set_all(other, kwargs)

    # mypy compares `|=` with dict's `|`, which returns a new plain dict; this one edits in place.
    def __ior__(self, other: Any) -> TrackedDict:  # type: ignore[override,misc]
        self._set_all(other, {})
        return self

    def setdefault(self, key: str, default: Any = None, /) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def __delitem__(self, key: str) -> None:
        dict.__delitem__(self, key)
        self._record(key, DELETED)

    def pop(self, key: str, /, *default: Any) -> Any:
        if key not in self and default:
            return default[0]
        value = dict.pop(self, key)
        self._record(key, DELETED)
        return value

    def popitem(self) -> tuple[str, Any]:
        key, value = dict.popitem(self)
        self._record(key, DELETED)
        return key, value

    def clear(self) -> None:
        for key in list(self):
            del self[key]

    def __reduce__(self) -> tuple[type[dict[str, Any]], tuple[dict[str, Any]]]:
        """Copies and pickles are plain dicts (nested ones too): a copy is not the run's."""
        return dict, (dict(self),)

    def to_dict(self) -> dict[str, Any]:
        """A plain, independent copy of the (nested) contents."""
        return copy.deepcopy(dict(self))

    @property
    def changes(self) -> list[Change]:
        """The edits not yet saved, oldest first."""
        return list(self._changes)

    def _reset(self, data: dict[str, Any], *, pending: Sequence[Change] = ()) -> None:
        """Adopt freshly read contents (root dicts only): edits are forgotten, except
        `pending` ones, which are replayed on top and stay unsaved."""
        self._fill(apply_changes(data, list(pending)))
        self._changes[:] = pending


class Summary(TrackedDict, Generic[_Saved]):
    """A run's summary metrics: a dict that saves itself.

    `summary[k] = v` and `del summary[k]` are saved by `summary.update()` or
    `run.update()`; `summary.update({...})` changes and saves at once, like the official
    client, also on a nested dict (`summary["best"].update(...)`). Saving sends only these
    changes (see `Run.update`), so other writers' keys survive. `update()` and `save()`
    return what saving returns: nothing in the sync layer, an awaitable in the async one
    (`await run.summary.update({...})`).
    """

    def __init__(
        self, data: Mapping[str, Any] | None, save: Callable[[list[Change]], _Saved]
    ) -> None:
        self._save = save  # before filling: nested Summaries share it
        super().__init__(data)

    def _child(self) -> Summary[_Saved]:
        return Summary(None, self._save)

    def update(self, other: Any = None, /, **kwargs: Any) -> _Saved:  # type: ignore[override]
        """Set the given keys (if any), then save every pending change to the server."""
        super().update(other or (), **kwargs)
        return self.save()

    def save(self) -> _Saved:
        """Save pending changes (saving none sends nothing)."""
        return self._save(self.changes)
