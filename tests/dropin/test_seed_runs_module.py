"""Seed 000_2bfa6d1954c60326.txt ("runs", module wandb.apis.public): its two examples.

Seed 004_e682b48188d0d9a3.txt ("Runs", v0.21.1) has one example, the "class Runs" one
below but calling `Api().runs(client=api.client, entity=..., project=...)` with `api`
never assigned: it fails with the official client too (NameError, then TypeError), so
`test_runs_class_example` stands for it.
"""

from __future__ import annotations

import pandas as pd
import pytest

from runsapi import Api, Runs
from tests.dropin.conftest import printed, project_runs

pytestmark = pytest.mark.usefixtures("server")


# The seeded runs log no "accuracy" (only the example runs do): runsapi says so, as it should.
@pytest.mark.filterwarnings(r"ignore:run .* never logged \['accuracy'\]:UserWarning")
def test_module_example(capsys: pytest.CaptureFixture[str]) -> None:
    """000_2bfa6d1954c60326.txt, "module wandb.apis.public", "Example:"."""
    # Initialize API
    api = Api()

    # Get runs matching filters
    runs = api.runs(
        path="demo/demo-project", filters={"state": "finished", "config.batch_size": 32}
    )

    # Access run data
    for run in runs:
        print(f"Run: {run.name}")
        print(f"Config: {run.config}")
        print(f"Metrics: {run.summary}")

        # Get history with pandas
        history_df = run.history(keys=["loss", "accuracy"], pandas=True)

        # Work with artifacts
        for artifact in run.logged_artifacts():
            print(f"Artifact: {artifact.name}")

    matching = [
        run
        for run in project_runs(api)
        if run.state == "finished" and run.config.get("batch_size") == 32
    ]
    lines = printed(capsys)
    assert [line for line in lines if line.startswith("Run: ")] == [
        f"Run: {run.name}" for run in matching
    ]
    assert f"Config: {matching[-1].config}" in lines
    assert [line for line in lines if line.startswith("Artifact: ")] == [
        f"Artifact: {artifact.name}" for run in matching for artifact in run.logged_artifacts()
    ]
    assert isinstance(history_df, pd.DataFrame)  # the last run's: an example run, both keys
    assert {"loss", "accuracy"} <= set(history_df.columns) and len(history_df) > 0


def test_runs_class_example(capsys: pytest.CaptureFixture[str]) -> None:
    """000_2bfa6d1954c60326.txt, "class Runs", "Examples:"."""
    # Initialize the API client
    api = Api()

    # Get all runs from a project that satisfy the filters
    filters = {"state": "finished", "config.optimizer": "adam"}

    runs = Runs(
        client=api.client,
        entity="demo",
        project="demo-project",
        filters=filters,
    )

    # Iterate over runs and print details
    for run in runs:
        print(f"Run name: {run.name}")
        print(f"Run ID: {run.id}")
        print(f"Run URL: {run.url}")
        print(f"Run state: {run.state}")
        print(f"Run config: {run.config}")
        print(f"Run summary: {run.summary}")
        print(f"Run history (samples=5): {run.history(samples=5)}")
        print("----------")

    # Get histories for all runs with specific metrics
    histories_df = runs.histories(
        samples=100,  # Number of samples per run
        keys=["loss", "accuracy"],  # Metrics to fetch
        x_axis="_step",  # X-axis metric
        format="pandas",  # Return as pandas DataFrame
    )

    matching = [
        run
        for run in project_runs(api)
        if run.state == "finished" and run.config.get("optimizer") == "adam"
    ]
    assert matching, "the harness's example runs use adam"
    lines = printed(capsys)
    assert [line for line in lines if line.startswith("Run ID: ")] == [
        f"Run ID: {run.id}" for run in matching
    ]
    assert [line for line in lines if line.startswith("Run URL: ")] == [
        f"Run URL: {run.url}" for run in matching
    ]
    assert set(histories_df["run_id"]) == {run.id for run in matching}
    assert {"_step", "loss", "accuracy"} <= set(histories_df.columns)
