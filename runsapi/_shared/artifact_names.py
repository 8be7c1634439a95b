"""What artifact names, aliases and tags may be: the client checks them before sending,
the server before writing, with the same rules and messages (ValueError)."""

from __future__ import annotations

import re

LATEST = "latest"
_COLLECTION_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_VERSION_ALIAS = re.compile(r"v\d+")
# W&B's own rules: its client's for tags (one space between words) and types, its
# server's for names.
_TAG = re.compile(r"[-\w]+( +[-\w]+)*")
_ALIAS_FORBIDDEN = ("/", ":")
NAME_MAX_LENGTH = 128
RESERVED_TYPE_PREFIX = "wandb-"


def version_alias(index: int) -> str:
    return f"v{index}"


def is_version_alias(alias: str) -> bool:
    return _VERSION_ALIAS.fullmatch(alias) is not None


def is_managed_alias(alias: str) -> bool:
    """`latest` and `v<N>`: moved by commits, never deleted by a client."""
    return alias == LATEST or is_version_alias(alias)


def check_collection_name(name: str) -> str:
    if not _COLLECTION_NAME.fullmatch(name) or len(name) > NAME_MAX_LENGTH:
        raise ValueError(
            f"invalid artifact name {name!r}: names have at most {NAME_MAX_LENGTH} letters,"
            " digits, '-', '_' and '.'"
        )
    return name


def check_type_name(name: str) -> str:
    if (
        not name
        or len(name) > NAME_MAX_LENGTH
        or any(char in name for char in _ALIAS_FORBIDDEN)
        or name.startswith(RESERVED_TYPE_PREFIX)
    ):
        raise ValueError(
            f"invalid artifact type {name!r}: types have 1 to {NAME_MAX_LENGTH} characters,"
            f" no '/' or ':', and do not start with {RESERVED_TYPE_PREFIX!r} (W&B's own)"
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
    if not _TAG.fullmatch(name):
        raise ValueError(
            f"invalid tag {name!r}: tags are words of letters, digits, '-' and '_',"
            " separated by spaces"
        )
    return name
