"""The `runsapi` command line: version, help texts, and the hint when the server extra is missing."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runsapi.__main__ import _parser, main
from runsapi._version import __version__

COMMANDS = {"serve": ["--db", "unused.db"], "seed": ["--db", "unused.db"], "demo": []}
"""The commands that need the server extra, with arguments they take."""
EVERY_COMMAND = [*COMMANDS, "export"]
INSTALL_HINT = 'pip install "runsapi[server]"'


def subcommands() -> dict[str, argparse.ArgumentParser]:
    (action,) = (
        action for action in _parser()._actions if isinstance(action, argparse._SubParsersAction)
    )
    return dict(action.choices)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"runsapi {__version__}\n"


def test_version_as_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "runsapi", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == f"runsapi {__version__}\n"


def test_top_level_help_lists_every_command_with_its_summary_on_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        main(["--help"])
    lines = capsys.readouterr().out.splitlines()
    assert set(subcommands()) == set(EVERY_COMMAND)
    for name, parser in subcommands().items():
        assert parser.description
        assert [name, parser.description] in [line.split(maxsplit=1) for line in lines]


@pytest.mark.parametrize("command", EVERY_COMMAND)
def test_every_option_has_help_naming_its_default(command: str) -> None:
    for action in subcommands()[command]._actions:
        assert action.help, f"{command} {action.option_strings} has no help"
        if action.default not in (None, False, argparse.SUPPRESS):
            assert "%(default)s" in action.help, f"{command} {action.option_strings}"


def forget(monkeypatch: pytest.MonkeyPatch, package: str) -> None:
    """Remove `package` and its submodules from `sys.modules` until the test ends."""
    for name in list(sys.modules):
        if name == package or name.startswith(f"{package}."):
            monkeypatch.delitem(sys.modules, name)


@pytest.fixture
def fresh_server_import(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """Make the next command import `runsapi.server` again, with its dependencies cached,
    in an empty working directory (in case a command runs after all)."""
    import runsapi.server._cli  # noqa: F401, PLC0415

    forget(monkeypatch, "runsapi.server")
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.mark.parametrize("module", ["ariadne", "graphql", "re2", "starlette", "uvicorn"])
@pytest.mark.parametrize("command", COMMANDS)
def test_missing_server_extra_is_one_line_and_status_2(
    fresh_server_import: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    module: str,
) -> None:
    forget(fresh_server_import, module)
    fresh_server_import.setitem(sys.modules, module, None)  # importing it now fails
    with pytest.raises(SystemExit) as exit_info:
        main([command, *COMMANDS[command]])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert INSTALL_HINT in line
    assert f"module '{module}" in line  # or a submodule: 'starlette.applications'
    assert "Traceback" not in captured.err


def test_missing_runsapi_module_is_not_reported_as_missing_extra(
    fresh_server_import: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh_server_import.setitem(sys.modules, "runsapi.server._seed", None)
    with pytest.raises(ModuleNotFoundError) as error:
        main(["demo"])
    assert error.value.name == "runsapi.server._seed"
    assert INSTALL_HINT not in capsys.readouterr().err


def test_serve_holds_every_answer_for_the_latency_asked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from runsapi.server import _cli  # noqa: PLC0415

    served: list[Any] = []
    monkeypatch.setattr(_cli.uvicorn, "run", lambda app, **_: served.append(app))
    main(["serve", "--db", str(tmp_path / "runs.db"), "--latency-ms", "50"])
    (app,) = served
    app.state.runsapi.store.close()
    assert app.state.runsapi.wire.latency == 0.05
    assert "every answer is held 50 ms" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["-1", "fifty", "nan", "inf", ""])
def test_serve_refuses_a_latency_that_is_not_milliseconds(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--db", "unused.db", "--latency-ms", value])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert (
        f"--latency-ms: takes a number of milliseconds, 0 or more (0: no delay); got {value!r}"
        in error
    )
