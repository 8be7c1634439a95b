"""Timestamps: W&B sends UTC without a zone suffix; runsapi hands out aware datetimes."""

from __future__ import annotations

from datetime import datetime, timezone


def as_utc(value: datetime | None) -> datetime | None:
    """`value` with UTC attached when it has no zone; None stays None."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)
