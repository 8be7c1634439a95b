"""What progress bars count: runs tables, histories, scans and downloads, in their units."""

from __future__ import annotations

from pathlib import Path

import pytest

import runsapi._sync.runs
from runsapi._sync.api import Api
from tests.live.conftest import PROJECT
from tests.support.bars import RecordedBar, record_bars
from tests.support.counting import CountingTransport

SEEDED_RUNS = 8


@pytest.fixture
def bars(monkeypatch: pytest.MonkeyPatch) -> list[RecordedBar]:
    return record_bars(monkeypatch)


@pytest.fixture
def small_table_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables list 3 runs per request instead of 500, so the seeded runs take 3 pages."""
    monkeypatch.setattr(runsapi._sync.runs, "TABLE_PAGE_SIZE", 3)


@pytest.mark.usefixtures("small_table_pages")
def test_a_table_of_several_pages_counts_its_runs(
    api: Api, transport: CountingTransport, bars: list[RecordedBar]
) -> None:
    frame = api.runs(PROJECT, per_page=2).to_pandas(progress=True)
    assert transport.operations == {"GetRunsFull": 3}
    [bar] = bars
    assert (bar.description, bar.unit, bar.total) == ("runs table", "run", SEEDED_RUNS)
    assert bar.updates == [3, 3, 2], "the first page, then each page as it is listed"
    assert bar.closed and len(frame) == SEEDED_RUNS


def test_upgrading_lazily_listed_pages_counts_their_runs(
    api: Api, transport: CountingTransport, bars: list[RecordedBar]
) -> None:
    runs = api.runs(PROJECT, per_page=3)
    assert len(list(runs)) == SEEDED_RUNS
    transport.reset()
    runs.to_polars(progress=True)
    assert transport.operations == {"GetRunsFull": 3}, "one request per page listed"
    [bar] = bars
    assert (bar.unit, bar.total, bar.updates) == ("run", SEEDED_RUNS, [3, 3, 2])


@pytest.mark.usefixtures("small_table_pages")
def test_a_table_bar_can_be_silenced(api: Api, bars: list[RecordedBar]) -> None:
    assert len(api.runs(PROJECT).to_polars(progress=False)) == SEEDED_RUNS
    assert bars == []


def test_a_table_of_one_page_shows_no_bar(
    api: Api, transport: CountingTransport, bars: list[RecordedBar]
) -> None:
    assert len(api.runs(PROJECT).to_pandas(progress=True)) == SEEDED_RUNS
    assert transport.requests == 1
    assert bars == []


@pytest.mark.parametrize(
    ("keys", "list_first", "total"),
    [
        (None, False, SEEDED_RUNS),  # one request per run
        (["loss"], True, SEEDED_RUNS),  # the listed runs' pages, concurrently
        (["loss"], False, None),  # paging through runs not listed yet: count unknown
    ],
    ids=["each-run", "listed-pages", "paged"],
)
def test_histories_count_runs_not_rows(
    api: Api,
    bars: list[RecordedBar],
    keys: list[str] | None,
    list_first: bool,
    total: int | None,
) -> None:
    runs = api.runs(PROJECT, per_page=3)
    if list_first:
        list(runs)
    rows = runs.histories(samples=5, keys=keys, progress=True)
    assert len(rows) > SEEDED_RUNS, "several rows per run, to tell rows from runs"
    [bar] = bars
    assert (bar.description, bar.unit, bar.total) == ("run histories", "run", total)
    assert bar.n == len({row["run_id"] for row in rows}) == SEEDED_RUNS
    assert bar.closed


def test_histories_bar_total_is_capped_by_the_limit(api: Api, bars: list[RecordedBar]) -> None:
    runs = api.runs(PROJECT, per_page=3, limit=5)
    runs[0]  # the first page brings the server's count
    runs.histories(samples=5, keys=["loss"], progress=True)
    [bar] = bars
    assert (bar.total, bar.n) == (5, 5)


def test_a_scan_counts_steps_and_closes_its_bar(api: Api, bars: list[RecordedBar]) -> None:
    run = api.runs(PROJECT)[0]
    steps = run.last_history_step + 1
    assert len(list(run.scan_history(page_size=50, progress=True))) == run.history_line_count
    assert len(list(run.scan_history(page_size=50, progress=True).iter_batches())) > 1
    for bar in bars:
        assert (bar.description, bar.unit) == (f"history of {run.id}", "step")
        assert (bar.total, bar.n, bar.closed) == (steps, steps, True)
    assert len(bars) == 2


def test_download_all_counts_files(api: Api, bars: list[RecordedBar], tmp_path: Path) -> None:
    files = api.runs(PROJECT)[0].files()
    paths = files.download_all(tmp_path, progress=True)
    [bar] = bars
    assert (bar.description, bar.unit) == ("files", "file")
    assert (bar.total, bar.n, bar.closed) == (len(paths), len(paths), True)
