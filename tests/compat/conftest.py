"""What the tests that run the official `wandb` client against a LocalServer share."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import wandb

from runsapi._sync.api import Api
from runsapi.server import LocalServer, SeedSpec


@contextmanager
def server_for_the_official_client(home: Path, seed: SeedSpec) -> Iterator[LocalServer]:
    """A seeded LocalServer, with the official client's files (settings, cache, data,
    artifacts) kept under `home` rather than the real home, and its telemetry off."""
    saved = dict(os.environ)
    os.environ.update(
        {
            "HOME": str(home),
            "WANDB_CONFIG_DIR": str(home / "config"),
            "WANDB_CACHE_DIR": str(home / "cache"),
            "WANDB_DATA_DIR": str(home / "data"),
            "WANDB_ARTIFACT_DIR": str(home / "artifacts"),
            "WANDB_DIR": str(home),
            "WANDB_SILENT": "true",
            "WANDB_DISABLE_SENTRY": "true",
        }
    )
    try:
        with LocalServer(seed=seed) as running:
            yield running
    finally:
        os.environ.clear()
        os.environ.update(saved)


# For modules whose tests run `wandb.init`: it talks to its wandb-core service over a Unix
# socket in the temp directory.
WANDB_CORE_SOCKET = pytest.mark.block_network(
    allowed_hosts=["127.0.0.1", "localhost", r".*/wandb-[\d-]+/socket$"]
)


@contextmanager
def server_for_the_sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A LocalServer for the wandb SDK's runs (one seeded run, no artifacts), its files
    in a fresh home; wandb-core's service is stopped before the server goes."""
    seed = SeedSpec(runs=1, steps=5, events=1, files=1, artifacts=False)
    with server_for_the_official_client(tmp_path_factory.mktemp("wandb-home"), seed) as running:
        yield running
        wandb.teardown()


def official_api(server: LocalServer, api_key: str | None = None) -> Any:
    """The official client on `server`, as its default user (or the key's)."""
    return wandb.Api(
        api_key=api_key or server.api_key, overrides={"base_url": server.base_url}, timeout=60
    )


@pytest.fixture(scope="module")
def official(server: LocalServer) -> Any:
    """The official client on the test module's `server` fixture."""
    return official_api(server)


@pytest.fixture(scope="module")
def ours(server: LocalServer) -> Iterator[Api]:
    """runsapi on the test module's `server` fixture, as its default user."""
    with Api({"base_url": server.base_url, "entity": "demo"}, api_key=server.api_key) as api:
        yield api


def downloaded(root: Path) -> dict[str, bytes]:
    """Every file under `root`, by its `/`-separated path, with its bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }
