"""Settings of one `Api`: resolved once, from arguments, then environment, then defaults."""

from __future__ import annotations

import dataclasses
import netrc
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from runsapi._checks import check_seconds
from runsapi._constants import (
    DEFAULT_BASE_URL,
    ENV_API_KEY,
    ENV_APP_URL,
    ENV_BASE_URL,
    ENV_ENTITY,
    ENV_PROJECT,
    GRAPHQL_PATH,
)
from runsapi._exceptions import UsageError
from runsapi._retry import RetryPolicy
from runsapi._transport import DEFAULT_TIMEOUT
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
    """Build Settings: arguments > WANDB_* environment > ~/.netrc (key only) > defaults."""
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
    base_url = normalize_base_url(
        given.get("base_url") or env.get(ENV_BASE_URL) or DEFAULT_BASE_URL
    )
    policy = retry_policy or RetryPolicy()
    if max_retries is not None:
        policy = dataclasses.replace(policy, max_retries=max_retries)
    return Settings(
        base_url=base_url,
        api_key=api_key or env.get(ENV_API_KEY) or key_from_netrc(base_url, env),
        entity=given.get("entity") or env.get(ENV_ENTITY) or None,
        project=given.get("project") or env.get(ENV_PROJECT) or None,
        app_url=normalize_base_url(
            given.get("app_url") or env.get(ENV_APP_URL) or app_url_for(base_url), "app_url"
        ),
        timeout=to_timeout(timeout),
        retry_policy=policy,
    )


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
    """The web UI's URL for an API URL: api.wandb.ai -> wandb.ai; others are both."""
    url = httpx.URL(base_url)
    if url.host.startswith("api."):
        return str(url.copy_with(host=url.host.removeprefix("api."))).rstrip("/")
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


def key_from_netrc(base_url: str, environ: Mapping[str, str]) -> str | None:
    """The password of the `machine` entry for the base URL's host in ~/.netrc (or $NETRC)."""
    path = Path(environ["NETRC"]) if environ.get("NETRC") else Path.home() / ".netrc"
    try:
        entries = netrc.netrc(str(path))
    except (FileNotFoundError, netrc.NetrcParseError, PermissionError):
        return None
    host = httpx.URL(base_url).host
    port = httpx.URL(base_url).port
    found = entries.authenticators(f"{host}:{port}") if port else None
    found = found or entries.authenticators(host)
    return found[2] if found and found[2] else None
