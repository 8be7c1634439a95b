"""Both layers against the same recorded responses: tests/behaviour/cassettes/test_cassettes/.

Recorded from the sync layer against a seeded LocalServer by
`python scripts/record_cassettes.py --behaviour` (the seed of tests/recorded); on replay
no server runs, and a request the cassette does not hold fails the test, so each test
checks that the async layer sends what the sync one sent, request for request (matched
on operation name and variables, see tests/conftest.py).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pandas as pd
import pytest

from runsapi import AsyncApi, F, NotFoundError
from tests.conftest import SECRET_ENV
from tests.recorded.conftest import PROJECT, RECORD_URL_ENV, REPLAY_KEY, REPLAY_URL
from tests.support.counting import CountingTransport

pytestmark = [
    pytest.mark.anyio,  # async-only
    pytest.mark.vcr,
]

MUTABLE = "demo/behaviour-cassettes"
"""Where the recording creates its runs (the recording server is a fresh one each time)."""


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache per test, so that each replays the same requests whatever ran before."""
    monkeypatch.setenv("WANDB_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
async def api(vcr: object, transport: CountingTransport) -> AsyncIterator[AsyncApi]:
    """An Api on the recording server, or on nothing while replaying."""
    base_url = os.environ.get(RECORD_URL_ENV, REPLAY_URL)
    key = os.environ.get(SECRET_ENV, REPLAY_KEY)
    async with AsyncApi(
        {"base_url": base_url, "entity": "demo"}, api_key=key, transport=transport
    ) as client:
        yield client


async def test_a_filtered_ordered_listing(api: AsyncApi, transport: CountingTransport) -> None:
    runs = api.runs(
        PROJECT, filters=F.state == "finished", order="-summary_metrics.acc", per_page=2, lazy=False
    )
    count = await runs.len()
    listed = await runs.load_all()
    assert count == len(listed) == 5
    assert [run.id for run in listed] == [
        "dcnwtb81",
        "c60qjejt",
        "4ae7axxt",
        "uo1yrweu",
        "it1j81is",
    ]
    assert all(run.state == "finished" for run in listed)
    accuracies = [run.summary["acc"] for run in listed]
    assert accuracies == sorted(accuracies, reverse=True)
    assert transport.operations == {"GetRunsFull": math.ceil(count / 2)}
    frame = await api.runs(PROJECT, lazy=False).to_pandas()
    assert frame.shape[0] == 12 and "config.optimizer.name" in frame.columns


async def test_a_run_its_history_and_its_scan(api: AsyncApi, transport: CountingTransport) -> None:
    first = await api.runs(PROJECT, per_page=1, lazy=False).at(0)
    run = await api.run(first.path_str)
    assert (run.id, run.config) == (first.id, first.config)
    sampled = await run.history(samples=20, keys=["loss"], pandas=False)
    steps = [row["_step"] for row in sampled]
    assert len(steps) <= 20 and (steps[0], steps[-1]) == (0, 299)
    async with run.scan_history(keys=["acc"], page_size=100, use_cache=False) as scan:
        scanned = [row async for row in scan]
    assert [row["_step"] for row in scanned] == list(range(300))
    assert all(set(row) == {"_step", "acc"} for row in scanned)
    assert await run.last_history_step == 299
    # the sample, then the scan's 3 pages of 100 rows; the history keys for the scan's
    # extent and for last_history_step
    assert transport.operations == {
        "GetRunsFull": 1,
        "GetRunFull": 1,
        "RunSampledHistory": 1 + 3,
        "RunHistoryKeys": 2,
    }


async def test_histories_of_many_runs(api: AsyncApi, transport: CountingTransport) -> None:
    frame = await api.runs(PROJECT).histories(samples=5, keys=["acc"], format="pandas")
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["run_id", "_step", "acc"]
    assert frame["run_id"].nunique() == 12 and len(frame) <= 12 * 5
    assert transport.operations == {"RunsSampledHistory": 1}


async def test_files_and_a_download(
    api: AsyncApi, transport: CountingTransport, tmp_path: Path
) -> None:
    run = await api.runs(PROJECT, per_page=1, lazy=False).at(0)
    files = await run.files().load_all()
    assert len(files) == 3 and files[0].name == "wandb-metadata.json"
    path = await files[0].download(tmp_path)
    assert path.stat().st_size == files[0].size
    assert json.loads(path.read_text(encoding="utf-8")) == await run.metadata
    paths = await run.files().download_all(tmp_path / "all")
    assert [p.stat().st_size for p in paths] == [file.size for file in files]
    assert transport.operations["RunFiles"] == 3


async def test_an_artifact_and_its_download(api: AsyncApi, tmp_path: Path) -> None:
    dataset = await api.artifact(f"{PROJECT}/training-data:latest", type="dataset")
    assert (dataset.name, dataset.aliases) == ("training-data:v0", ["latest"])
    files = await dataset.files().load_all()
    assert [file.name for file in files] == ["README.md", "data/test.csv", "data/train.csv"]
    assert dataset.file_count == 3
    root = Path(await dataset.download(tmp_path / "data"))
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        file.name for file in files
    ]
    for file in files:
        assert (root / file.name).stat().st_size == file.size
    creator = await dataset.logged_by()
    assert creator is not None
    assert dataset.id in [artifact.id async for artifact in creator.logged_artifacts()]


async def test_changes_round_trip(api: AsyncApi, transport: CountingTransport) -> None:
    run = await api.create_run("cassette01", project=MUTABLE, config={"lr": 0.1, "keep": 1})
    run.config["lr"] = 0.2
    run.summary["loss"] = 0.5
    run.tags.append("edited")
    run.notes = "recorded"
    await run.update()
    await run.summary.update({"acc": 0.9})
    again = await api.run(run.path_str)
    assert again.config.to_dict() == {"lr": 0.2, "keep": 1}
    assert again.summary.to_dict() == {"loss": 0.5, "acc": 0.9}
    assert (again.tags, again.notes) == (["edited"], "recorded")
    assert await again.update_state("finished")
    await again.delete()
    with pytest.raises(NotFoundError):
        await api.run(run.path_str)
    assert transport.operations == {
        "CreateRun": 1,
        "ServerFeaturesQuery": 1,
        "MergeRunChanges": 2,
        "GetRunFull": 2,
        "UpdateRunState": 1,
        "DeleteRun": 1,
    }
