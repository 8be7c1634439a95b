"""Timestamps as the database stores them: naive UTC ISO-8601 text, like W&B's DateTime."""

from __future__ import annotations

from datetime import datetime, timezone


def iso(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat()


def now() -> str:
    return iso(datetime.now(timezone.utc))
