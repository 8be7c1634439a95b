"""A typical script, checked by `mypy --strict` (see pyproject.toml): the public surface
is typed all the way down. Not run as a test; `tests/unit/test_typing.py` runs mypy on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import pandas as pd
import polars as pl
from typing_extensions import assert_type

from runsapi import (
    Api,
    Artifact,
    ArtifactCollection,
    ArtifactType,
    AuthenticationError,
    Client,
    F,
    File,
    Files,
    Filter,
    HistoryScan,
    NotFoundError,
    Paginator,
    Project,
    RateLimitError,
    Run,
    RunPath,
    Runs,
    RunsApiError,
    Summary,
    TrackedDict,
    User,
)


def script(api: Api) -> None:
    finished: Filter = (F.state == "finished") & (F.config("lr") >= 1e-3) & F.tags.contains("best")
    runs = api.runs(
        "team/project", filters=finished, order=F.summary("eval/loss").asc(), per_page=100
    )
    assert_type(runs, Runs)
    assert_type(len(runs), int)
    first = runs[0]
    assert_type(first, Run)
    assert_type(runs[1:3], list[Run])
    assert_type(first.id, str)
    assert_type(first.name, str | None)
    assert_type(first.state, str)
    assert_type(first.tags, list[str])
    assert_type(first.created_at, datetime)
    assert_type(first.heartbeat_at, datetime | None)
    assert_type(first.user, User | None)
    assert_type(first.config["lr"], Any)
    assert_type(first.summary.to_dict(), dict[str, Any])
    assert_type(first.last_history_step, int)
    assert_type(runs.to_pandas(), pd.DataFrame)
    assert_type(runs.to_polars(progress=False), pl.DataFrame)
    scan = first.scan_history(keys=["loss"], page_size=500)
    assert_type(scan, HistoryScan)
    for row in scan:
        assert_type(row, dict[str, Any])
    assert_type(first.history(keys=["loss"], samples=100), pd.DataFrame)
    assert_type(first.history(keys=["loss"], pandas=False), list[dict[str, Any]])
    assert_type(runs.histories(keys=["loss"]), list[dict[str, Any]])
    assert_type(runs.histories(keys=["loss"], format="pandas"), pd.DataFrame)
    assert_type(runs.histories(keys=["loss"], format="polars"), pl.DataFrame)
    assert_type(first.notes, str | None)
    first.notes = "checked"
    first.group = None
    first.tags.append("reviewed")
    first.summary["checked"] = True
    assert_type(first.update(), Run)
    project = api.project("project", entity="team")
    assert_type(project, Project)
    try:
        api.run("team/project/abc123")
    except NotFoundError as error:
        assert_type(error.path, str | None)
    except RunsApiError as error:
        assert_type(error.message, str)
    with api.with_options(timeout=300, max_retries=0) as patient:
        assert_type(patient, Api)


def collections_and_errors(api: Api, runs: Runs) -> None:
    first = runs[0]
    assert_type(first.config, TrackedDict)
    assert_type(first.summary, Summary)
    assert_type({**first.config, **first.summary}, dict[str, Any])  # both are dicts
    assert_type(first.config.pop("lr", None), Any)
    assert_type(first.json_config, str)
    assert_type(first.run_path, RunPath)
    files = first.files(pattern="%.json")
    assert_type(files, Files)
    assert_type(files[0], File)
    assert_type(files[-2:], list[File])
    assert_type(files.cursor, str | None)
    logged: Paginator[Artifact] = first.logged_artifacts()
    assert_type(logged[0].name, str)
    assert_type(api.projects("team"), Paginator[Project])
    listing: Paginator[Run] = runs
    assert_type(listing.cursor, str | None)
    try:
        assert_type(api.viewer.name, str)
    except RateLimitError as error:
        assert_type(error.status_code, Literal[429])
    except AuthenticationError as error:
        assert_type(error.status_code, Literal[401])


def as_with_the_official_client(api: Api) -> None:
    same = Api({"base_url": "http://127.0.0.1:8080"}, 30, "k" * 40)
    assert_type(same.client, Client)
    assert_type(same.api_key, str | None)
    assert_type(same.user_agent, str)
    runs = Runs(client=api.client, entity="team", project="project", filters={"state": "ok"})
    assert_type(runs.length, int)
    assert_type(runs.next(), Run)
    assert_type(api.runs("team/project", None, "+created_at", 50, True, False), Runs)


def artifacts(api: Api) -> None:
    model = api.artifact("team/project/model:latest", type="model")
    assert_type(model, Artifact)
    assert_type(model.qualified_name, str)
    assert_type(model.metadata, dict[str, Any])
    assert_type(api.artifact_exists("model:v1"), bool)
    assert_type(api.artifact_type("model", "team/project"), ArtifactType)
    assert_type(api.artifact_types(), Paginator[ArtifactType])
    collection = api.artifact_collection("model", "team/project/model")
    assert_type(collection, ArtifactCollection)
    assert_type(collection.artifacts(tags=["best"]), Paginator[Artifact])
    assert_type(
        api.artifact_collections("project", "model", per_page=10), Paginator[ArtifactCollection]
    )
    assert_type(api.artifact_collection_exists("model", "model"), bool)
    assert_type(api.artifacts("model", "model", 50, ["best"]), Paginator[Artifact])
    assert_type(api.artifact_versions("model", "model"), Paginator[Artifact])
    assert_type(api.artifact_type("model").collections()[0], ArtifactCollection)
