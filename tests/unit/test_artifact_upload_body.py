"""An artifact file's upload body: streamed, re-sent whole on a retry, refused if the file
changed since it was added to the draft."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from runsapi import Api, ArtifactDraft, RetryPolicy, UsageError
from runsapi._sync._artifact_upload import UPLOAD_CHUNK_BYTES, _FileBody

RETRY_AT_ONCE = RetryPolicy(max_retries=2, initial_delay=0.0, max_delay=0.0, jitter=0.0)


def api_over(handler: httpx.MockTransport) -> Api:
    return Api(
        {"base_url": "http://127.0.0.1:1", "entity": "e", "project": "p"},
        api_key="k" * 40,
        retry_policy=RETRY_AT_ONCE,
        transport=handler,
    )


def test_a_retried_upload_sends_the_whole_file_again(tmp_path: Path) -> None:
    data = bytes(range(256)) * (UPLOAD_CHUNK_BYTES // 256 * 2 + 3)  # three chunks
    (tmp_path / "big.bin").write_bytes(data)
    draft = ArtifactDraft("d", type="dataset")
    entry = draft.add_file(tmp_path / "big.bin")
    bodies: list[bytes] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        bodies.append(request.read())
        assert request.headers["content-length"] == str(len(data))
        return httpx.Response(503 if len(bodies) == 1 else 200)

    with api_over(httpx.MockTransport(flaky)) as api:
        body = _FileBody(tmp_path / "big.bin", entry)
        api._session.gql.upload("http://127.0.0.1:1/put", body, {"Content-Length": str(body.size)})
    assert bodies == [data, data]


@pytest.mark.parametrize("changed", [b"AFTER", b"longer than before", b"shrt"])
def test_a_file_changed_since_it_was_added_is_refused(tmp_path: Path, changed: bytes) -> None:
    (tmp_path / "f.txt").write_bytes(b"BEFORE")
    draft = ArtifactDraft("d", type="dataset")
    entry = draft.add_file(tmp_path / "f.txt")
    (tmp_path / "f.txt").write_bytes(changed)

    def accept(request: httpx.Request) -> httpx.Response:
        request.read()
        return httpx.Response(200)

    with (
        api_over(httpx.MockTransport(accept)) as api,
        pytest.raises(UsageError, match="changed after it was added"),
    ):
        body = _FileBody(tmp_path / "f.txt", entry)
        api._session.gql.upload("http://127.0.0.1:1/put", body, {"Content-Length": str(body.size)})
