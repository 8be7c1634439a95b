"""Cassettes (VCR.py) of W&B API traffic: recorded once from a server, replayed offline.

Every GraphQL request is a POST to the same URL, so requests are matched on the method,
the path and the GraphQL operation (its `operationName`, else the name the document
gives it, as the official client leaves `operationName` empty) with its canonical
(key-sorted) variables; host and port are left out, so a cassette recorded from a
server on a random port replays anywhere. Secrets are scrubbed before anything is
written: the `Authorization` header, cookies, the API keys given to the `Scrubber`, and
any key the server generates (`generateApiKey`'s answer).

These are the settings runsapi's own cassette tests use. With pytest-recording:

    @pytest.fixture(scope="session")
    def vcr_config():
        return vcr_settings(Scrubber(lambda: [os.environ.get("MY_RECORDING_KEY")]))

    def pytest_recording_configure(config, vcr):
        vcr.register_matcher("graphql", graphql_matcher)

vcrpy is not a dependency of runsapi: `pip install "runsapi[testing]"`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

if TYPE_CHECKING:
    from runsapi.testing._server import WandbTestServer

REDACTED = "REDACTED"
MATCH_ON = ("method", "path", "graphql")
RecordMode = Literal["once", "new_episodes", "none", "all"]
RECORD_MODES: tuple[RecordMode, ...] = ("once", "new_episodes", "none", "all")
INSTALL_HINT = 'cassettes need vcrpy: pip install "runsapi[testing]"'

_COMMENT = re.compile(r"#[^\n]*")
_OPERATION = re.compile(r"\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")
# A key generateApiKey answers (W&B returns the new secret as the key's `name`).
_GENERATED_KEY = re.compile(r'("generateApiKey":\{"apiKey":\{"id":"[^"]*","name":")[^"]*(")')


class RecordedRequest(Protocol):
    """What these functions read of a VCR.py request."""

    method: str
    body: bytes | str | None


_Request = TypeVar("_Request", bound=RecordedRequest)


class Cassette(Protocol):
    """What is read here of a VCR.py cassette."""

    data: list[tuple[RecordedRequest, object]]
    play_counts: Counter[int]


class Recorder(Protocol):
    """A `vcr.VCR` with these settings."""

    def use_cassette(self, path: str) -> AbstractContextManager[Cassette]: ...


def graphql_operation(payload: object) -> str | None:
    """The operation a GraphQL request body (decoded JSON) runs: its `operationName`,
    else the first operation named in its document; None if it is not GraphQL."""
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return None
    name = payload.get("operationName")
    if isinstance(name, str) and name:
        return name
    found = _OPERATION.search(_COMMENT.sub("", payload["query"]))
    return found.group(1) if found else ""


def graphql_request_key(request: RecordedRequest) -> tuple[str, str] | None:
    """(operation, canonical variables) of a GraphQL POST, else None."""
    if request.method != "POST" or not request.body:
        return None
    body = request.body
    try:
        payload = json.loads(body.decode() if isinstance(body, bytes) else body)
    except (ValueError, UnicodeDecodeError):
        return None
    operation = graphql_operation(payload)
    if operation is None:
        return None
    return (
        operation,
        json.dumps(payload.get("variables") or {}, sort_keys=True, separators=(",", ":")),
    )


def graphql_matcher(r1: RecordedRequest, r2: RecordedRequest) -> None:
    """VCR.py matcher "graphql": the same operation and variables (or both not GraphQL)."""
    key1, key2 = graphql_request_key(r1), graphql_request_key(r2)
    assert key1 == key2, f"{key1} != {key2}"


def scrub_text(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with each secret, and any key the server generated, replaced by REDACTED."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _GENERATED_KEY.sub(rf"\g<1>{REDACTED}\g<2>", text)


class Scrubber:
    """VCR.py's before-record hooks, scrubbing the secrets `secrets()` gives (asked at
    each request: a key known only once a server starts can be scrubbed)."""

    def __init__(self, secrets: Callable[[], Iterable[str | None]] = tuple) -> None:
        self._secrets = secrets

    def text(self, text: str) -> str:
        return scrub_text(text, self._secrets())

    def _bytes(self, content: bytes) -> bytes:
        return self.text(content.decode(errors="surrogateescape")).encode(errors="surrogateescape")

    def request(self, request: _Request) -> _Request:
        body = request.body
        if isinstance(body, bytes) and body:
            request.body = self._bytes(body)
        elif isinstance(body, str) and body:
            request.body = self.text(body)
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        headers = response.get("headers", {})
        for name in list(headers):
            if name.lower() in {"set-cookie", "www-authenticate"}:
                del headers[name]
        body = response.get("body", {})
        content = body.get("string")
        if isinstance(content, bytes):
            body["string"] = self._bytes(content)
        elif isinstance(content, str):
            body["string"] = self.text(content)
        return response


def vcr_settings(scrubber: Scrubber | None = None) -> dict[str, object]:
    """VCR.py's settings (`vcr.VCR(**vcr_settings(...))`, or pytest-recording's
    `vcr_config` fixture); register `graphql_matcher` as "graphql" with them."""
    chosen = scrubber or Scrubber()
    return {
        "match_on": list(MATCH_ON),
        "filter_headers": [("authorization", REDACTED), ("cookie", None)],
        "before_record_request": chosen.request,
        "before_record_response": chosen.response,
        "decode_compressed_response": True,
    }


def make_recorder(record_mode: RecordMode = "once", scrubber: Scrubber | None = None) -> Recorder:
    """A `vcr.VCR` with these settings and the matcher; ImportError naming the extra to
    install when vcrpy is missing."""
    if record_mode not in RECORD_MODES:
        raise ValueError(
            f"record_mode must be one of {', '.join(RECORD_MODES)}, got {record_mode!r}"
        )
    try:
        import vcr  # type: ignore[import-untyped]  # noqa: PLC0415 (an optional dependency)
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    recorder = vcr.VCR(record_mode=record_mode, **vcr_settings(scrubber))
    recorder.register_matcher("graphql", graphql_matcher)
    result: Recorder = recorder
    return result


@dataclass
class WandbCassette:
    """A test's cassette: recording from `server`, or replaying with no server (`server`
    is None, and the environment names an address where nothing listens)."""

    path: Path
    record_mode: RecordMode
    server: WandbTestServer | None
    env: dict[str, str]
    _cassette: Cassette
    _loaded: int

    @property
    def recording(self) -> bool:
        return self.server is not None

    @property
    def recorded(self) -> Counter[str]:
        """GraphQL requests of this test recorded into the cassette, by operation name."""
        return self._operations(self._cassette.data[self._loaded :])

    @property
    def requests(self) -> Counter[str]:
        """GraphQL requests of this test, by operation name: those replayed from the
        cassette and those recorded into it (the same counts either way)."""
        counts: Counter[str] = Counter()
        for index, (request, _) in enumerate(self._cassette.data):
            times = self._cassette.play_counts[index] + (index >= self._loaded)
            key = graphql_request_key(request) if times else None
            if key is not None:
                counts[key[0]] += times
        return counts

    @staticmethod
    def _operations(interactions: Iterable[tuple[RecordedRequest, object]]) -> Counter[str]:
        counts: Counter[str] = Counter()
        for request, _ in interactions:
            key = graphql_request_key(request)
            if key is not None:
                counts[key[0]] += 1
        return counts
