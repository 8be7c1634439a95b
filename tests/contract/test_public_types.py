"""Every type a user can hold or annotate with is exported from `runsapi`.

A class defined in the client is "reachable" when a public method, property or attribute
of an exported class names it in an annotation (what it returns or takes).
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import runsapi

PACKAGE = Path(runsapi.__file__).parent


def _client_classes() -> set[str]:
    """Names of the public classes defined in the client's modules."""
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if "server" in path.relative_to(PACKAGE).parts:
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                names.add(node.name)
    return names


def _annotations(cls: type) -> list[str]:
    texts = [str(value) for value in inspect.get_annotations(cls).values()]
    for name, member in vars(cls).items():
        if name.startswith("_") and name not in {"__getitem__", "__iter__", "__enter__"}:
            continue
        function = member.fget if isinstance(member, property) else member
        if isinstance(function, (staticmethod, classmethod)):
            function = function.__func__
        if callable(function):
            texts += [str(value) for value in inspect.get_annotations(function).values()]
    return texts


def test_types_named_by_the_public_surface_are_exported() -> None:
    defined = _client_classes()
    exported = set(runsapi.__all__)
    missing: dict[str, set[str]] = {}
    for name in runsapi.__all__:
        value = getattr(runsapi, name)
        if not inspect.isclass(value):
            continue
        for cls in value.__mro__:
            if not cls.__module__.startswith("runsapi"):
                continue
            for text in _annotations(cls):
                named = set(re.findall(r"[A-Za-z_]\w*", text)) & defined
                if named - exported:
                    missing.setdefault(name, set()).update(named - exported)
    assert not missing, f"not exported from runsapi: {missing}"
