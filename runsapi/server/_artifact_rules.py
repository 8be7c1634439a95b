"""What artifact names, aliases, tags and metadata may be: checked before anything is
written, with errors that say what is allowed."""

from __future__ import annotations

import json
import re
from typing import Any

from runsapi.server._jsontext import dumps

LATEST = "latest"
_COLLECTION_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_VERSION_ALIAS = re.compile(r"v\d+")
_TAG = re.compile(r"[\w. -]+")
_ALIAS_FORBIDDEN = ("/", ":")


def version_alias(index: int) -> str:
    return f"v{index}"


def is_version_alias(alias: str) -> bool:
    return _VERSION_ALIAS.fullmatch(alias) is not None


def is_managed_alias(alias: str) -> bool:
    """`latest` and `v<N>`: moved by commits, never deleted by a client."""
    return alias == LATEST or is_version_alias(alias)


def check_collection_name(name: str) -> str:
    if not _COLLECTION_NAME.fullmatch(name):
        raise ValueError(
            f"invalid artifact name {name!r}: names may contain only letters, digits,"
            " '-', '_' and '.'"
        )
    return name


def check_type_name(name: str) -> str:
    if not name or any(char in name for char in _ALIAS_FORBIDDEN):
        raise ValueError(
            f"invalid artifact type {name!r}: types are not empty and contain no '/' or ':'"
        )
    return name


def check_alias(alias: str) -> str:
    """An alias a client may set: `v<N>` is reserved for the version's number."""
    if not alias or any(char in alias for char in _ALIAS_FORBIDDEN):
        raise ValueError(
            f"invalid alias {alias!r}: aliases are not empty and contain no '/' or ':'"
        )
    if is_version_alias(alias):
        raise ValueError(f"the alias {alias!r} is reserved: v<N> names version N")
    return alias


def check_tag(name: str) -> str:
    if not _TAG.fullmatch(name) or not name.strip():
        raise ValueError(
            f"invalid tag {name!r}: tags may contain only letters, digits, '-', '_', '.' and spaces"
        )
    return name


def metadata_text(value: Any) -> str:
    """A version's metadata (a JSONString, or an object already decoded) as stored."""
    parsed = value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise ValueError(f"artifact metadata is not JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ValueError("artifact metadata must be a JSON object")
    return dumps(parsed)
