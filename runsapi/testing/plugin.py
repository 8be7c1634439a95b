"""The pytest plugin (entry point `runsapi`): a seeded W&B-compatible server per session.

Fixtures:
- `wandb_server`: a WandbTestServer, with WANDB_BASE_URL, WANDB_API_KEY and WANDB_ENTITY
  set for the test (and W&B's config, cache, data and artifact directories and the netrc
  file pointed into a temporary directory, so that nothing of the developer's own W&B
  setup is read), its faults cleared and its request counts zeroed. The server is
  started on first use and shared by the session; `@pytest.mark.wandb_server(fresh=True)`
  gives a test a server of its own, `spec=` one seeded from another spec.
- `wandb_spec` (session scope): what the shared server is seeded with. The ini option
  `runsapi_spec = path.yaml` names a YAML/JSON file; else an empty Spec (entity
  "test-entity"). Override the fixture, with scope="session", to build one in Python.
- `wandb_cassette`: records the test's W&B traffic from a fresh server into a cassette
  (`cassettes/<module>/<test>.yaml` next to the test file) the first time, and replays
  it afterwards with no server at all (`--runsapi-record-mode` or the ini option
  `runsapi_record_mode`: once, new_episodes, none, all). Needs vcrpy.

Loaded by every pytest session where runsapi is installed: importing it starts nothing
and loads neither the server nor vcrpy, pandas or wandb; nothing runs unless a test
asks for these fixtures.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, cast

import pytest

from runsapi.testing._server import SpecLike, WandbTestServer
from runsapi.testing._spec import Spec, SpecError, coerce_spec
from runsapi.testing.cassettes import RECORD_MODES, RecordMode, WandbCassette

SPEC_INI = "runsapi_spec"
RECORD_MODE_INI = "runsapi_record_mode"
RECORD_MODE_OPTION = "--runsapi-record-mode"
SERVER_MARKER = "wandb_server"
CASSETTE_MARKER = "wandb_cassette"
# While replaying: an address where nothing listens, and a key of the usual length.
REPLAY_BASE_URL = "http://127.0.0.1:9"
REPLAY_API_KEY = "replay" + "0" * 34
# What a developer's environment could add to who and where W&B clients talk to.
_CLEARED = (
    "WANDB_PROJECT",
    "WANDB_APP_URL",
    "WANDB_USERNAME",
    "WANDB_USER_EMAIL",
    "WANDB_IDENTITY_TOKEN_FILE",
    "WANDB_CREDENTIALS_FILE",
)
_LOCAL_HOSTS = "127.0.0.1,localhost"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("runsapi", "runsapi: a W&B-compatible test server")
    group.addoption(
        RECORD_MODE_OPTION,
        choices=RECORD_MODES,
        default=None,
        help="how wandb_cassette records: once (default: record a missing cassette, else"
        " replay offline), new_episodes, none (replay only), all (record again)",
    )
    parser.addini(
        SPEC_INI,
        "a YAML/JSON spec (relative to the ini file) that the wandb_server fixture is seeded with",
        default="",
    )
    parser.addini(RECORD_MODE_INI, "the default of " + RECORD_MODE_OPTION, default="once")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{SERVER_MARKER}(fresh=False, spec=None): give the test a W&B test server of its"
        " own (fresh=True), seeded from `spec` if given (a Spec, a dict or a YAML/JSON path"
        " relative to the test file)",
    )
    config.addinivalue_line(
        "markers",
        f"{CASSETTE_MARKER}(path=None, record_mode=None, spec=None): the cassette file of"
        " wandb_cassette (relative to the test file), its record mode and the spec the"
        " recording server is seeded with",
    )


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def wandb_spec(pytestconfig: pytest.Config) -> SpecLike:
    """What the session's `wandb_server` is seeded with: the file of the ini option
    `runsapi_spec`, else an empty spec (entity "test-entity"). Override it with
    scope="session" to return a Spec, its dict form or a path (relative to the rootdir)."""
    path = str(pytestconfig.getini(SPEC_INI)).strip()
    if not path:
        return Spec()
    base = pytestconfig.inipath.parent if pytestconfig.inipath else pytestconfig.rootpath
    return _spec(path, base, f"the ini option {SPEC_INI}")


@pytest.fixture(scope="session")
def _runsapi_shared_wandb_server(
    wandb_spec: SpecLike, pytestconfig: pytest.Config
) -> Iterator[WandbTestServer]:
    """The session's server, started when a test first asks for `wandb_server`."""
    with WandbTestServer(_session_spec(wandb_spec, pytestconfig)) as server:
        yield server


@pytest.fixture
def wandb_server(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WandbTestServer]:
    """A W&B-compatible server that `wandb.Api()` and `runsapi.Api()` talk to, unchanged,
    during the test; see runsapi.testing.plugin."""
    if CASSETTE_MARKER in request.fixturenames:
        pytest.fail(
            "wandb_server and wandb_cassette cannot be used together: the cassette's"
            " recording server is wandb_cassette.server",
            pytrace=False,
        )
    options = _marker_options(request, SERVER_MARKER, {"fresh", "spec"})
    fresh = options.get("fresh", False)
    if not isinstance(fresh, bool):
        pytest.fail(f"@pytest.mark.{SERVER_MARKER}(fresh=...) takes True or False", pytrace=False)
    if fresh or "spec" in options:
        spec = options.get("spec", None)
        chosen = (
            _spec(spec, request.path.parent, f"@pytest.mark.{SERVER_MARKER}(spec=...)")
            if spec is not None
            else _session_spec(request.getfixturevalue("wandb_spec"), request.config)
        )
        server = WandbTestServer(chosen).start()
        request.addfinalizer(server.stop)
    else:
        server = cast(WandbTestServer, request.getfixturevalue("_runsapi_shared_wandb_server"))
    _point_at(monkeypatch, tmp_path_factory, server.env)
    server.reset()
    yield server
    server.clear_faults()


@pytest.fixture
def wandb_cassette(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WandbCassette]:
    """The test's W&B traffic, recorded into a cassette from a fresh server seeded with
    the spec, or replayed from it with no server; see runsapi.testing.plugin."""
    from runsapi.testing.cassettes import Scrubber, make_recorder  # noqa: PLC0415

    options = _marker_options(request, CASSETTE_MARKER, {"path", "record_mode", "spec"})
    mode = options.get("record_mode") or request.config.getoption(RECORD_MODE_OPTION)
    mode = mode or str(request.config.getini(RECORD_MODE_INI)).strip() or "once"
    if mode not in RECORD_MODES:
        pytest.fail(
            f"the record mode must be one of {', '.join(RECORD_MODES)}, got {mode!r}",
            pytrace=False,
        )
    record_mode = cast(RecordMode, mode)
    path = _cassette_path(request, options.get("path"))
    server: WandbTestServer | None = None
    scrubber = Scrubber(lambda: [] if server is None else [server.api_key, server.local.api_key])
    try:
        recorder = make_recorder(record_mode, scrubber)
    except ImportError as exc:
        pytest.fail(str(exc), pytrace=False)
    spec = options.get("spec")
    chosen = (
        _spec(spec, request.path.parent, f"@pytest.mark.{CASSETTE_MARKER}(spec=...)")
        if spec is not None
        else _session_spec(request.getfixturevalue("wandb_spec"), request.config)
    )
    replaying = record_mode == "none" or (record_mode == "once" and path.exists())
    if replaying:
        env = {
            "WANDB_BASE_URL": REPLAY_BASE_URL,
            "WANDB_API_KEY": REPLAY_API_KEY,
            "WANDB_ENTITY": chosen.entity,
        }
    else:
        server = WandbTestServer(chosen).start()
        request.addfinalizer(server.stop)
        env = server.env
    _point_at(monkeypatch, tmp_path_factory, env)
    with recorder.use_cassette(str(path)) as cassette:
        recording = WandbCassette(path, record_mode, server, env, cassette, len(cassette.data))
        yield recording
        missed = _unrecorded(recording)
    if missed:
        pytest.fail(
            f"{sum(missed.values())} GraphQL request(s) reached the server without passing"
            f" through the cassette ({dict(missed)}): they were sent by a client VCR.py cannot"
            " intercept, such as wandb.Api() of wandb releases that send its requests from"
            " the wandb-core process. Cassettes record Python HTTP clients (runsapi, httpx,"
            " requests); test such code with wandb_server instead.",
            pytrace=False,
        )


# -- helpers ------------------------------------------------------------------------------


def _unrecorded(cassette: WandbCassette) -> Counter[str]:
    """GraphQL requests the recording server received that the cassette did not record."""
    if cassette.server is None:
        return Counter()
    return cassette.server.requests - cassette.recorded


def _spec(value: object, base: Path | None, what: str) -> Spec:
    try:
        return coerce_spec(value, base=base)
    except SpecError as exc:
        pytest.fail(f"{what}: {exc}", pytrace=False)


def _session_spec(value: object, config: pytest.Config) -> Spec:
    """What the wandb_spec fixture gave (a path relative to the rootdir)."""
    return _spec(value, config.rootpath, "the wandb_spec fixture")


def _marker_options(
    request: pytest.FixtureRequest, name: str, known: set[str]
) -> Mapping[str, Any]:
    marker: pytest.Mark | None = request.node.get_closest_marker(name)
    if marker is None:
        return {}
    unknown = sorted(set(marker.kwargs) - known)
    if marker.args or unknown:
        pytest.fail(
            f"@pytest.mark.{name} takes the keyword arguments {', '.join(sorted(known))} only;"
            f" got {marker.args or ''}{unknown or ''}",
            pytrace=False,
        )
    return marker.kwargs


def _cassette_path(request: pytest.FixtureRequest, given: object) -> Path:
    """`given` relative to the test file, else `cassettes/<module>/<test>.yaml` next to
    it (pytest-recording's layout)."""
    folder = request.path.parent
    if given is not None:
        if not isinstance(given, (str, os.PathLike)):
            pytest.fail(f"@pytest.mark.{CASSETTE_MARKER}(path=...) takes a path", pytrace=False)
        path = Path(given)
        return path if path.is_absolute() else folder / path
    name = request.node.name.replace("/", "-").replace(os.sep, "-")
    return folder / "cassettes" / request.path.stem / f"{name}.yaml"


def _point_at(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    env: Mapping[str, str],
) -> None:
    """Set the W&B environment for `env`'s server and keep the developer's out."""
    home = tmp_path_factory.mktemp("wandb-home")
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name, folder in (
        ("WANDB_CONFIG_DIR", "config"),
        ("WANDB_CACHE_DIR", "cache"),
        ("WANDB_DATA_DIR", "data"),
        ("WANDB_ARTIFACT_DIR", "artifacts"),
    ):
        monkeypatch.setenv(name, str(home / folder))
    monkeypatch.setenv("WANDB_DIR", str(home))
    monkeypatch.setenv("NETRC", str(home / "netrc"))
    for name in ("NO_PROXY", "no_proxy"):
        current = os.environ.get(name, "")
        monkeypatch.setenv(name, f"{current},{_LOCAL_HOSTS}" if current else _LOCAL_HOSTS)
