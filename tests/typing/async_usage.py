"""A typical asyncio service's use of `AsyncApi`, checked by `mypy --strict` (see
tests/contract/test_typing.py): the async surface is typed all the way down, with the
same types the sync one has. Not run as a test."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from typing_extensions import assert_type

from runsapi import (
    AsyncApi,
    AsyncArtifact,
    AsyncFile,
    AsyncFiles,
    AsyncHistoryScan,
    AsyncPaginator,
    AsyncProject,
    AsyncRun,
    AsyncRuns,
    F,
    NotFoundError,
    NotLoadedError,
    RunPath,
    Summary,
    TrackedDict,
)


async def service(api: AsyncApi) -> None:
    runs = api.runs("team/project", filters=F.state == "finished", order="-summary_metrics.acc")
    assert_type(runs, AsyncRuns)
    assert_type(await runs.len(), int)
    assert_type(await runs.at(0), AsyncRun)
    assert_type(await runs.at(slice(0, 5)), list[AsyncRun])
    async for run in runs:
        assert_type(run, AsyncRun)
        assert_type(run.config, TrackedDict)
        assert_type(run.summary, Summary[Awaitable[None]])
        assert_type(run.run_path, RunPath)
        assert_type(run.created_at, datetime)
    assert_type(await runs.to_pandas(), pd.DataFrame)
    assert_type(await runs.histories(keys=["loss"]), list[dict[str, Any]])
    assert_type(await runs.histories(keys=["loss"], format="pandas"), pd.DataFrame)

    run = await api.run("team/project/abc123")
    assert_type(run, AsyncRun)
    assert_type(await run.history(keys=["loss"]), pd.DataFrame)
    assert_type(await run.history(keys=["loss"], pandas=False), list[dict[str, Any]])
    scan = run.scan_history(keys=["loss"], page_size=500)
    assert_type(scan, AsyncHistoryScan)
    async with scan:
        async for row in scan:
            assert_type(row, dict[str, Any])
    assert_type(await run.metadata, dict[str, Any] | None)
    assert_type(await run.last_history_step, int)

    run.config["lr"] = 0.01
    assert_type(await run.update(), AsyncRun)
    await run.summary.update({"best_acc": 0.9})
    assert_type(await run.load_full_data(), AsyncRun)

    files = run.files()
    assert_type(files, AsyncFiles)
    assert_type(await run.file("model.pt"), AsyncFile)
    assert_type(await files.download_all(Path("out")), list[Path])
    assert_type(await run.upload_file("notes.txt"), AsyncFile)

    artifact = await api.artifact("team/project/model:latest")
    assert_type(artifact, AsyncArtifact)
    assert_type(await artifact.download(), str)
    assert_type(await artifact.logged_by(), AsyncRun | None)
    assert_type(run.logged_artifacts(), AsyncPaginator[AsyncArtifact])
    assert_type(await api.project("project"), AsyncProject)

    try:
        await api.run("team/project/missing")
    except NotFoundError as error:
        assert_type(error.path, str | None)
    except NotLoadedError:
        pass


async def main() -> None:
    async with AsyncApi(timeout=30, max_retries=2) as api:
        await asyncio.gather(service(api), service(api.with_options(timeout=300)))


asyncio.run(main())
