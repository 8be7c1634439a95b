"""Reports against a LocalServer: listing, paging, the name filter, `from_path` by path or
URL, and the checks made before any request."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import quote

import pytest

from runsapi import InvalidPathError, NotFoundError, Report, ReportAuthor, UsageError
from runsapi._sync.api import Api
from runsapi.server import LocalServer
from runsapi.server._views import add_view
from tests.live.conftest import PROJECT
from tests.support.counting import CountingTransport
from tests.support.offline import SETTINGS, offline_api

SEEDED_TITLES = ["Loss curves", "Learning-rate sweep: results", "Weekly update #1"]
# A project of its own, whose views get row ids large enough for padded ids.
PADDED = "reports-padded"


def test_a_project_lists_its_reports_oldest_first(api: Api) -> None:
    reports = list(api.reports(PROJECT))
    assert [report.display_name for report in reports] == SEEDED_TITLES
    first = reports[0]
    assert first.user == ReportAuthor("demo", "demo@example.com", None)
    assert (first.entity, first.project) == ("demo", "demo-project")
    assert first.created_at is not None and first.created_at.tzinfo == timezone.utc
    assert first.updated_at is not None and first.updated_at > first.created_at
    assert [report.created_at for report in reports] == sorted(
        report.created_at or datetime.min for report in reports
    )
    (section,) = first.sections
    assert section is first.spec["panelGroups"][0] and len(section["panels"]) == 2
    assert first.url == f"{api.settings.app_url}/demo/demo-project/reports/Loss-curves--{first.id}"
    assert reports[1].url is not None
    assert reports[1].url.endswith("/reports/Learning-rate-sweep-results--" + reports[1].id)


def test_reports_are_loaded_a_page_at_a_time(api: Api, transport: CountingTransport) -> None:
    reports = api.reports(PROJECT, per_page=2)
    assert transport.operations["ProjectReports"] == 0
    assert reports[0].display_name == SEEDED_TITLES[0]
    assert transport.operations["ProjectReports"] == 1
    assert len(reports) == 3
    assert transport.operations["ProjectReports"] == 2


def test_a_name_selects_a_report_and_is_unquoted_first(api: Api) -> None:
    wanted = api.reports(PROJECT)[1]
    assert wanted.name is not None
    assert [report.id for report in api.reports(PROJECT, name=wanted.name)] == [wanted.id]
    assert [report.id for report in api.reports(PROJECT, name=quote(wanted.name + " "))] == []
    assert list(api.reports(PROJECT, name="no-such-report")) == []


def test_the_default_project_and_an_unknown_one(server: LocalServer) -> None:
    settings = {"base_url": server.base_url, "entity": "demo", "project": "demo-project"}
    with Api(settings, api_key=server.api_key) as api:
        assert [report.display_name for report in api.reports()] == SEEDED_TITLES
        assert [report.display_name for report in api.reports("demo-project")] == SEEDED_TITLES
        missing = api.reports("demo/no-such-project")
        with pytest.raises(NotFoundError, match="project demo/no-such-project not found"):
            list(missing)


def test_from_path_finds_a_report_by_path_or_url(api: Api, transport: CountingTransport) -> None:
    report = api.reports(PROJECT)[2]
    assert report.url is not None
    transport.reset()
    assert api.from_path(report.url) == report
    assert api.from_path(f"{PROJECT}/reports/Any-Title--{report.id}") == report
    assert api.from_path(f"{PROJECT}/reports/{report.id}") == report
    assert transport.operations == {"ReportById": 3}


def test_from_path_puts_back_the_padding_urls_leave_out(server: LocalServer, api: Api) -> None:
    api.create_project(PADDED)
    with server.store.write() as conn:
        (project_id,) = conn.execute("SELECT id FROM projects WHERE name = ?", (PADDED,)).fetchone()
        for index in range(10):  # "View:v1:10" and up encode with "=" padding
            add_view(
                conn,
                project_id,
                None,
                name=f"padded{index}",
                display_name=f"Padded {index}: ünïcode",
                description=None,
                spec=json.dumps({"blocks": []}),
                created_at="2024-02-01T00:00:00",
                updated_at="2024-02-01T00:00:00",
            )
    padded = [report for report in api.reports(f"demo/{PADDED}") if "=" in report.id]
    assert padded
    report = padded[0]
    assert report.url is not None and "=" not in report.url and report.user is None
    assert report.sections == []
    assert isinstance(api.from_path(report.url), Report)
    assert api.from_path(report.url) == report


def test_from_path_refuses_reports_it_cannot_find(api: Api) -> None:
    report = api.reports(PROJECT)[0]
    for path in (
        f"demo/{PADDED}/reports/Title--{report.id}",  # another project's report
        f"{PROJECT}/reports/Title--Vmlldzp2MTo5OTk5",  # no such view
        f"{PROJECT}/reports/Title--not-an-id",
    ):
        with pytest.raises(NotFoundError, match="not found"):
            api.from_path(path)


def test_bad_arguments_raise_before_any_request() -> None:
    api = offline_api()
    for per_page in (0, -1, 1.5, True):
        with pytest.raises(UsageError, match="per_page must be a positive integer"):
            api.reports("e/p", per_page=per_page)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="name must be a report's view name"):
        api.reports("e/p", name=3)  # type: ignore[arg-type]
    for path in ("e/p/x", "e//p", "e/p:x"):
        with pytest.raises(InvalidPathError, match="invalid project path"):
            api.reports(path)
    with pytest.raises(InvalidPathError, match="no default project"):
        offline_api({key: SETTINGS[key] for key in ("base_url", "entity")}).reports()
    for path in ("e/p/reports/My-Report", "e/p/reports/", "e/p/reports/a/b"):
        with pytest.raises(InvalidPathError, match="invalid report path"):
            api.from_path(path)
