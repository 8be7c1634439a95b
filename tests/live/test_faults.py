"""Server faults on real HTTP: what is retried, what is raised, and that nothing is lost."""

from __future__ import annotations

import pytest

import runsapi
from runsapi._sync.api import Api
from runsapi.server import LocalServer
from tests.live.conftest import PROJECT
from tests.support.counting import CountingTransport


def a_run_path(api: Api) -> str:
    return api.runs(PROJECT, per_page=1)[0].path_str


def test_transient_statuses_are_retried(
    api: Api, server: LocalServer, transport: CountingTransport
) -> None:
    path = a_run_path(api)
    server.inject_fault("status", count=2, status=503, retry_after="0", operation="GetRunFull")
    assert api.run(path).id == path.split("/")[-1]
    assert transport.operations["GetRunFull"] == 3


def test_retries_are_bounded(api: Api, server: LocalServer, transport: CountingTransport) -> None:
    path = a_run_path(api)
    server.inject_fault("status", count=10, status=500, operation="GetRunFull")
    with pytest.raises(runsapi.InternalServerError, match="GetRunFull failed: HTTP 500"):
        api.run(path)
    assert transport.operations["GetRunFull"] == 4


def test_rate_limits_beyond_the_cap_are_raised_at_once(
    api: Api, server: LocalServer, transport: CountingTransport
) -> None:
    path = a_run_path(api)
    server.inject_fault("status", count=1, status=429, retry_after="3600", operation="GetRunFull")
    with pytest.raises(runsapi.RateLimitError) as caught:
        api.run(path)
    assert caught.value.retry_after == 3600
    assert transport.operations["GetRunFull"] == 1


def test_dropped_connections_are_retried(
    api: Api, server: LocalServer, transport: CountingTransport
) -> None:
    path = a_run_path(api)
    server.inject_fault("drop", count=1, operation="GetRunFull")
    assert api.run(path).path_str == path
    assert transport.operations["GetRunFull"] == 2


def test_truncated_json_is_a_typed_error(api: Api, server: LocalServer) -> None:
    path = a_run_path(api)
    server.inject_fault("truncate", count=1, operation="GetRunFull")
    with pytest.raises(
        runsapi.ResponseValidationError,
        match="GetRunFull failed: the server's response is not a GraphQL response",
    ):
        api.run(path)


def test_hangs_time_out_with_a_typed_error(
    api: Api, server: LocalServer, transport: CountingTransport
) -> None:
    path = a_run_path(api)
    server.inject_fault("hang", count=2, seconds=2.0, operation="GetRunFull")
    with pytest.raises(runsapi.APITimeoutError, match="GetRunFull failed: ReadTimeout"):
        api.with_options(timeout=0.2, max_retries=1).run(path)
    assert transport.operations["GetRunFull"] == 2


def test_mutations_are_not_resent_after_a_server_error(
    api: Api, server: LocalServer, transport: CountingTransport
) -> None:
    run = api.run(a_run_path(api))
    run.notes = "once"
    server.inject_fault("status", count=1, status=503, operation="UpdateRun")
    with pytest.raises(runsapi.InternalServerError):
        run.update()
    assert transport.operations["UpdateRun"] == 1
    run.update()
    assert api.run(run.path_str).notes == "once"


def test_a_bad_key_is_an_authentication_error(server: LocalServer) -> None:
    key = "wrong-" + "k" * 40
    with (
        Api({"base_url": server.base_url, "entity": "demo"}, api_key=key) as api,
        pytest.raises(runsapi.AuthenticationError) as caught,
    ):
        api.runs(PROJECT)[0]
    assert caught.value.status_code == 401
    assert key not in str(caught.value) and key not in repr(api)


def test_another_users_project_is_not_found(server: LocalServer) -> None:
    key = server.create_user("outsider")
    with (
        Api({"base_url": server.base_url, "entity": "demo"}, api_key=key) as api,
        pytest.raises(runsapi.NotFoundError),
    ):
        len(api.runs(PROJECT))
