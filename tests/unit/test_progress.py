"""When progress bars show: asked for, or by default in a terminal or a Jupyter notebook."""

from __future__ import annotations

import io
import sys
from types import SimpleNamespace

import pytest

from runsapi._progress import progress_bar
from tests.support.bars import record_bars


class TerminalStderr(io.StringIO):
    def isatty(self) -> bool:
        return True


class ZMQInteractiveShell:
    """What `get_ipython()` returns in a Jupyter kernel."""

    kernel = object()


class TerminalInteractiveShell:
    """What `get_ipython()` returns in the terminal IPython."""


def use_shell(monkeypatch: pytest.MonkeyPatch, shell: object) -> None:
    monkeypatch.setitem(sys.modules, "IPython", SimpleNamespace(get_ipython=lambda: shell))


def count_to_three(enabled: bool | None) -> None:
    with progress_bar(3, description="things", unit="thing", enabled=enabled) as bar:
        for _ in range(3):
            bar.update(1)


@pytest.fixture(autouse=True)
def outside_ipython(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)


def test_off_by_default_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    count_to_three(None)
    assert capsys.readouterr().err == ""


def test_drawn_by_default_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = TerminalStderr()
    monkeypatch.setattr(sys, "stderr", terminal)
    count_to_three(None)
    assert "things:   0%|          | 0/3" in terminal.getvalue(), "drawn when opened"


def test_on_by_default_in_a_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    bars = record_bars(monkeypatch)
    use_shell(monkeypatch, ZMQInteractiveShell())
    count_to_three(None)
    [bar] = bars
    assert (bar.description, bar.unit, bar.total, bar.n, bar.closed) == (
        "things",
        "thing",
        3,
        3,
        True,
    )


@pytest.mark.parametrize("shell", [TerminalInteractiveShell(), None], ids=["ipython", "no-shell"])
def test_off_by_default_in_ipython_without_a_kernel(
    monkeypatch: pytest.MonkeyPatch, shell: object
) -> None:
    bars = record_bars(monkeypatch)
    use_shell(monkeypatch, shell)
    count_to_three(None)
    assert bars == []


def test_false_silences_even_on_a_terminal_in_a_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    bars = record_bars(monkeypatch)
    monkeypatch.setattr(sys, "stderr", TerminalStderr())
    use_shell(monkeypatch, ZMQInteractiveShell())
    count_to_three(False)
    assert bars == []


def test_true_draws_even_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    count_to_three(True)
    assert "things" in capsys.readouterr().err
