"""Shared test configuration: cassettes (pytest-recording / VCR.py) and small factories.

The matching and scrubbing settings are runsapi.testing.cassettes' (the ones users'
cassettes get): every GraphQL request is a POST to the same URL, so cassettes are matched
on the operation name plus the canonical (key-sorted) variables rather than on the URL.
Host and port are left out: cassettes are recorded from a LocalServer on a random port. CI
replays only (pytest-recording's default record mode is `none`) and the network is blocked
except for 127.0.0.1 (see addopts in pyproject.toml).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from runsapi.testing.cassettes import Scrubber, graphql_matcher, vcr_settings

# The recording script exports the key it records with, so that it can be scrubbed from
# anything the server might echo; the Authorization header is filtered separately.
SECRET_ENV = "RUNSAPI_CASSETTE_SECRET"
_SCRUBBER = Scrubber(lambda: [os.environ.get(SECRET_ENV)])
scrub_request = _SCRUBBER.request
scrub_response = _SCRUBBER.response


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    vcr.register_matcher("graphql", graphql_matcher)


@pytest.fixture(scope="session")
def vcr_config() -> dict[str, object]:
    """The settings runsapi.testing.cassettes gives users' cassettes, with the key the
    recording script exports scrubbed."""
    return vcr_settings(_SCRUBBER)


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
