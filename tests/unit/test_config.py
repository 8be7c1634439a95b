"""Settings resolution: arguments > environment > settings files > netrc > defaults."""

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


def test_the_netrc_machine_is_the_host_and_port_as_written(tmp_path: Path) -> None:
    # As the official client: `machine 127.0.0.1` does not serve http://127.0.0.1:9000.
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login user password {KEY}\n")
    assert resolve({"NETRC": str(netrc), "WANDB_BASE_URL": "http://127.0.0.1:9000"}).api_key is None
    assert resolve({"NETRC": str(netrc), "WANDB_BASE_URL": "http://127.0.0.1"}).api_key == KEY


def test_netrc_defaults_to_the_homes_dot_netrc(tmp_path: Path) -> None:
    (tmp_path / ".netrc").write_text(f"machine api.wandb.ai login user password {KEY}\n")
    assert resolve({"HOME": str(tmp_path)}).api_key == KEY


def _settings_file(path: Path, **values: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(f"{key} = {value}\n" for key, value in values.items())
    path.write_text("[default]\n" + lines)
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty home directory, and an empty working directory (no ./wandb/settings)."""
    for name in ("work", "home"):
        (tmp_path / name).mkdir()
    monkeypatch.chdir(tmp_path / "work")
    return tmp_path / "home"


def test_the_global_settings_file(home: Path) -> None:
    _settings_file(
        home / ".config/wandb/settings",
        base_url="http://127.0.0.1:9000/",
        entity="team",
        project="proj",
    )
    settings = resolve({"HOME": str(home)})
    assert settings.base_url == "http://127.0.0.1:9000"
    assert (settings.entity, settings.project) == ("team", "proj")


def test_wandb_config_dir_moves_the_global_file(home: Path, tmp_path: Path) -> None:
    _settings_file(home / ".config/wandb/settings", base_url="http://ignored.example")
    _settings_file(tmp_path / "conf/settings", base_url="http://127.0.0.1:9001")
    env = {"HOME": str(home), "WANDB_CONFIG_DIR": str(tmp_path / "conf")}
    assert resolve(env).base_url == "http://127.0.0.1:9001"


def test_the_workspace_file_overrides_the_global_one(home: Path) -> None:
    _settings_file(home / ".config/wandb/settings", base_url="http://global.example", entity="g")
    _settings_file(Path.cwd() / "wandb/settings", base_url="http://local.example")
    settings = resolve({"HOME": str(home)})
    assert (settings.base_url, settings.entity) == ("http://local.example", "g")
    # A ./.wandb directory takes the place of ./wandb.
    _settings_file(Path.cwd() / ".wandb/settings", project="dot")
    settings = resolve({"HOME": str(home)})
    assert (settings.base_url, settings.project) == ("http://global.example", "dot")


def test_wandb_dir_moves_the_workspace_file(home: Path, tmp_path: Path) -> None:
    """As the wandb SDK reads it: `wandb/settings` under $WANDB_DIR, not the working
    directory's."""
    _settings_file(Path.cwd() / "wandb/settings", base_url="http://ignored.example")
    _settings_file(tmp_path / "runs-root/wandb/settings", base_url="http://127.0.0.1:9002")
    env = {"HOME": str(home), "WANDB_DIR": str(tmp_path / "runs-root")}
    assert resolve(env).base_url == "http://127.0.0.1:9002"
    _settings_file(tmp_path / "runs-root/.wandb/settings", entity="dot")
    assert resolve(env).entity == "dot"


def test_environment_and_arguments_beat_the_files(home: Path) -> None:
    _settings_file(
        home / ".config/wandb/settings", base_url="http://file.example", entity="f", project="f"
    )
    env = {"HOME": str(home), "WANDB_BASE_URL": "http://env.example", "WANDB_ENTITY": "e"}
    settings = resolve(env, overrides={"project": "o"})
    assert (settings.base_url, settings.entity, settings.project) == (
        "http://env.example",
        "e",
        "o",
    )


def test_the_files_api_key_serves_their_base_url_only(home: Path) -> None:
    _settings_file(
        home / ".config/wandb/settings", base_url="http://file.example", api_key="file-" + KEY
    )
    env = {"HOME": str(home)}
    assert resolve(env).api_key == "file-" + KEY
    assert resolve(env, overrides={"base_url": "http://file.example/"}).api_key == "file-" + KEY
    assert resolve(env, overrides={"base_url": "http://other.example"}).api_key is None
    # The netrc entry for the host comes first.
    (home / ".netrc").write_text(f"machine file.example login user password netrc-{KEY}\n")
    assert resolve(env).api_key == "netrc-" + KEY


def test_a_bad_base_url_in_the_file_is_named_unless_overridden(home: Path) -> None:
    _settings_file(home / ".config/wandb/settings", base_url="app.example")
    with pytest.raises(UsageError, match="base_url must be an http"):
        resolve({"HOME": str(home)})
    overridden = resolve({"HOME": str(home)}, overrides={"base_url": "http://ok.example"})
    assert overridden.base_url == "http://ok.example"


def test_a_broken_settings_file_counts_as_empty(home: Path) -> None:
    (home / ".config/wandb").mkdir(parents=True)
    (home / ".config/wandb/settings").write_text("base_url = no section\n[[[")
    assert resolve({"HOME": str(home)}).base_url == "https://api.wandb.ai"


@pytest.mark.parametrize(
    ("base_url", "app_url"),
    [
        ("https://api.wandb.ai", "https://wandb.ai"),
        ("https://api.example.com", "https://app.example.com"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
    ],
)
def test_the_app_url_is_derived_as_the_official_client_does(base_url: str, app_url: str) -> None:
    assert resolve({"WANDB_BASE_URL": base_url}).app_url == app_url


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
