"""`Session`: what every object of one `Api` shares, passed down instead of the `Api`.

Runs, files, histories and artifacts hold a Session, never their `Api`: they reach the
server through `session.gql` only, and nothing below `api.py` depends on `Api` itself.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runsapi._config import Settings, to_timeout
from runsapi._features import ServerFeatures
from runsapi._pagination import BackgroundListings
from runsapi._types import NOT_GIVEN, NotGiven

if TYPE_CHECKING:
    import httpx

    from runsapi._gql import GraphQLClient


@dataclass(frozen=True)
class Session:
    """The GraphQL client, the settings it was built with, and the server's features."""

    gql: GraphQLClient
    settings: Settings
    features: ServerFeatures
    """Asked once per server, shared by every `with_options` copy."""
    listings: BackgroundListings = field(default_factory=BackgroundListings, compare=False)
    """Listings fetching pages in the background, stopped by `Api.close()` (shared too)."""

    @classmethod
    def connect(
        cls,
        settings: Settings,
        *,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> Session:
        """A session over a new httpx.Client (or the one given) for `settings`."""
        # The generated client is imported with the first session, not with runsapi.
        from runsapi._gql import connect  # noqa: PLC0415

        gql = connect(settings, http_client=http_client, transport=transport)
        return cls(gql, settings, ServerFeatures(gql))

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
    ) -> Session:
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
        return Session(gql, settings, self.features, self.listings)


class Client:
    """`api.client`: the connection an `Api` sends through, to build a listing directly
    as with the official client, `Runs(client=api.client, entity=..., project=...)`."""

    __slots__ = ("_session",)

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def settings(self) -> Settings:
        """The settings of the `Api` this client belongs to."""
        return self._session.settings

    def __repr__(self) -> str:
        return f"<Client {self._session.settings.base_url}>"
