"""Which optional features the server offers, asked once with W&B's ServerFeaturesQuery.

Asked on first need (the first write that could use one), not when an `Api` is made, so
that read-only code sends no extra request. As in the official client, a failed query
or a feature that is absent or disabled means the feature is off.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from runsapi._async import _backend
from runsapi._exceptions import RunsApiError

if TYPE_CHECKING:
    from runsapi._async._gql import AsyncGraphQLClient

logger = logging.getLogger("runsapi")

MERGE_RUN_CHANGES = "MERGE_RUN_CHANGES"
"""The server merges config and summary change sets atomically (`mergeRunChanges`)."""


class AsyncServerFeatures:
    """The enabled features of one server: asked once, then cached (safe to share)."""

    def __init__(self, gql: AsyncGraphQLClient) -> None:
        self._gql = gql
        self._lock = _backend.RLock()
        self._enabled: frozenset[str] | None = None

    async def enabled(self, name: str) -> bool:
        async with self._lock:  # held while asking, so that concurrent writers ask only once
            if self._enabled is None:
                self._enabled = await self._ask()
            return name in self._enabled

    async def _ask(self) -> frozenset[str]:
        try:
            info = (await self._gql.server_features_query()).server_info
        except RunsApiError as exc:
            logger.warning("server features unknown, taking every one as off: %s", exc)
            return frozenset()
        features = (info.features if info else None) or []
        return frozenset(f.name for f in features if f is not None and f.is_enabled)
