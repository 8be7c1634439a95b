"""Seed 003_f82fb32b95ea6ab1.txt ("Public API" overview): "Authentication" and "Example
Usage", the latter in the parts its own comments mark, so that what runs today is checked
apart from what needs a later issue."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from runsapi import Api
from runsapi.server import LocalServer
from tests.dropin.conftest import printed, project_runs, seeded_sweep

pytestmark = pytest.mark.usefixtures("server")


def test_authentication_options_1_and_2(server: LocalServer) -> None:
    """003_f82fb32b95ea6ab1.txt, "Authentication" (option 1, WANDB_API_KEY, is set by the
    harness; option 2 passes the server's key for "your_api_key"; option 3 calls the SDK's
    `wandb.login()`, not the public API)."""
    # Option 1: Set environment variable
    # export WANDB_API_KEY=your_api_key
    # Option 2: Pass API key directly
    api = Api(api_key=server.api_key)

    assert api.viewer.entity == "demo"
    assert Api().viewer == api.viewer


def test_example_usage_query_analyze_update(capsys: pytest.CaptureFixture[str]) -> None:
    """003_f82fb32b95ea6ab1.txt, "Example Usage", up to "# Update run metadata"."""
    # Initialize the API client
    api = Api()

    # Query runs with filters
    runs = api.runs(
        path="demo/demo-project",
        filters={"state": "finished", "config.learning_rate": {"$gte": 0.001}},
    )

    # Analyze run metrics
    for run in runs:
        print(f"Run: {run.name}")
        print(f"Final accuracy: {run.summary.get('accuracy')}")

        # Get detailed history
        history = run.history(keys=["loss", "accuracy"])

        # Update run metadata
        run.tags.append("reviewed")
        run.update()

    assert printed_pairs(capsys) == [
        (f"Run: {run.name}", f"Final accuracy: {run.summary['accuracy']}")
        for run in project_runs(api)
        if run.config.get("learning_rate", 0) >= 0.001
    ]
    assert isinstance(history, pd.DataFrame) and list(history["loss"]) == [
        1 / (step + 1) for step in range(len(history))
    ]
    reviewed = [run.id for run in project_runs(api) if "reviewed" in run.tags]
    assert reviewed == [run.id for run in runs]


def printed_pairs(capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str]]:
    lines = printed(capsys)
    return list(zip(lines[::2], lines[1::2], strict=True))


def test_example_usage_artifacts(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """003_f82fb32b95ea6ab1.txt, "Example Usage", "# Access artifacts" (`model` is the
    model a seeded run logged twice), run in a temporary working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WANDB_ARTIFACT_DIR")
    model = f"model-{server.seeded.run_names[1]}"
    api = Api()
    # Access artifacts
    artifact = api.artifact(f"demo/demo-project/{model}:v1")
    artifact_dir = artifact.download()

    assert artifact.name == f"{model}:v1" and os.path.isdir(artifact_dir)
    assert Path(artifact_dir) == Path("artifacts", f"{model}:v1")
    assert sorted(os.listdir(artifact_dir)) == sorted(f.name for f in artifact.files())


def test_example_usage_sweeps(server: LocalServer, capsys: pytest.CaptureFixture[str]) -> None:
    """003_f82fb32b95ea6ab1.txt, "Example Usage", "# Query sweep results"."""
    sweep_id = seeded_sweep(server)
    api = Api()
    # Query sweep results
    sweep = api.sweep(f"demo/demo-project/{sweep_id}")
    best_run = sweep.best_run()
    print(f"Best parameters: {best_run.config}")  # type: ignore[union-attr]

    assert best_run is not None
    assert printed(capsys) == [f"Best parameters: {best_run.config}"]
    assert best_run.sweep_name == sweep_id


def test_example_usage_dataframe() -> None:
    """003_f82fb32b95ea6ab1.txt, "Example Usage", "# Query runs with filters" then
    "# Export data as DataFrame"."""
    api = Api()
    # Query runs with filters
    runs = api.runs(
        path="demo/demo-project",
        filters={"state": "finished", "config.learning_rate": {"$gte": 0.001}},
    )

    # Export data as DataFrame
    import pandas as pd  # noqa: PLC0415

    runs_df = pd.DataFrame([{**run.config, **run.summary} for run in runs])

    assert list(runs_df["experiment_name"]) == ["foo", "bar"]
    assert list(runs_df["accuracy"]) == [0.9, 0.8]
    assert runs_df.loc[0, "model1"] == {"loss": 0.5}
