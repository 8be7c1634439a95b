"""Checks on the numbers users pass, each raising UsageError that names the argument."""

from __future__ import annotations

import math
import numbers

from runsapi._exceptions import UsageError

GRAPHQL_INT_MAX = 2**31 - 1
"""GraphQL's Int is 32-bit: a larger page size or sample count cannot be sent."""
MAX_SECONDS = 365 * 24 * 3600.0
"""Longest timeout or delay accepted: a year (sockets and sleeps overflow not far above)."""


def check_count(value: int, name: str, *, allow_zero: bool = False) -> int:
    """`value`, or UsageError unless it is an int from 1 (or 0, with `allow_zero`) to
    GRAPHQL_INT_MAX; bools refused."""
    lowest = 0 if allow_zero else 1
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not lowest <= value <= GRAPHQL_INT_MAX
    ):
        kind = "non-negative" if allow_zero else "positive"
        raise UsageError(
            f"{name} must be a {kind} integer, at most {GRAPHQL_INT_MAX}, got {value!r}"
        )
    return value


def check_seconds(value: float, name: str, *, allow_zero: bool = False) -> float:
    """`value` as a float, or UsageError unless it is a finite number of seconds above 0
    (or 0, with `allow_zero`) and at most MAX_SECONDS; bools, strings and NaN refused."""
    seconds = math.nan
    if not isinstance(value, bool) and isinstance(value, numbers.Real):
        try:
            seconds = float(value)
        except OverflowError:  # an int too large for a float
            seconds = math.inf
    if not (0 < seconds <= MAX_SECONDS or (allow_zero and seconds == 0)):
        kind = "non-negative" if allow_zero else "positive"
        raise UsageError(
            f"{name} must be a {kind} number of seconds, at most {MAX_SECONDS:.0f} (a year), "
            f"got {value!r}"
        )
    return seconds
