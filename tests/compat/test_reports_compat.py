"""The official client's `Api.reports` (its ProjectViews query) and runsapi's, on the
same seeded LocalServer, agree."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from runsapi import Api
from runsapi.server import LocalServer, SeedSpec
from tests.compat.conftest import server_for_the_official_client

PROJECT = "demo/demo-project"
SEED = SeedSpec(runs=5, steps=20, events=2, files=1, artifacts=False, reports=5, seed=31)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with server_for_the_official_client(tmp_path_factory.mktemp("wandb-home"), SEED) as running:
        yield running


def _as_official(report: Any) -> tuple[Any, ...]:
    return (
        report.id,
        report.name,
        report.display_name,
        report.description,
        report.spec,
        report.user,
        report.url,
    )


@pytest.mark.parametrize("per_page", [2, 50])
def test_the_listings_agree(official: Any, ours: Api, per_page: int) -> None:
    theirs = list(official.reports(PROJECT, per_page=per_page))
    mine = list(ours.reports(PROJECT, per_page=per_page))
    assert len(mine) == SEED.reports
    assert [_as_official(report) for report in theirs] == [
        (
            report.id,
            report.name,
            report.display_name,
            report.description,
            report.spec,
            {"username": report.user.username, "photoUrl": None, "email": report.user.email}
            if report.user
            else None,
            report.url,
        )
        for report in mine
    ]
    for theirs_one, mine_one in zip(theirs, mine, strict=True):
        assert theirs_one.sections == mine_one.sections
        assert mine_one.created_at is not None and mine_one.updated_at is not None
        assert (theirs_one.created_at, theirs_one.updated_at) == (
            mine_one.created_at.strftime("%Y-%m-%dT%H:%M:%S"),
            mine_one.updated_at.strftime("%Y-%m-%dT%H:%M:%S"),
        )


def test_a_name_selects_the_same_report(official: Any, ours: Api) -> None:
    wanted = list(ours.reports(PROJECT))[3]
    assert wanted.name is not None
    (theirs,) = official.reports(PROJECT, name=wanted.name)
    (mine,) = ours.reports(PROJECT, name=wanted.name)
    assert theirs.id == mine.id == wanted.id


def test_a_seeded_section_selects_seeded_runs(official: Any, ours: Api) -> None:
    """The official client's `BetaReport.runs(section)` reads the run set of a seeded
    spec (filters, order, selection) and lists those runs from this server."""
    report = official.reports(PROJECT)[0]
    (section,) = report.sections
    selected = section["runSets"][0]["selections"]["tree"]
    listed = [run.id for run in report.runs(section)]
    newest_first = [run.id for run in ours.runs(PROJECT, order="-created_at")]
    assert listed == [run_id for run_id in newest_first if run_id in selected]
    assert sorted(listed) == sorted(selected)
