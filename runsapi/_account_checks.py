"""Checks on the arguments of the team and user methods, each raising UsageError that
names the argument, before any request is sent."""

from __future__ import annotations

from collections.abc import Callable

from runsapi._exceptions import UsageError


def check_text(value: object, what: str) -> str:
    """`value` if it is a non-empty string without surrounding whitespace."""
    if not isinstance(value, str) or not value or value != value.strip():
        raise UsageError(
            f"{what} must be a non-empty string without surrounding spaces, got {value!r}"
        )
    return value


def check_optional_text(value: object, what: str) -> str | None:
    return None if value is None else check_text(value, what)


def check_flag(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"{what} must be True or False, got {value!r}")
    return value


def check_rule(rule: Callable[[str], str], value: object, what: str) -> str:
    """`value` if it is a string `rule` (of _shared/account_names.py) accepts, else
    UsageError with the rule's message."""
    if not isinstance(value, str):
        raise UsageError(f"{what} must be a string, got {value!r}")
    try:
        return rule(value)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
