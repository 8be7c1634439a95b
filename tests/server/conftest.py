"""Fixtures for the local server tests: seeded LocalServers and a small GraphQL helper."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from runsapi.server import LocalServer, SeedSpec

SMALL = SeedSpec(runs=30, steps=300, events=12, files=3, seed=7)


@dataclass
class Client:
    """Posts GraphQL to a LocalServer with a key (the default user's unless told)."""

    server: LocalServer
    http: httpx.Client

    def post(
        self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = None
    ) -> httpx.Response:
        return self.http.post(
            self.server.graphql_url,
            json={"query": query, "variables": variables or {}},
            auth=("api", key or self.server.api_key),
        )

    def data(
        self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = None
    ) -> Any:
        response = self.post(query, variables, key=key)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def errors(
        self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = None
    ) -> list[str]:
        body = self.post(query, variables, key=key).json()
        assert body.get("errors"), body
        return [error["message"] for error in body["errors"]]


def _client(server: LocalServer) -> Iterator[Client]:
    with httpx.Client(timeout=30) as http:
        yield Client(server, http)


@pytest.fixture(scope="session")
def seeded() -> Iterator[LocalServer]:
    """A read-only seeded server shared by the whole session: never mutate it."""
    with LocalServer(seed=SMALL) as server:
        yield server


@pytest.fixture(scope="session")
def client(seeded: LocalServer) -> Iterator[Client]:
    yield from _client(seeded)


@pytest.fixture
def fresh() -> Iterator[LocalServer]:
    """A seeded server of its own, for tests that write."""
    with LocalServer(
        seed=SeedSpec(runs=6, steps=50, events=5, files=3, seed=3), faults=True
    ) as server:
        yield server


@pytest.fixture
def fresh_client(fresh: LocalServer) -> Iterator[Client]:
    yield from _client(fresh)
