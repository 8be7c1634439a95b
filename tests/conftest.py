"""Shared test configuration: cassettes (pytest-recording / VCR.py) and small factories.

Every GraphQL request is a POST to the same URL, so cassettes are matched on the
operation name plus the canonical (key-sorted) variables rather than on the URL. Host and
port are left out: cassettes are recorded from a LocalServer on a random port. CI replays
only (pytest-recording's default record mode is `none`) and the network is blocked except
for 127.0.0.1 (see addopts in pyproject.toml).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

# The recording script exports the key it records with, so that it can be scrubbed from
# anything the server might echo; the Authorization header is filtered separately.
SECRET_ENV = "RUNSAPI_CASSETTE_SECRET"
REDACTED = "REDACTED"


def graphql_request_key(request: Any) -> tuple[str, str] | None:
    """(operationName, canonical variables) of a GraphQL POST, else None."""
    if request.method != "POST" or not request.body:
        return None
    body = request.body
    try:
        payload = json.loads(body.decode() if isinstance(body, bytes) else body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict) or "query" not in payload:
        return None
    return (
        payload.get("operationName") or "",
        json.dumps(payload.get("variables") or {}, sort_keys=True, separators=(",", ":")),
    )


def graphql_matcher(r1: Any, r2: Any) -> None:
    key1, key2 = graphql_request_key(r1), graphql_request_key(r2)
    assert key1 == key2, f"{key1} != {key2}"


# A key generateApiKey answers (W&B returns the new secret as the key's `name`).
_GENERATED_KEY = re.compile(r'("generateApiKey":\{"apiKey":\{"id":"[^"]*","name":")[^"]*(")')


def _scrub(text: str) -> str:
    """The recording's API key, and any key the server generated, replaced by REDACTED."""
    secret = os.environ.get(SECRET_ENV)
    text = text.replace(secret, REDACTED) if secret else text
    return _GENERATED_KEY.sub(rf"\g<1>{REDACTED}\g<2>", text)


def scrub_request(request: Any) -> Any:
    if request.body:
        body = request.body
        request.body = (
            _scrub(body.decode(errors="surrogateescape")).encode(errors="surrogateescape")
            if isinstance(body, bytes)
            else _scrub(body)
        )
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in {"set-cookie", "www-authenticate"}:
            del headers[name]
    body = response.get("body", {})
    content = body.get("string")
    if isinstance(content, bytes):
        body["string"] = _scrub(content.decode(errors="surrogateescape")).encode(
            errors="surrogateescape"
        )
    elif isinstance(content, str):
        body["string"] = _scrub(content)
    return response


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    vcr.register_matcher("graphql", graphql_matcher)


@pytest.fixture(scope="session")
def vcr_config() -> dict[str, Any]:
    return {
        "match_on": ["method", "path", "graphql"],
        "filter_headers": [("authorization", REDACTED), ("cookie", None)],
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
    }


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Artifact downloads cache content under WANDB_CACHE_DIR (else ~/.cache/wandb) and
    write under WANDB_ARTIFACT_DIR (else ./artifacts): the suite keeps its own of both, so
    that it never touches the user's cache or the working tree."""
    patch = pytest.MonkeyPatch()
    patch.setenv("WANDB_CACHE_DIR", str(tmp_path_factory.mktemp("wandb-cache")))
    patch.setenv("WANDB_ARTIFACT_DIR", str(tmp_path_factory.mktemp("wandb-artifacts")))
    yield
    patch.undo()
