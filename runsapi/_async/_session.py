"""`AsyncSession`: what every object of one `AsyncApi` shares, passed down instead of it.

Runs, files, histories and artifacts hold a session, never their Api: they reach the
server through `session.gql` only, and nothing below `api.py` depends on the Api itself.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runsapi._async._features import AsyncServerFeatures
from runsapi._async._pagination import AsyncBackgroundListings
from runsapi._config import Settings, to_timeout
from runsapi._types import NOT_GIVEN, NotGiven

if TYPE_CHECKING:
    import httpx

    from runsapi._async._gql import AsyncGraphQLClient


@dataclass(frozen=True)
class AsyncSession:
    """The GraphQL client, the settings it was built with, and the server's features."""

    gql: AsyncGraphQLClient
    settings: Settings
    features: AsyncServerFeatures
    """Asked once per server, shared by every `with_options` copy."""
    listings: AsyncBackgroundListings = field(
        default_factory=AsyncBackgroundListings, compare=False
    )
    """Listings fetching pages in the background, stopped by `AsyncApi.aclose()` (shared too)."""

    @classmethod
    def connect(
        cls,
        settings: Settings,
        *,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> AsyncSession:
        """A session over a new httpx.AsyncClient (or the one given) for `settings`."""
        # The generated client is imported with the first session, not with runsapi.
        from runsapi._async._gql import connect  # noqa: PLC0415

        gql = connect(settings, http_client=http_client, transport=transport)
        return cls(gql, settings, AsyncServerFeatures(gql))

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
    ) -> AsyncSession:
        """A copy with another timeout or retry count, sharing connections and features."""
        settings = self.settings
        if not isinstance(timeout, NotGiven):
            settings = dataclasses.replace(settings, timeout=to_timeout(timeout))
        if max_retries is not None:
            settings = dataclasses.replace(
                settings,
                retry_policy=dataclasses.replace(settings.retry_policy, max_retries=max_retries),
            )
        gql = self.gql.with_options(timeout=settings.timeout, retry_policy=settings.retry_policy)
        return AsyncSession(gql, settings, self.features, self.listings)


class AsyncClient:
    """`api.client`: the connection an `Api` sends through, to build a listing directly
    as with the official client, `Runs(client=api.client, entity=..., project=...)`."""

    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @property
    def settings(self) -> Settings:
        """The settings of the `Api` this client belongs to."""
        return self._session.settings

    def __repr__(self) -> str:
        return f"<Client {self._session.settings.base_url}>"
