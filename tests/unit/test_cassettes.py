"""The cassette configuration: GraphQL-aware matching and secret scrubbing.

Records a cassette from a real server on 127.0.0.1 with the project's VCR settings, then
replays it with the server gone, in another order, as CI does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import vcr
from vcr.errors import CannotOverwriteExistingCassetteException

from runsapi import RetryPolicy
from runsapi._sync._gql import GraphQLClient
from runsapi._sync._transport import RetryingSender, build_http_client
from tests.conftest import SECRET_ENV, graphql_matcher, scrub_response
from tests.support.scripted_server import Reply, ScriptedServer

API_KEY = "cassette-" + "k3y" * 14


def project_reply(name: str) -> Reply:
    return Reply(
        body={
            "data": {
                "project": {
                    "id": f"UHJvamVjdDo{name}",
                    "internalId": "1",
                    "name": name,
                    "entityName": "demo",
                    "createdAt": "2026-01-01T00:00:00",
                    "isBenchmark": False,
                    "readOnly": False,
                    "description": f"echo {API_KEY}",
                }
            }
        },
        headers={"Set-Cookie": f"session={API_KEY}"},
    )


def make_vcr(config: dict[str, Any], record_mode: str) -> vcr.VCR:
    recorder = vcr.VCR(record_mode=record_mode, **config)
    recorder.register_matcher("graphql", graphql_matcher)
    return recorder


def client_for(url: str) -> GraphQLClient:
    http = build_http_client(base_url=url, api_key=API_KEY)
    return GraphQLClient(f"{url}/graphql", RetryingSender(http, RetryPolicy(max_retries=0)))


def test_record_then_replay_out_of_order_without_secrets(
    tmp_path: Path, vcr_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, API_KEY)
    cassette = tmp_path / "projects.yaml"
    with ScriptedServer() as server:
        server.script(project_reply("alpha"), project_reply("beta"))
        with (
            make_vcr(vcr_config, "once").use_cassette(str(cassette)),
            client_for(server.url) as gql,
        ):
            gql.get_project(entity="demo", name="alpha")
            gql.get_project(entity="demo", name="beta")
        url = server.url

    recorded = cassette.read_text()
    assert API_KEY not in recorded
    assert "REDACTED" in recorded
    assert "set-cookie" not in recorded.lower()

    # Replay in the other order with the server stopped: matched on operation + variables.
    with make_vcr(vcr_config, "none").use_cassette(str(cassette)), client_for(url) as gql:
        beta = gql.get_project(entity="demo", name="beta").project
        alpha = gql.get_project(entity="demo", name="alpha").project
        assert beta is not None and beta.name == "beta"
        assert alpha is not None and alpha.name == "alpha"
        with pytest.raises(CannotOverwriteExistingCassetteException):
            gql.get_project(entity="demo", name="gamma")


def test_keys_the_server_generates_are_scrubbed() -> None:
    # What generateApiKey answers: the new key itself, as the key's name.
    body = '{"data":{"generateApiKey":{"apiKey":{"id":"49","name":"%s","description":"d"}}}}'
    response = {"headers": {}, "body": {"string": (body % ("f" * 40)).encode()}}
    scrubbed = scrub_response(response)["body"]["string"]
    assert scrubbed == (body % "REDACTED").encode()
