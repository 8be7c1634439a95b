"""Bad arguments to a run's methods raise a UsageError naming them, before any request."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from runsapi import UsageError
from runsapi._sync.api import Api
from runsapi._sync.runs import Run
from tests.live.conftest import PROJECT, SCRATCH
from tests.support.counting import CountingTransport

TOO_BIG = 2**31  # GraphQL's Int is 32-bit


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"poll_interval": math.nan}, "^poll_interval must be a positive number of seconds"),
        ({"poll_interval": "5"}, "^poll_interval must be a positive number of seconds"),
        ({"poll_interval": math.inf}, "^poll_interval must be a positive number of seconds"),
        ({"timeout": math.nan}, "^timeout must be a non-negative number of seconds"),
        ({"timeout": -1}, "^timeout must be a non-negative number of seconds"),
    ],
)
def test_wait_until_finished_checks_its_arguments_first(
    api: Api, transport: CountingTransport, kwargs: dict[str, object], message: str
) -> None:
    run = api.create_run(project=SCRATCH)  # running: waiting would poll, then sleep
    transport.reset()
    with pytest.raises(UsageError, match=message):
        run.wait_until_finished(**kwargs)  # type: ignore[arg-type]
    assert transport.requests == 0


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda run: run.history(samples=TOO_BIG), "samples"),
        (lambda run: run.scan_history(page_size=TOO_BIG), "page_size"),
        (lambda run: run.files(per_page=TOO_BIG), "per_page"),
        (lambda run: run.logged_artifacts(per_page=TOO_BIG), "per_page"),
    ],
)
def test_counts_beyond_graphql_int_are_refused(
    api: Api, transport: CountingTransport, call: Callable[[Run], object], name: str
) -> None:
    run = api.runs(PROJECT, per_page=1, lazy=False)[0]
    transport.reset()
    with pytest.raises(
        UsageError, match=rf"^{name} must be a positive integer, at most 2147483647"
    ):
        call(run)
    assert transport.requests == 0


def test_histories_samples_beyond_graphql_int_are_refused(
    api: Api, transport: CountingTransport
) -> None:
    runs = api.runs(PROJECT, per_page=2)
    transport.reset()
    with pytest.raises(UsageError, match=r"^samples must be a positive integer"):
        runs.histories(samples=TOO_BIG)
    assert transport.requests == 0
