"""What a request must bring before the server does any work for it: a key for every route
(the admin ones too), a body under the size cap; and the request counter's bounds."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from runsapi.server import LocalServer, _app
from runsapi.server._constants import (
    MAX_COUNTED_NAME_LENGTH,
    MAX_COUNTED_OPERATIONS,
    MAX_REQUEST_BYTES,
)
from runsapi.server._stats import OTHER_OPERATIONS, RequestCounter

VIEWER = {"query": "query GetViewer { viewer { username } }"}
NO_KEY = ("api", "")
WRONG_KEY = ("api", "0" * 40)


def _post(server: LocalServer, payload: object, auth: tuple[str, str] | None = None) -> int:
    response = httpx.post(server.graphql_url, json=payload, auth=auth or ("api", server.api_key))
    return response.status_code


@pytest.mark.parametrize("auth", [None, NO_KEY, WRONG_KEY])
def test_admin_endpoints_need_a_key(fresh: LocalServer, auth: tuple[str, str] | None) -> None:
    admin = f"{fresh.base_url}/_runsapi"
    fault = {"mode": "status", "status": 503, "count": 100}
    assert httpx.post(f"{admin}/faults", json=fault, auth=auth).status_code == 401
    assert _post(fresh, VIEWER) == 200, "no fault was queued"
    fresh.inject_fault("status", status=502)
    assert httpx.delete(f"{admin}/faults", auth=auth).status_code == 401
    assert _post(fresh, VIEWER) == 502, "the queued fault was not cleared"
    assert httpx.get(f"{admin}/stats", auth=auth).status_code == 401
    assert httpx.delete(f"{admin}/stats", auth=auth).status_code == 401
    assert fresh.request_counts == {"GetViewer": 2}, "the counts were not reset"


def test_keyless_requests_are_not_read_counted_or_faulted(fresh: LocalServer) -> None:
    fresh.reset_request_counts()
    fresh.inject_fault("status", status=502)
    for auth in (NO_KEY, WRONG_KEY):
        assert _post(fresh, {"query": "query Probe { viewer { id } }"}, auth) == 401
        assert _post(fresh, {"operationName": "x" * 10_000}, auth) == 401
        too_large = b"{" + b" " * MAX_REQUEST_BYTES + b"}"
        assert httpx.post(fresh.graphql_url, content=too_large, auth=auth).status_code == 401
    assert fresh.request_counts == {}
    assert _post(fresh, VIEWER) == 502, "the fault is still there for the real user"


def _chunks(size: int) -> Iterator[bytes]:
    for _ in range(size // 65536 + 1):
        yield b" " * 65536


def test_bodies_over_the_cap_answer_413(fresh: LocalServer) -> None:
    fresh.reset_request_counts()
    auth = ("api", fresh.api_key)
    padded = b'{"query": "query GetViewer { viewer { id } }"}'.ljust(MAX_REQUEST_BYTES + 1)
    declared = httpx.post(fresh.graphql_url, content=padded, auth=auth)
    assert declared.status_code == 413
    assert f"{MAX_REQUEST_BYTES:,} bytes" in declared.json()["errors"][0]["message"]
    # Without a Content-Length (chunked), reading stops at the cap.
    streamed = httpx.post(fresh.graphql_url, content=_chunks(MAX_REQUEST_BYTES), auth=auth)
    assert streamed.status_code == 413
    faults = httpx.post(f"{fresh.base_url}/_runsapi/faults", content=padded, auth=auth)
    assert faults.status_code == 413
    assert fresh.request_counts == {}
    assert httpx.post(fresh.graphql_url, content=padded.strip(), auth=auth).status_code == 200


def test_uploads_over_their_cap_answer_413(
    fresh: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert fresh.seeded is not None
    url = f"{fresh.base_url}/files/demo/demo-project/{fresh.seeded.run_names[0]}/config.yaml"
    auth = ("api", fresh.api_key)
    before = httpx.get(url, auth=auth).content
    monkeypatch.setattr(_app, "MAX_UPLOAD_BYTES", 10)
    refused = httpx.put(url, content=b"x" * 11, auth=auth)
    assert refused.status_code == 413 and "10 bytes" in refused.text
    assert httpx.get(url, auth=auth).content == before
    assert httpx.put(url, content=b"x" * 10, auth=auth).status_code == 200
    assert httpx.get(url, auth=auth).content == b"x" * 10


def test_the_counter_keeps_a_bounded_number_of_names() -> None:
    counter = RequestCounter()
    for index in range(MAX_COUNTED_OPERATIONS + 50):
        counter.record(f"Op{index}")
    counter.record("Op0")
    counter.record("L" * (MAX_COUNTED_NAME_LENGTH + 1))
    counts = counter.snapshot()
    assert len(counts) == MAX_COUNTED_OPERATIONS + 1
    assert counts["Op0"] == 2
    assert counts[OTHER_OPERATIONS] == 51
