"""Reports, replayed from cassettes: the seed (scripts/record_cassettes.py) gives the
project three reports."""

from __future__ import annotations

import pytest

from runsapi import NotFoundError
from runsapi._sync.api import Api
from tests.recorded.conftest import PROJECT
from tests.support.counting import CountingTransport

TITLES = ["Loss curves", "Learning-rate sweep: results", "Weekly update #1"]


@pytest.mark.vcr
def test_list_and_filter(api: Api, transport: CountingTransport) -> None:
    reports = api.reports(PROJECT, per_page=2)
    assert [report.display_name for report in reports] == TITLES
    assert transport.operations["ProjectReports"] == 2
    first = reports[0]
    assert first.user is not None and first.user.username == "demo"
    assert first.created_at is not None and first.created_at.tzinfo is not None
    metrics = [panel["config"]["metrics"] for panel in first.sections[0]["panels"]]
    assert metrics == [["loss"], ["acc"]]
    assert first.name is not None
    assert [report.id for report in api.reports(PROJECT, name=first.name)] == [first.id]


@pytest.mark.vcr
def test_from_path(api: Api) -> None:
    report = api.reports(PROJECT)[1]
    assert report.url is not None and report.url.endswith(
        f"/{PROJECT}/reports/Learning-rate-sweep-results--{report.id}"
    )
    assert api.from_path(report.url) == report
    with pytest.raises(NotFoundError):
        api.from_path(f"{PROJECT}/reports/Gone--Vmlldzp2MTo5OTk5")
