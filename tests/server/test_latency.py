"""The distance knob: `LocalServer(latency_ms=...)` holds every HTTP answer, whatever its
route, without blocking the others; the wire counts requests and answer bytes."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from runsapi import Api
from runsapi.server import LocalServer, SeedSpec, create_app

SEED = SeedSpec(runs=3, steps=10, events=0, files=1, artifacts=False, seed=1)
VIEWER = {"query": "query GetViewer { viewer { username } }"}
# Long enough that requests started together are all held before the first is answered.
LONG_MS = 1500


@pytest.fixture(scope="module")
def far() -> Iterator[LocalServer]:
    with LocalServer(seed=SEED, latency_ms=LONG_MS) as server:
        yield server


def one_of_each_route(server: LocalServer) -> list[Callable[[httpx.Client], httpx.Response]]:
    """A request to every kind of route, and to none: each is answered (some with errors)."""
    assert server.seeded is not None
    run = f"{server.base_url}/files/demo/demo-project/{server.seeded.run_names[0]}"
    key = ("api", server.api_key)
    return [
        lambda http: http.post(server.graphql_url, json=VIEWER, auth=key),
        lambda http: http.get(f"{run}/wandb-metadata.json", auth=key),
        lambda http: http.post(f"{run}/file_stream", content=b"[", auth=key),
        lambda http: http.get(f"{server.base_url}/_storage/artifacts/00"),
        lambda http: http.get(f"{server.base_url}/_runsapi/stats", auth=key),
        lambda http: http.post(server.graphql_url, json=VIEWER),  # no key: 401
        lambda http: http.get(f"{server.base_url}/nowhere"),
    ]


def test_concurrent_answers_are_held_at_once_on_every_route(far: LocalServer) -> None:
    requests = one_of_each_route(far) * 2
    started = threading.Barrier(len(requests))

    def send(request: Callable[[httpx.Client], httpx.Response]) -> int:
        with httpx.Client(timeout=60) as http:
            started.wait()
            return request(http).status_code

    far.reset_request_counts()
    with ThreadPoolExecutor(len(requests)) as pool:
        statuses = list(pool.map(send, requests))
    assert statuses == [200, 200, 400, 403, 200, 401, 404] * 2
    # Had one answer blocked the others, or one route not been held, fewer at once.
    assert far.state.wire.peak_held == len(requests)
    assert far.state.wire.held == 0
    assert far.state.wire.requests == len(requests)


def test_a_client_through_the_distance_gets_the_same_answers() -> None:
    answers = []
    for latency_ms in (0, 50):
        with (
            LocalServer(seed=SEED, latency_ms=latency_ms) as server,
            Api({"base_url": server.base_url}, api_key=server.api_key) as api,
        ):
            runs = [(run.name, run.config, run.summary) for run in api.runs("demo/demo-project")]
            run = next(iter(api.runs("demo/demo-project")))
            rows = list(run.scan_history())
            answers.append((runs, rows, server.request_counts, server.state.wire.peak_held))
    near, far = answers
    assert near[:3] == far[:3]
    assert (near[3], far[3]) == (0, 1)  # held only at a distance; one request at a time


def test_the_wire_counts_every_request_and_the_bytes_of_every_answer() -> None:
    with LocalServer(seed=SEED, latency_ms=1) as server, httpx.Client() as http:
        received = sum(len(request(http).content) for request in one_of_each_route(server))
        assert server.state.wire.requests == 7
        assert server.state.wire.bytes_sent == received
        admin = f"{server.base_url}/_runsapi/stats"
        stats = http.get(admin, auth=("api", server.api_key)).json()
        assert stats["http"] == {"requests": 8, "bytes_sent": received}  # itself included
        http.delete(admin, auth=("api", server.api_key))
        assert server.state.wire.requests == 0  # reset while answering the DELETE
        server.reset_request_counts()
        assert (server.state.wire.bytes_sent, server.state.wire.peak_held) == (0, 0)


def test_without_latency_nothing_is_held() -> None:
    with LocalServer() as near, httpx.Client() as http:
        assert http.post(near.graphql_url, json=VIEWER, auth=("api", near.api_key)).is_success
        assert (near.state.wire.requests, near.state.wire.peak_held) == (1, 0)
        assert near.state.wire.bytes_sent > 0


def test_stopping_does_not_wait_out_a_held_answer() -> None:
    server = LocalServer(latency_ms=600_000).start()
    wire = server.state.wire
    outcome: list[BaseException | int] = []

    def ask() -> None:
        try:
            outcome.append(httpx.get(f"{server.base_url}/nowhere", timeout=600).status_code)
        except httpx.HTTPError as error:
            outcome.append(error)

    asking = threading.Thread(target=ask)
    asking.start()
    while wire.held == 0:
        threading.Event().wait(0.01)
    server.stop()  # uvicorn cancels what is still running after its graceful timeout
    asking.join()
    assert outcome != [404] and len(outcome) == 1  # an error instead of the held answer
    assert wire.held == 0


@pytest.mark.parametrize("latency_ms", [-1, -0.5, math.nan, math.inf, "50", None, True])
def test_a_latency_that_is_not_milliseconds_is_refused(latency_ms: object, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="number of milliseconds, 0 or more"):
        LocalServer(latency_ms=latency_ms)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="number of milliseconds, 0 or more"):
        create_app(tmp_path / "db.sqlite", latency_ms=latency_ms)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []  # refused before the database is created
