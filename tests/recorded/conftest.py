"""Cassette tests: recorded from a seeded LocalServer by scripts/record_cassettes.py,
replayed offline in CI.

While recording, the script exports the server's URL and key; on replay no server runs
and the requests are answered from tests/recorded/cassettes/ (matched on operation name
and variables, so the URL and key do not matter).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from runsapi._sync.api import Api
from tests.conftest import SECRET_ENV
from tests.support.counting import CountingTransport

RECORD_URL_ENV = "RUNSAPI_RECORD_BASE_URL"
REPLAY_URL = "http://127.0.0.1:9"
REPLAY_KEY = "replay-" + "0" * 40
# What scripts/record_cassettes.py seeds: the tests below rely on its shape.
PROJECT = "demo/demo-project"


@pytest.fixture
def transport() -> CountingTransport:
    return CountingTransport()


@pytest.fixture
def api(vcr: Any, transport: CountingTransport) -> Iterator[Api]:
    """An Api on the recording server, or on nothing while replaying."""
    base_url = os.environ.get(RECORD_URL_ENV, REPLAY_URL)
    key = os.environ.get(SECRET_ENV, REPLAY_KEY)
    with Api({"base_url": base_url, "entity": "demo"}, api_key=key, transport=transport) as client:
        yield client
