"""The tests of runsapi.testing: its pytest plugin is run on users' test files with pytest's
own `pytester`, the plugin loaded by its entry point as in any user's session.

Sessions that start servers or send requests run in a process of their own
(`run_isolated`): an in-process run drops the modules it imported when it ends (httpcore,
pydantic's internals, wandb's...), and a later import makes second copies whose classes
differ from those the kept modules hold; httpx would then let httpcore's errors through
unmapped in the tests that follow, in this directory or another.

pytester is registered here rather than by `pytest_plugins`, which pytest accepts only in
the top-level conftest.py (it fails the collection of the whole suite otherwise).
"""

from __future__ import annotations

import pytest

TIMEOUT_SECONDS = 120

# What the users' test files share: runsapi clients that retry without waiting.
FAST_RETRIES = "RetryPolicy(max_retries=3, initial_delay=0.0, max_delay=0.0, jitter=0.0)"


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.import_plugin("pytester")


def run_isolated(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """A pytest session on pytester's files in a new process (no cache files written)."""
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=TIMEOUT_SECONDS)
