"""Settings resolution: arguments > environment > ~/.netrc > defaults."""

from __future__ import annotations

import math
from pathlib import Path

import httpx
import pytest

from runsapi import RetryPolicy, UsageError
from runsapi._config import Settings, resolve_settings, to_timeout

KEY = "x" * 40


def resolve(environ: dict[str, str], **kwargs: object) -> Settings:
    arguments: dict[str, object] = {
        "overrides": None,
        "api_key": None,
        "timeout": 30.0,
        "retry_policy": None,
        "max_retries": None,
    }
    arguments.update(kwargs)
    return resolve_settings(environ=environ, **arguments)  # type: ignore[arg-type]


def test_defaults(tmp_path: Path) -> None:
    settings = resolve({"NETRC": str(tmp_path / "none")})
    assert settings.base_url == "https://api.wandb.ai"
    assert settings.app_url == "https://wandb.ai"
    assert settings.api_key is None
    assert settings.entity is None


def test_environment_then_arguments() -> None:
    env = {
        "WANDB_API_KEY": "env-" + KEY,
        "WANDB_BASE_URL": "http://127.0.0.1:8080///",
        "WANDB_ENTITY": "env-entity",
        "WANDB_PROJECT": "env-project",
    }
    settings = resolve(env)
    assert settings.api_key == "env-" + KEY
    assert settings.base_url == "http://127.0.0.1:8080"
    assert settings.graphql_url == "http://127.0.0.1:8080/graphql"
    assert (settings.entity, settings.project) == ("env-entity", "env-project")
    overridden = resolve(
        env, api_key=KEY, overrides={"entity": "e", "project": "p", "base_url": "https://w.example"}
    )
    assert overridden.api_key == KEY
    assert (overridden.entity, overridden.project) == ("e", "p")
    assert overridden.base_url == "https://w.example"


def test_key_from_netrc_for_the_base_urls_host(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(
        f"machine api.wandb.ai\n  login user\n  password {KEY}\nmachine 127.0.0.1:9000 login user password other-{KEY}\n"
    )
    netrc.chmod(0o600)
    assert resolve({"NETRC": str(netrc)}).api_key == KEY
    local = resolve({"NETRC": str(netrc), "WANDB_BASE_URL": "http://127.0.0.1:9000"})
    assert local.api_key == "other-" + KEY
    assert resolve({"NETRC": str(netrc), "WANDB_BASE_URL": "http://elsewhere"}).api_key is None


def test_the_key_is_not_in_the_repr() -> None:
    assert KEY not in repr(resolve({}, api_key=KEY))


@pytest.mark.parametrize("bad", ["ftp://x", "not a url", "https://", "http://[::1", "file:///x"])
def test_bad_base_urls_are_refused(bad: str) -> None:
    with pytest.raises(UsageError, match="base_url must be an http"):
        resolve({}, overrides={"base_url": bad})
    with pytest.raises(UsageError, match="base_url must be an http"):
        resolve({"WANDB_BASE_URL": bad})


def test_a_bad_app_url_is_named() -> None:
    with pytest.raises(UsageError, match="app_url must be an http"):
        resolve({}, overrides={"app_url": "http://[::1"})


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"api_key": 12345}, "api_key"),
        ({"api_key": b"k" * 40}, "api_key"),
        ({"overrides": {"base_url": 8080}}, "base_url"),
        ({"overrides": {"entity": ["e"]}}, "entity"),
        ({"retry_policy": {"max_retries": 1}}, "retry_policy"),
    ],
)
def test_arguments_of_the_wrong_type_are_named(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(UsageError, match=rf"^{name} must be a"):
        resolve({}, **kwargs)


def test_a_key_of_the_wrong_type_is_not_echoed() -> None:
    with pytest.raises(UsageError) as caught:
        resolve({}, api_key=123456789)
    assert "123456789" not in str(caught.value)


@pytest.mark.parametrize("bad", ["10", math.nan, math.inf, -1, 0, True, 1e10, 10**400])
def test_bad_timeouts_are_refused(bad: object) -> None:
    with pytest.raises(UsageError, match=r"^timeout must be a positive number of seconds"):
        to_timeout(bad)  # type: ignore[arg-type]


def test_the_parts_of_an_httpx_timeout_are_checked() -> None:
    with pytest.raises(UsageError, match=r"^timeout\.read must be a positive number"):
        to_timeout(httpx.Timeout(10.0, read=math.nan))
    assert to_timeout(httpx.Timeout(10.0, pool=None)).pool is None


@pytest.mark.parametrize("bad", ["3", -1, 1.5, True, 2**31])
def test_bad_max_retries_are_refused(bad: object) -> None:
    with pytest.raises(UsageError, match=r"^max_retries must be a non-negative integer"):
        resolve({}, max_retries=bad)


def test_unknown_overrides_are_refused() -> None:
    with pytest.raises(UsageError, match=r"unknown override\(s\) \['entitty'\]"):
        resolve({}, overrides={"entitty": "x"})


def test_timeouts() -> None:
    assert to_timeout(120).read == 120
    assert to_timeout(120).connect == 10
    assert to_timeout(2).connect == 2
    assert to_timeout(None) == httpx.Timeout(None)
    with pytest.raises(UsageError, match="timeout must be a positive"):
        to_timeout(0)


def test_max_retries_replaces_only_the_count() -> None:
    policy = RetryPolicy(deadline=5.0)
    settings = resolve({}, retry_policy=policy, max_retries=1)
    assert settings.retry_policy.max_retries == 1
    assert settings.retry_policy.deadline == 5.0
