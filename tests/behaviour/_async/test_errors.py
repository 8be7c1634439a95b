"""Errors and policy: bad input refused before any request, what is not found, server
faults retried or raised, and the API key kept out of errors and reprs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from runsapi import (
    AsyncApi,
    AsyncRun,
    AuthenticationError,
    InternalServerError,
    InvalidFilterError,
    InvalidOrderError,
    InvalidPathError,
    NotFoundError,
    UsageError,
)
from runsapi.server import LocalServer
from tests.behaviour.conftest import FAST_RETRIES, PROJECT, SCRATCH
from tests.support.counting import CountingTransport

pytestmark = pytest.mark.anyio  # async-only


async def a_run(api: AsyncApi) -> AsyncRun:
    return await api.runs(PROJECT, per_page=1, lazy=False).at(0)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda api: api.runs(PROJECT, filters={"state": {"$bogus": 1}}),
            InvalidFilterError,
            r"\$bogus",
        ),
        (lambda api: api.runs(PROJECT, filters=[1, 2]), InvalidFilterError, "filter"),
        (lambda api: api.runs(PROJECT, order="-nonsense"), InvalidOrderError, "nonsense"),
        (lambda api: api.runs(PROJECT, order="+"), InvalidOrderError, "no key"),
        (lambda api: api.runs(PROJECT, per_page=0), UsageError, "per_page"),
        (lambda api: api.runs(PROJECT, per_page=-5), UsageError, "per_page"),
        (lambda api: api.runs(PROJECT, limit=-1), UsageError, "limit"),
        (lambda api: api.runs("a/b/c"), InvalidPathError, "a/b/c"),
        (lambda api: api.artifacts("dataset", "x:latest"), InvalidPathError, "alias"),
    ],
)
async def test_bad_listings_are_refused_before_any_request(
    api: AsyncApi,
    transport: CountingTransport,
    make: Callable[[AsyncApi], Any],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        make(api)
    assert transport.requests == 0


@pytest.mark.parametrize(
    "path", ["a/b/c/d/e", "demo//x", "demo/p/../x", "e/p/runs/", "https://host/a/b", ""]
)
async def test_malformed_run_paths_are_refused_before_any_request(
    api: AsyncApi, transport: CountingTransport, path: str
) -> None:
    with pytest.raises(InvalidPathError):
        await api.run(path)
    assert transport.requests == 0


@pytest.mark.parametrize("samples", [0, -1])
async def test_non_positive_samples_are_refused_before_any_request(
    api: AsyncApi, transport: CountingTransport, samples: int
) -> None:
    run = await a_run(api)
    runs = api.runs(PROJECT)
    transport.reset()
    with pytest.raises(UsageError, match=r"^samples must be a positive integer"):
        await run.history(samples=samples)
    with pytest.raises(UsageError, match=r"^samples must be a positive integer"):
        await runs.histories(samples=samples, keys=["loss"])
    with pytest.raises(UsageError, match=r"^per_page must be a positive integer"):
        run.files(per_page=samples)
    with pytest.raises(UsageError, match=r"^format must be"):
        await runs.histories(format="csv")  # type: ignore[call-overload]
    assert transport.requests == 0


async def test_unknown_runs_and_projects_are_not_found(api: AsyncApi) -> None:
    with pytest.raises(NotFoundError, match=f"run {PROJECT}/nosuchrun not found") as caught:
        await api.run(f"{PROJECT}/nosuchrun")
    assert caught.value.path == f"{PROJECT}/nosuchrun"
    with pytest.raises(NotFoundError, match="project demo/nosuchproject not found"):
        await api.run("demo/nosuchproject/abc")
    with pytest.raises(NotFoundError, match="project demo/nosuchproject not found"):
        await api.runs("demo/nosuchproject").len()
    with pytest.raises(NotFoundError, match="project demo/nosuchproject not found"):
        await api.project("nosuchproject")
    with pytest.raises(NotFoundError):
        await api.artifact(f"{PROJECT}/no-such-artifact:latest")


async def test_transient_server_errors_are_retried(
    api: AsyncApi, server: LocalServer, transport: CountingTransport
) -> None:
    path = (await a_run(api)).path_str
    transport.reset()
    server.inject_fault("status", count=2, status=503, retry_after="0", operation="GetRunFull")
    assert (await api.run(path)).path_str == path
    assert transport.operations == {"GetRunFull": 3}, "two 503s, then the answer"


async def test_a_persistent_server_error_is_raised_after_the_retries(
    api: AsyncApi, server: LocalServer, transport: CountingTransport
) -> None:
    path = (await a_run(api)).path_str
    transport.reset()
    server.inject_fault("status", count=10, status=500, operation="GetRunFull")
    with pytest.raises(InternalServerError, match="GetRunFull failed: HTTP 500") as caught:
        await api.run(path)
    assert caught.value.status_code == 500
    assert transport.operations == {"GetRunFull": FAST_RETRIES.max_retries + 1}


async def test_with_options_max_retries_zero_does_not_retry(
    api: AsyncApi, server: LocalServer, transport: CountingTransport
) -> None:
    path = (await a_run(api)).path_str
    transport.reset()
    server.inject_fault("status", count=1, status=503, retry_after="0", operation="GetRunFull")
    with pytest.raises(InternalServerError, match="HTTP 503"):
        await api.with_options(max_retries=0).run(path)
    assert transport.operations == {"GetRunFull": 1}
    assert (await api.with_options(max_retries=0).run(path)).path_str == path, "the fault is used"
    assert transport.operations == {"GetRunFull": 2}


async def test_mutations_are_not_resent_after_a_server_error(
    api: AsyncApi, server: LocalServer, transport: CountingTransport
) -> None:
    run = await api.create_run(project=SCRATCH)
    run.notes = "once"
    transport.reset()
    server.inject_fault("status", count=1, status=503, operation="UpdateRun")
    with pytest.raises(InternalServerError):
        await run.update()
    assert transport.operations == {"UpdateRun": 1}
    await run.update()
    assert (await api.run(run.path_str)).notes == "once"


async def test_the_api_key_appears_in_no_error_or_repr(api: AsyncApi, server: LocalServer) -> None:
    key = "wrong-" + "k" * 40
    async with AsyncApi(
        {"base_url": server.base_url, "entity": "demo"}, api_key=key, retry_policy=FAST_RETRIES
    ) as outsider:
        with pytest.raises(AuthenticationError) as caught:
            await outsider.runs(PROJECT).len()
        assert caught.value.status_code == 401
        texts = [str(caught.value), repr(caught.value), repr(outsider), repr(outsider.settings)]
        assert all(key not in text for text in texts)
    assert outsider.api_key == key, "kept, only not shown"
    server.inject_fault("status", count=10, status=500, operation="GetRunFull")
    with pytest.raises(InternalServerError) as failed:
        await api.run(f"{PROJECT}/whatever")
    texts = [str(failed.value), repr(failed.value), repr(api), repr(api.settings)]
    assert all(server.api_key not in text for text in texts)
