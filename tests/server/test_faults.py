"""Fault injection: statuses, hangs, dropped connections, truncated JSON; request counts."""

from __future__ import annotations

import json

import httpx
import pytest

from runsapi.server import LocalServer

VIEWER = {"query": "query GetViewer { viewer { username } }"}
PROJECT = {
    "query": 'query GetProject { project(name: "demo-project", entityName: "demo") { name } }'
}


def _post(server: LocalServer, payload: dict[str, str], timeout: float = 10) -> httpx.Response:
    return httpx.post(
        server.graphql_url, json=payload, auth=("api", server.api_key), timeout=timeout
    )


def test_status_faults_with_retry_after_for_the_next_n_requests(fresh: LocalServer) -> None:
    fresh.inject_fault("status", count=2, status=429, retry_after="3")
    for _ in range(2):
        response = _post(fresh, VIEWER)
        assert response.status_code == 429 and response.headers["Retry-After"] == "3"
        assert response.json() == {"errors": ["fault injected by the runsapi local server"]}
    assert _post(fresh, VIEWER).status_code == 200


def test_faults_can_target_one_operation(fresh: LocalServer) -> None:
    fresh.inject_fault("status", status=500, operation="GetProject")
    assert _post(fresh, VIEWER).status_code == 200
    assert _post(fresh, PROJECT).status_code == 500
    assert _post(fresh, PROJECT).status_code == 200


def test_hang_outlasts_the_client_timeout(fresh: LocalServer) -> None:
    fresh.inject_fault("hang", seconds=2)
    with pytest.raises(httpx.ReadTimeout):
        _post(fresh, VIEWER, timeout=0.3)
    assert _post(fresh, VIEWER).status_code == 200


def test_drop_closes_the_connection_without_an_answer(fresh: LocalServer) -> None:
    fresh.inject_fault("drop")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        _post(fresh, VIEWER)
    assert _post(fresh, VIEWER).status_code == 200


def test_truncate_answers_half_a_json_body(fresh: LocalServer) -> None:
    fresh.inject_fault("truncate")
    response = _post(fresh, VIEWER)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_admin_endpoint_and_request_counts(fresh: LocalServer) -> None:
    fresh.reset_request_counts()
    with httpx.Client(base_url=f"{fresh.base_url}/_runsapi", auth=("api", fresh.api_key)) as admin:
        added = admin.post("/faults", json={"mode": "status", "status": 502, "count": 1})
        assert added.status_code == 200
        assert _post(fresh, VIEWER).status_code == 502
        assert admin.post("/faults", json={"mode": "explode"}).status_code == 400
        admin.post("/faults", json={"mode": "status", "count": 5})
        assert admin.delete("/faults").status_code == 200
        assert _post(fresh, VIEWER).status_code == 200
        _post(fresh, {"query": "{ viewer { id } }", "operationName": ""})
        stats = admin.get("/stats").json()
        assert stats["requests"] == {"GetViewer": 2, "<anonymous>": 1}
        assert fresh.request_counts == stats["requests"]
        assert stats["bytes_sent"] == fresh.state.counter.bytes_sent > 0
        admin.delete("/stats")
        assert fresh.request_counts == {}
        assert fresh.state.counter.bytes_sent == 0


def test_file_downloads_can_fail_too(fresh: LocalServer) -> None:
    assert fresh.seeded is not None
    url = f"{fresh.base_url}/files/demo/demo-project/{fresh.seeded.run_names[0]}/config.yaml"
    fresh.inject_fault("status", status=503)
    assert httpx.get(url, auth=("api", fresh.api_key)).status_code == 503
    assert httpx.get(url, auth=("api", fresh.api_key)).status_code == 200


def test_faults_are_off_by_default(seeded: LocalServer) -> None:
    with pytest.raises(RuntimeError, match="faults=True"):
        seeded.inject_fault("drop")
