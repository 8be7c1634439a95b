"""Settings of one `Api`, resolved once as the official client resolves them.

Each setting is the first found of: the arguments (`overrides`, `api_key`), the WANDB_*
environment, the W&B settings files (`$WANDB_CONFIG_DIR/settings` or
`~/.config/wandb/settings`, overridden by `wandb/settings` under `$WANDB_DIR` or the working
directory; INI, `[default]` section, as
`wandb login --host` writes it), then a default. The API key comes from the argument,
WANDB_API_KEY, the netrc entry for the base URL's host (`$NETRC`, `~/.netrc` or
`~/_netrc`), then the settings files' `api_key` when they name the same base URL.
"""

from __future__ import annotations

import configparser
import dataclasses
import netrc
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from runsapi._checks import check_seconds
from runsapi._constants import (
    DEFAULT_BASE_URL,
    ENV_API_KEY,
    ENV_APP_URL,
    ENV_ARTIFACT_DIR,
    ENV_BASE_URL,
    ENV_CACHE_DIR,
    ENV_CONFIG_DIR,
    ENV_DIR,
    ENV_ENTITY,
    ENV_PROJECT,
    GRAPHQL_PATH,
)
from runsapi._exceptions import UsageError
from runsapi._http import DEFAULT_TIMEOUT
from runsapi._retry import RetryPolicy
from runsapi._types import NotGiven

# Keys `Api(overrides=...)` accepts, as in the official client.
OVERRIDE_KEYS = frozenset({"base_url", "entity", "project", "app_url"})


@dataclass(frozen=True)
class Settings:
    """Everything an `Api` needs to talk to one server as one user."""

    base_url: str
    api_key: str | None = field(repr=False)
    entity: str | None
    """Default entity; None means "ask the server for the viewer's"."""
    project: str | None
    app_url: str
    """Where the web UI lives, for `run.url`."""
    timeout: httpx.Timeout
    retry_policy: RetryPolicy
    cache_dir: Path
    """W&B's cache (`$WANDB_CACHE_DIR`, else `~/.cache/wandb`): artifact downloads keep
    their content under `artifacts/obj/md5/`, where the official client looks too."""
    artifact_dir: Path
    """Where `Artifact.download()` writes by default (`$WANDB_ARTIFACT_DIR`, else
    `./artifacts`)."""

    @property
    def graphql_url(self) -> str:
        return self.base_url + GRAPHQL_PATH


def resolve_settings(
    *,
    overrides: Mapping[str, str | None] | None,
    api_key: str | None,
    timeout: float | httpx.Timeout | None | NotGiven,
    retry_policy: RetryPolicy | None,
    max_retries: int | None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build Settings: arguments > WANDB_* environment > settings files > defaults."""
    env = os.environ if environ is None else environ
    given = dict(overrides or {})
    unknown = set(given) - OVERRIDE_KEYS
    if unknown:
        raise UsageError(
            f"unknown override(s) {sorted(unknown)}; accepted: {sorted(OVERRIDE_KEYS)}"
        )
    for name, value in [*given.items(), ("api_key", api_key)]:
        if value is not None and not isinstance(value, str):
            raise UsageError(f"{name} must be a string or None, got {type(value).__name__}")
    if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
        raise UsageError(f"retry_policy must be a RetryPolicy or None, got {retry_policy!r}")
    files = read_settings_files(env)
    # The URL the environment and files name: the files' `api_key` belongs to it alone.
    configured_url = env.get(ENV_BASE_URL) or files.get("base_url") or DEFAULT_BASE_URL
    base_url = normalize_base_url(given.get("base_url") or configured_url)
    policy = retry_policy or RetryPolicy()
    if max_retries is not None:
        policy = dataclasses.replace(policy, max_retries=max_retries)
    return Settings(
        base_url=base_url,
        api_key=api_key
        or env.get(ENV_API_KEY)
        or key_from_netrc(base_url, env)
        or (files.get("api_key") if base_url == configured_url.strip().rstrip("/") else None),
        entity=given.get("entity") or env.get(ENV_ENTITY) or files.get("entity") or None,
        project=given.get("project") or env.get(ENV_PROJECT) or files.get("project") or None,
        app_url=normalize_base_url(
            given.get("app_url") or env.get(ENV_APP_URL) or app_url_for(base_url), "app_url"
        ),
        timeout=to_timeout(timeout),
        retry_policy=policy,
        cache_dir=_expand(env[ENV_CACHE_DIR], env)
        if env.get(ENV_CACHE_DIR)
        else _home(env) / ".cache/wandb",
        artifact_dir=_expand(env.get(ENV_ARTIFACT_DIR) or "artifacts", env),
    )


def _home(environ: Mapping[str, str]) -> Path:
    return Path(environ["HOME"]) if environ.get("HOME") else Path.home()


def _expand(path: str, environ: Mapping[str, str]) -> Path:
    """`~/x` under the environment's HOME (what `Path.expanduser` does for os.environ)."""
    if path == "~" or path.startswith("~/"):
        return _home(environ) / path[2:]
    return Path(path)


def settings_file_paths(environ: Mapping[str, str]) -> list[Path]:
    """The W&B settings files, later ones winning: global (`$WANDB_CONFIG_DIR/settings`,
    else `~/.config/wandb/settings`), then the workspace's, as the wandb SDK finds it:
    `.wandb/settings` when `.wandb` exists, else `wandb/settings`, under `$WANDB_DIR`, else
    the working directory."""
    config_dir = environ.get(ENV_CONFIG_DIR)
    global_dir = _expand(config_dir, environ) if config_dir else _home(environ) / ".config/wandb"
    root = _expand(environ[ENV_DIR], environ) if environ.get(ENV_DIR) else Path.cwd()
    workspace = root / (".wandb" if (root / ".wandb").exists() else "wandb")
    return [global_dir / "settings", workspace / "settings"]


def read_settings_files(environ: Mapping[str, str]) -> dict[str, str]:
    """The `[default]` section of the settings files; unreadable files count as empty."""
    merged: dict[str, str] = {}
    for path in settings_file_paths(environ):
        parser = configparser.ConfigParser()
        try:
            parser.read(path)
            merged.update(parser.items("default"))
        except (OSError, configparser.Error):
            continue
    return merged


def normalize_base_url(url: str, name: str = "base_url") -> str:
    """`https://host/prefix///` -> `https://host/prefix`; refuses what is not an http(s) URL."""
    cleaned = url.strip().rstrip("/")
    try:
        parsed = httpx.URL(cleaned)
        valid = parsed.scheme in {"http", "https"} and bool(parsed.host)
    except httpx.InvalidURL:  # such as "http://[::1" or a port out of range
        valid = False
    if not valid:
        raise UsageError(f"{name} must be an http(s) URL such as {DEFAULT_BASE_URL}, got {url!r}")
    return cleaned


def app_url_for(base_url: str) -> str:
    """The web UI's URL for an API URL, as the official client derives it:
    `https://api.wandb.ai` -> `https://wandb.ai`, `https://api.example.com` ->
    `https://app.example.com`; any other URL serves both."""
    if "://api.wandb." in base_url and "://api.wandb.test" not in base_url:
        return base_url.replace("://api.", "://", 1)
    if "://api." in base_url:
        return base_url.replace("://api.", "://app.", 1)
    return base_url


def to_timeout(timeout: float | httpx.Timeout | None | NotGiven) -> httpx.Timeout:
    """A number sets the read timeout (connect keeps its default); None disables timeouts."""
    if isinstance(timeout, NotGiven):
        return DEFAULT_TIMEOUT
    if isinstance(timeout, httpx.Timeout):
        for name, value in timeout.as_dict().items():
            if value is not None:
                check_seconds(value, f"timeout.{name}")
        return timeout
    if timeout is None:
        return httpx.Timeout(None)
    timeout = check_seconds(timeout, "timeout")
    return httpx.Timeout(
        connect=min(DEFAULT_TIMEOUT.connect or timeout, timeout),
        read=timeout,
        write=timeout,
        pool=DEFAULT_TIMEOUT.pool,
    )


def netrc_path(environ: Mapping[str, str]) -> Path:
    """`$NETRC`, else `~/.netrc` or `~/_netrc` (the one that exists, else the platform's)."""
    if environ.get("NETRC"):
        return _expand(environ["NETRC"], environ)
    unix, windows = _home(environ) / ".netrc", _home(environ) / "_netrc"
    if unix.exists() or (not windows.exists() and platform.system() != "Windows"):
        return unix
    return windows


def key_from_netrc(base_url: str, environ: Mapping[str, str]) -> str | None:
    """The password of the netrc `machine` named as the base URL's `host[:port]`."""
    try:
        entries = netrc.netrc(str(netrc_path(environ)))
    except (OSError, netrc.NetrcParseError):
        return None
    found = entries.authenticators(urlsplit(base_url).netloc)
    return found[2] if found and found[2] else None
