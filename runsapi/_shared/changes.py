"""Change sets of a config or summary: what a client saves and the server merges.

The client records edits as Changes; the server's `mergeRunChanges` replays them with
`apply_changes`, and so does the client when the server cannot merge, so both agree.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, final


@final
class _Deleted:
    def __repr__(self) -> str:
        return "DELETED"


DELETED: Final = _Deleted()


@dataclass(frozen=True)
class Change:
    """Set `path` to `value`, or delete it when `value` is DELETED."""

    path: tuple[str, ...]
    value: Any


def apply_changes(base: Mapping[str, Any], changes: list[Change]) -> dict[str, Any]:
    """A deep copy of `base` with `changes` replayed in order."""
    result = copy.deepcopy(dict(base))
    for change in changes:
        *parents, leaf = change.path
        node = result
        for key in parents:
            child = node.get(key)
            if not isinstance(child, dict):
                if change.value is DELETED:
                    break
                child = node[key] = {}
            node = child
        else:
            if change.value is DELETED:
                node.pop(leaf, None)
            else:
                node[leaf] = copy.deepcopy(change.value)
    return result
