"""runsapi finds the server and key that the official client's `wandb.login` saved, as
`wandb.Api()` does: the settings file (`base_url`, ...) and the netrc entry for that host.

Each official step runs in a fresh process, as a user's `wandb login` and later script
would, with a temporary HOME, WANDB_CONFIG_DIR and NETRC; only 127.0.0.1 is contacted
(`wandb.Api()` verifies the key with the LocalServer's `viewer`).
"""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from runsapi import Api
from runsapi.server import LocalServer

# `verify=False`: the key is written without asking the server; relogin=True: the
# credentials found in the temporary home (none) are not reused.
LOGIN = """
import sys, wandb
wandb.login(key=sys.argv[1], host=sys.argv[2], relogin=True, verify=False)
"""

RESOLVE = """
import json, wandb
api = wandb.Api(timeout=60)
print(json.dumps({"base_url": api.settings["base_url"], "api_key": api.api_key,
                  "entity": api.settings["entity"], "project": api.settings["project"]}))
"""


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary home, config directory and netrc, and a working directory without a
    ./wandb/settings; nothing of the real environment's W&B settings."""
    for name in list(os.environ):
        if name.startswith("WANDB_") or name == "NETRC":
            monkeypatch.delenv(name)
    for name in ("home", "work"):
        (tmp_path / name).mkdir()
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(home / "wandb-config"))
    monkeypatch.setenv("NETRC", str(home / "netrc"))
    monkeypatch.setenv("WANDB_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("WANDB_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DISABLE_SENTRY", "true")
    monkeypatch.chdir(tmp_path / "work")
    return home


def _official(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _official_settings() -> dict[str, str | None]:
    found: dict[str, str | None] = json.loads(_official(RESOLVE).strip().splitlines()[-1])
    return found


def _login(server: LocalServer) -> None:
    _official(LOGIN, server.api_key, server.base_url)


def test_wandb_login_host_is_honoured(server: LocalServer, home: Path) -> None:
    _login(server)
    # What the official client wrote: the host in the settings file, the key in netrc.
    written = configparser.ConfigParser()
    written.read(home / "wandb-config" / "settings")
    assert written["default"]["base_url"] == server.base_url
    assert server.api_key in (home / "netrc").read_text()

    theirs = _official_settings()
    with Api() as ours:
        assert ours.settings.base_url == theirs["base_url"] == server.base_url
        assert ours.api_key == theirs["api_key"] == server.api_key
        assert server.api_key not in repr(ours) + repr(ours.settings) + repr(ours.client)
        assert ours.viewer.username  # the key works on that server


def test_entity_and_project_from_the_file_then_the_environment(
    server: LocalServer, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _login(server)
    settings_file = home / "wandb-config" / "settings"
    written = configparser.ConfigParser()
    written.read(settings_file)
    written["default"].update({"entity": "file-entity", "project": "file-project"})
    with settings_file.open("w") as out:
        written.write(out)
    monkeypatch.setenv("WANDB_PROJECT", "env-project")

    theirs = _official_settings()
    with Api() as ours:
        assert (ours.settings.entity, ours.settings.project) == ("file-entity", "env-project")
        assert (theirs["entity"], theirs["project"]) == ("file-entity", "env-project")
        assert ours.settings.base_url == theirs["base_url"]


def test_an_override_to_another_host_does_not_take_the_saved_key(
    server: LocalServer, home: Path
) -> None:
    _login(server)
    elsewhere = "http://127.0.0.1:9"
    # The official client would prompt for a key here (no terminal: an error); runsapi
    # has none either, and sends none.
    with Api({"base_url": elsewhere}) as ours:
        assert ours.api_key is None
