"""Each request's SQL has a time budget: past it the request ends with a clear error, and
other requests go on meanwhile."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from runsapi.server import LocalServer, SeedSpec

BUDGET = 2.0
# One run with this many tags: every `{"tags": {"$regex": ...}}` condition reads them all
# (a tag equality searches an index).
TAGS = 200_000
CONDITIONS = 2_000
SLOW = (
    'query Slow($f: JSONString) { project(name: "demo-project", entityName: "demo") {'
    " runCount(filters: $f) } }"
)
PLAIN = {"query": "query Plain { viewer { username } }"}
# How long to wait for the server to receive a request before calling it a hang.
HANG = 30.0


@pytest.fixture
def slow_server() -> Iterator[LocalServer]:
    with LocalServer(seed=SeedSpec(runs=2, steps=5, events=1, files=1, seed=5)) as server:
        with server.store.write() as conn:
            tags = json.dumps([f"tag-{index}" for index in range(TAGS)])
            conn.execute("UPDATE runs SET tags = ? WHERE id = (SELECT min(id) FROM runs)", (tags,))
        server.state.sql_time_budget = BUDGET
        yield server


def _post(server: LocalServer, payload: object) -> httpx.Response:
    return httpx.post(server.graphql_url, json=payload, auth=("api", server.api_key), timeout=HANG)


def _wait_for(server: LocalServer, operation: str) -> None:
    deadline = time.monotonic() + HANG
    while server.request_counts.get(operation, 0) == 0:
        assert time.monotonic() < deadline, f"the server never received {operation}"
        time.sleep(0.01)


def test_a_request_past_its_budget_ends_with_an_error_while_others_go_on(
    slow_server: LocalServer,
) -> None:
    # Thousands of conditions that each read 200,000 tags: minutes of SQL.
    conditions = [{"tags": {"$regex": f"^absent-{index}$"}} for index in range(CONDITIONS)]
    filters = {
        "$or": [{"$or": conditions[start : start + 500]} for start in range(0, CONDITIONS, 500)]
    }
    slow_done = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(
            _post, slow_server, {"query": SLOW, "variables": {"f": json.dumps(filters)}}
        )
        slow.add_done_callback(lambda _: slow_done.set())
        _wait_for(slow_server, "Slow")
        plain = _post(slow_server, PLAIN)
        assert plain.status_code == 200 and plain.json()["data"]["viewer"]["username"] == "demo"
        assert not slow_done.is_set(), "the plain query finished while the slow one still ran"
        stopped = slow.result()
    assert stopped.status_code == 200
    (error,) = stopped.json()["errors"]
    assert error["message"].startswith(
        f"the request was stopped at the server's time budget of {BUDGET:g} s"
    )
    assert error["path"] == ["project", "runCount"]
    # The connection that ran it serves the next requests as usual.
    for _ in range(3):
        assert _post(slow_server, PLAIN).status_code == 200


def test_a_write_stopped_by_the_budget_is_rolled_back() -> None:
    with LocalServer(seed=SeedSpec(runs=1, steps=20_000, events=1, files=1, seed=5)) as server:
        query = 'query { project(name: "demo-project", entityName: "demo") { runs { edges { node { id } } } } }'
        run_id = _post(server, {"query": query}).json()["data"]["project"]["runs"]["edges"][0][
            "node"
        ]["id"]
        delete = {
            "query": "mutation($id: ID!) { deleteRun(input: {id: $id}) { clientMutationId } }",
            "variables": {"id": run_id},
        }
        server.state.sql_time_budget = 0.0  # deleting 20,000 history rows takes longer
        (error,) = _post(server, delete).json()["errors"]
        assert "time budget of 0 s" in error["message"]
        (count,) = server.store.connection().execute("SELECT count(*) FROM history").fetchone()
        assert count == 20_000, "the interrupted delete was rolled back"
        server.state.sql_time_budget = BUDGET
        assert "errors" not in _post(server, delete).json()
