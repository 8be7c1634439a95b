"""The generated client over httpx, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

import runsapi
from runsapi import RetryPolicy
from runsapi._sync._gql import GraphQLClient
from runsapi._sync._transport import RetryingSender, build_http_client
from tests.support.scripted_server import Reply, ScriptedServer

API_KEY = "local-" + "s3cr3t" * 8


def run_node(name: str) -> dict[str, object]:
    return {
        "id": f"UnVuOjE{name}",
        "name": name,
        "projectId": 7,
        "displayName": f"run {name}",
        "tags": ["baseline"],
        "sweepName": None,
        "state": "finished",
        "group": "g1",
        "jobType": "train",
        "commit": None,
        "readOnly": False,
        "createdAt": "2026-01-02T03:04:05",
        "heartbeatAt": "2026-01-02T04:04:05",
        "description": None,
        "notes": None,
        "historyLineCount": 100,
        "user": {"name": "Demo", "username": "demo"},
    }


RUNS_PAGE = {
    "data": {
        "project": {
            "internalId": "7",
            "runCount": 2,
            "runs": {
                "edges": [
                    {"node": run_node("a1"), "cursor": "c1"},
                    {"node": run_node("b2"), "cursor": "c2"},
                ],
                "pageInfo": {"endCursor": "c2", "hasNextPage": False},
            },
        }
    }
}


class NoSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


@pytest.fixture
def sleeps() -> NoSleep:
    return NoSleep()


@pytest.fixture
def client(server: ScriptedServer, sleeps: NoSleep) -> Iterator[GraphQLClient]:
    http = build_http_client(base_url=server.url, api_key=API_KEY)
    sender = RetryingSender(http, RetryPolicy(max_retries=3), sleep=sleeps)
    with GraphQLClient(f"{server.url}/graphql", sender, secret=API_KEY) as gql:
        yield gql


def test_sends_a_runs_query_and_returns_typed_models(
    server: ScriptedServer, client: GraphQLClient
) -> None:
    server.script(Reply(body=RUNS_PAGE))
    result = client.get_runs(
        entity="demo", project="proj", filters='{"state": "finished"}', per_page=2
    )
    project = result.project
    assert project is not None and project.runs is not None
    assert project.run_count == 2
    first = project.runs.edges[0].node
    assert first.name == "a1"
    assert first.display_name == "run a1"
    assert first.created_at == datetime(2026, 1, 2, 3, 4, 5)
    assert first.user is not None and first.user.username == "demo"
    assert project.runs.page_info.has_next_page is False

    (request,) = server.received
    assert request.path == "/graphql"
    body = request.json()
    assert body["operationName"] == "GetRuns"
    assert body["variables"] == {
        "entity": "demo",
        "project": "proj",
        "filters": '{"state": "finished"}',
        "perPage": 2,
    }
    assert "fragment LightRunFragment on Run" in body["query"]
    assert request.headers["Authorization"].startswith("Basic ")
    assert request.headers["User-Agent"] == f"runsapi/{runsapi.__version__}"
    assert request.headers["X-Runsapi-Operation"] == "GetRuns"


def test_transient_failures_are_retried_transparently(
    server: ScriptedServer, client: GraphQLClient, sleeps: NoSleep
) -> None:
    server.script(
        Reply(status=503, body={"errors": ["Server down"]}),
        Reply(status=429, headers={"Retry-After": "2"}, body={}),
        Reply(body=RUNS_PAGE),
    )
    result = client.get_runs(entity="demo", project="proj")
    assert result.project is not None
    assert len(server.received) == 3
    assert sleeps.calls[1] == 2.0


def test_dropped_connections_are_retried(server: ScriptedServer, client: GraphQLClient) -> None:
    server.script(Reply(drop=True), Reply(body=RUNS_PAGE))
    assert client.get_runs(entity="demo", project="proj").project is not None
    assert len(server.received) == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, runsapi.BadRequestError),
        (401, runsapi.AuthenticationError),
        (403, runsapi.PermissionDeniedError),
        (404, runsapi.HTTPNotFoundError),
        (429, runsapi.RateLimitError),
        (500, runsapi.InternalServerError),
        (503, runsapi.InternalServerError),
    ],
)
def test_statuses_map_to_typed_errors(
    server: ScriptedServer, client: GraphQLClient, status: int, error: type[Exception]
) -> None:
    server.script(Reply(status=status, body={"errors": [{"message": f"nope {API_KEY}"}]}))
    with pytest.raises(error) as caught:
        client.get_run(entity="demo", project="proj", name="a1")
    exc = caught.value
    assert isinstance(exc, runsapi.APIStatusError)
    assert exc.status_code == status
    assert exc.operation == "GetRun"
    assert str(exc).startswith(f"GetRun failed: HTTP {status}")
    assert "nope [REDACTED]" in str(exc)
    assert API_KEY not in str(exc) and API_KEY not in repr(exc)


def test_not_found_status_is_a_not_found_error(
    server: ScriptedServer, client: GraphQLClient
) -> None:
    server.script(Reply(status=404, body=b"no such page"))
    with pytest.raises(runsapi.NotFoundError, match="no such page"):
        client.get_viewer()


def test_rate_limit_error_carries_retry_after(
    server: ScriptedServer, client: GraphQLClient
) -> None:
    server.script(Reply(status=429, headers={"Retry-After": "3600"}, body={}))
    with pytest.raises(runsapi.RateLimitError) as caught:
        client.get_viewer()
    assert caught.value.retry_after == 3600.0
    assert len(server.received) == 1


def test_graphql_errors_carry_errors_data_and_operation(
    server: ScriptedServer, client: GraphQLClient
) -> None:
    server.script(
        Reply(
            body={
                "data": {"project": None},
                "errors": [
                    {
                        "message": "unknown filter operator $foo",
                        "path": ["project", "runs"],
                        "locations": [{"line": 3, "column": 5}],
                        "extensions": {"code": "BAD_FILTER"},
                    }
                ],
            }
        )
    )
    with pytest.raises(runsapi.GraphQLError) as caught:
        client.get_runs(entity="demo", project="proj", filters='{"state": {"$foo": 1}}')
    exc = caught.value
    assert exc.operation == "GetRuns"
    assert exc.data == {"project": None}
    assert exc.errors[0].message == "unknown filter operator $foo"
    assert exc.errors[0].path == ("project", "runs")
    assert exc.errors[0].locations == ((3, 5),)
    assert exc.errors[0].extensions == {"code": "BAD_FILTER"}
    assert str(exc) == "GetRuns failed: unknown filter operator $foo"
    assert len(server.received) == 1


def test_graphql_errors_with_an_error_status_are_not_retried(
    server: ScriptedServer, client: GraphQLClient
) -> None:
    server.script(Reply(status=500, body={"errors": [{"message": "bad createdAt"}]}))
    with pytest.raises(runsapi.InternalServerError, match="bad createdAt"):
        client.get_runs(entity="demo", project="proj")
    assert len(server.received) == 1


def test_wrong_shape_raises_response_validation_error(
    server: ScriptedServer, client: GraphQLClient
) -> None:
    broken = {"data": {"project": {"internalId": "7", "runCount": "many", "runs": None}}}
    server.script(Reply(body=broken))
    with pytest.raises(runsapi.ResponseValidationError) as caught:
        client.get_runs(entity="demo", project="proj")
    exc = caught.value
    assert exc.operation == "GetRuns"
    assert "project.runCount" in str(exc)
    assert exc.validation_error is not None


@pytest.mark.parametrize("body", [b'{"data": {"viewer": {"id": "1"', b"<html>oops</html>", b"[]"])
def test_non_graphql_bodies_raise_response_validation_error(
    server: ScriptedServer, client: GraphQLClient, body: bytes
) -> None:
    server.script(Reply(body=body))
    with pytest.raises(runsapi.ResponseValidationError, match="GetViewer failed"):
        client.get_viewer()


def test_timeouts_raise_a_timeout_error_after_bounded_retries(server: ScriptedServer) -> None:
    server.script(Reply(delay=0.5, body=RUNS_PAGE))
    http = build_http_client(base_url=server.url, api_key=API_KEY)
    sender = RetryingSender(http, RetryPolicy(max_retries=1), sleep=lambda _: None)
    with (
        GraphQLClient(f"{server.url}/graphql", sender, secret=API_KEY) as gql,
        pytest.raises(runsapi.APITimeoutError, match="GetViewer failed: ReadTimeout"),
    ):
        gql.with_options(timeout=0.1).get_viewer()
    assert len(server.received) == 2


def test_with_options_overrides_retries_and_shares_the_pool(
    server: ScriptedServer, client: GraphQLClient
) -> None:
    server.script(Reply(status=503, body={}))
    strict = client.with_options(max_retries=0)
    assert strict.retry_policy.max_retries == 0
    assert client.retry_policy.max_retries == 3
    with pytest.raises(runsapi.InternalServerError):
        strict.get_viewer()
    assert len(server.received) == 1


def test_connection_refused_raises_connection_error() -> None:
    with ScriptedServer() as closed:
        url = closed.url
    http = build_http_client(base_url=url, api_key=API_KEY)
    sender = RetryingSender(http, RetryPolicy(max_retries=2), sleep=lambda _: None)
    with (
        GraphQLClient(f"{url}/graphql", sender, secret=API_KEY) as gql,
        pytest.raises(runsapi.APIConnectionError, match="GetViewer failed: ConnectError") as caught,
    ):
        gql.get_viewer()
    assert not isinstance(caught.value, runsapi.APITimeoutError)
    assert API_KEY not in str(caught.value)


def test_mutations_are_sent_once_on_a_server_error(
    server: ScriptedServer, client: GraphQLClient
) -> None:
    server.script(Reply(status=503, body={}))
    with pytest.raises(runsapi.InternalServerError, match="DeleteRun failed"):
        client.delete_run(id="UnVuOjE=")
    assert len(server.received) == 1
