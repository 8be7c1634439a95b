"""Config and summary values JSON cannot hold are refused when set, before any request."""

from __future__ import annotations

import pytest

from runsapi import InvalidValueError
from runsapi._sync.api import Api
from tests.live.conftest import SCRATCH
from tests.support.counting import CountingTransport


def test_a_refused_value_sends_nothing_and_leaves_the_run_usable(
    api: Api, transport: CountingTransport
) -> None:
    run = api.create_run(project=SCRATCH, config={"lr": 0.1})
    transport.reset()
    with pytest.raises(InvalidValueError, match="'bad'"):
        run.summary["bad"] = object()
    with pytest.raises(InvalidValueError, match=r"'nested' .* type dict: object values"):
        run.config["nested"] = {"bad": {object()}}
    with pytest.raises(InvalidValueError, match="'bad'"):
        run.summary.update({"loss": 0.5, "bad": object()})
    run.update()
    assert transport.requests == 0
    run.summary["loss"] = 0.25
    run.config["lr"] = 0.2
    run.update()
    fresh = api.run(run.path_str)
    assert fresh.summary.to_dict() == {"loss": 0.25}
    assert fresh.config.to_dict() == {"lr": 0.2}


def test_a_new_runs_config_is_checked_before_any_request(
    api: Api, transport: CountingTransport
) -> None:
    with pytest.raises(InvalidValueError, match="'bad' cannot be set to a value of type object"):
        api.create_run(project=SCRATCH, config={"lr": 0.1, "bad": object()})
    assert transport.requests == 0
