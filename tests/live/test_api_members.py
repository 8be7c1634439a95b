"""The documented `Api` and `Runs` members of the official client, on a LocalServer:
`Api(overrides, timeout, api_key)`, `api.api_key`, `api.user_agent`, `api.client`,
`Runs(client=..., entity=..., project=..., ...)`, `include_sweeps`, `runs.length`,
`runs.next()`, `api.projects` pages of 200."""

from __future__ import annotations

import json

import httpx
import pytest

from runsapi import Api, Client, InvalidPathError, Runs, __version__
from runsapi.server import LocalServer
from tests.live.conftest import PROJECT
from tests.support.counting import CountingTransport

ENTITY, NAME = PROJECT.split("/")


def test_the_constructor_takes_overrides_timeout_and_key_by_position(server: LocalServer) -> None:
    with Api({"base_url": server.base_url}, 30, server.api_key) as api:
        assert api.settings.timeout.read == 30
        assert api.api_key == server.api_key
        assert api.viewer.username
    with Api(overrides={"base_url": server.base_url}, timeout=30, api_key=server.api_key) as api:
        assert api.api_key == server.api_key


class _Recording(CountingTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.last = request
        return super().handle_request(request)


def test_api_key_and_user_agent(server: LocalServer) -> None:
    transport = _Recording()
    with Api({"base_url": server.base_url}, api_key=server.api_key, transport=transport) as api:
        assert api.user_agent == f"runsapi/{__version__}"
        api.viewer  # noqa: B018 (one request)
        assert transport.last.headers["User-Agent"] == api.user_agent
        assert server.api_key not in repr(api) + repr(api.client)
        assert api.with_options(timeout=5).api_key == server.api_key


def test_runs_built_from_api_client_list_what_api_runs_lists(api: Api) -> None:
    assert isinstance(api.client, Client)
    assert api.client.settings is api.settings
    filters = {"state": "finished"}
    built = Runs(
        client=api.client,
        entity=ENTITY,
        project=NAME,
        filters=filters,
        order="-created_at",
        per_page=3,
        include_sweeps=True,
        lazy=False,
    )
    listed = api.runs(PROJECT, filters, "-created_at", 3, True, False)
    assert [run.id for run in built] == [run.id for run in listed]
    assert len(built) == len(listed) > 0
    assert built.per_page == 3 and not built.lazy
    assert built.include_sweeps and listed.include_sweeps
    assert not api.runs(PROJECT).include_sweeps  # the official client's default
    # The documented minimum: client, entity, project.
    assert {run.id for run in Runs(api.client, ENTITY, NAME)} == {
        run.id for run in api.runs(PROJECT)
    }


def test_include_sweeps_changes_no_request(api: Api, transport: CountingTransport) -> None:
    before = transport.requests
    ids = [run.id for run in api.runs(PROJECT, include_sweeps=True, per_page=100)]
    assert transport.requests - before == 1
    assert ids == [run.id for run in api.runs(PROJECT, include_sweeps=False, per_page=100)]


def test_length_is_len(api: Api, transport: CountingTransport) -> None:
    runs = api.runs(PROJECT, per_page=2)
    before = transport.requests
    assert runs.length == len(runs)
    assert transport.requests - before == 1  # the count, from the first page
    assert runs.length == len(list(api.runs(PROJECT)))


def test_next_walks_the_runs_in_order_then_stops(api: Api) -> None:
    expected = [run.id for run in api.runs(PROJECT)]
    runs = api.runs(PROJECT, per_page=3)
    assert [runs.next().id for _ in expected] == expected
    with pytest.raises(StopIteration):
        runs.next()


def test_projects_are_listed_200_a_page_by_default(server: LocalServer) -> None:
    transport = _Recording()
    with Api({"base_url": server.base_url}, api_key=server.api_key, transport=transport) as api:
        assert "demo-project" in [project.name for project in api.projects("demo")]
        assert json.loads(transport.last.read())["variables"]["perPage"] == 200


def test_run_without_a_path_is_refused_before_any_request(
    api: Api, transport: CountingTransport
) -> None:
    # `run(path="")` as documented: with no path there is no run id to look up.
    with pytest.raises(InvalidPathError):
        api.run()
    assert transport.requests == 0
