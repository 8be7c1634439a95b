"""The official client's W&B Launch members (`create_run_queue`, `upsert_run_queue`,
`run_queue`, `queued_run`, `list_jobs`, `job`) and runsapi's, on the same LocalServer,
each reading what the other made."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runsapi import Api, NotFoundError, RunQueue
from runsapi.server import LocalServer, SeedSpec
from runsapi.server._launch import set_item_state
from tests.compat.conftest import server_for_the_official_client

SEED = SeedSpec(runs=2, steps=5, events=1, files=1, jobs=True, seed=37)
JOB = "demo/demo-project/job-demo_train:latest"
VARIABLES = {"gpus": {"schema": {"type": "integer", "default": 1, "minimum": 0, "maximum": 8}}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with server_for_the_official_client(tmp_path_factory.mktemp("wandb-home"), SEED) as running:
        yield running


def _same_queue(theirs: Any, mine: RunQueue) -> None:
    """The official client's view of a queue (fresh, so each attribute is asked for) and
    runsapi's agree; runsapi decodes template variable schemas and keys links by label."""
    assert (theirs.name, theirs.entity) == (mine.name, mine.entity)
    assert (theirs.id, theirs.access) == (mine.id, mine.access)
    assert theirs.prioritization_mode == mine.prioritization_mode
    assert (theirs.type, theirs.default_resource_config) == (
        mine.type,
        mine.default_resource_config,
    )
    assert {v["name"]: json.loads(v["schema"]) for v in theirs.template_variables} == (
        mine.template_variables
    )
    theirs._get_metadata()  # `external_links` of a fresh official RunQueue: AttributeError
    links = theirs.external_links or {}
    assert {link["label"]: link["url"] for link in links.get("links", [])} == mine.external_links


def test_a_queue_the_official_client_creates_reads_the_same(official: Any, ours: Api) -> None:
    official.create_run_queue(
        "theirs-gpu",
        "kubernetes",
        entity="demo",
        prioritization_mode="V0",
        config={"gpus": "{{gpus}}"},
        template_variables=VARIABLES,
    )
    mine = ours.run_queue("demo", "theirs-gpu")
    assert (mine.type, mine.prioritization_mode) == ("kubernetes", "V0")
    assert mine.default_resource_config == {"resource_args": {"kubernetes": {"gpus": "{{gpus}}"}}}
    _same_queue(official.run_queue("demo", "theirs-gpu"), mine)


def test_a_queue_the_official_client_upserts_reads_the_same(official: Any, ours: Api) -> None:
    official.upsert_run_queue(
        "theirs-cpu",
        {"threads": "{{threads}}"},
        "local-process",
        entity="demo",
        external_links={"runbook": "https://example.com/runbook"},
    )
    mine = ours.run_queue("demo", "theirs-cpu")
    assert mine.external_links == {"runbook": "https://example.com/runbook"}
    assert mine.prioritization_mode == "DISABLED" and mine.template_variables == {}
    _same_queue(official.run_queue("demo", "theirs-cpu"), mine)


def test_a_queue_runsapi_makes_reads_the_same_in_the_official_client(
    official: Any, ours: Api
) -> None:
    ours.create_run_queue(
        "ours-gpu",
        "gcp-vertex",
        prioritization_mode="V0",
        config={"machine": "{{gpus}}"},
        template_variables=VARIABLES,
    )
    mine = ours.upsert_run_queue(
        "ours-gpu",
        {"machine": "n1"},
        "sagemaker",
        external_links={"docs": "https://example.com/docs"},
        prioritization_mode="V0",
    )
    _same_queue(official.run_queue("demo", "ours-gpu"), mine)


def test_queued_runs_agree_on_their_items_and_states(
    server: LocalServer, official: Any, ours: Api
) -> None:
    queue = ours.create_run_queue("shared", "local-container", prioritization_mode="V0")
    low = queue.push(JOB, {"lr": 0.1}, priority=3)
    high = queue.push(JOB, priority=0)
    assert (
        [item.id for item in official.run_queue("demo", "shared").items]
        == [item.id for item in queue.items]
        == [high.id, low.id]
    )

    # The official `queued_run` passes project_queue=None on unless it is given.
    theirs = official.queued_run("demo", "demo-project", "shared", low.id, "model-registry")
    assert theirs.state == low.state == "pending"
    assert server.seeded is not None
    with server.store.write() as conn:
        set_item_state(conn, low.id, "CLAIMED", server.seeded.run_names[0])
    assert theirs.state == low.state == "claimed"
    assert low.wait_until_running(timeout=0).id == theirs.wait_until_running().id

    theirs.delete()
    assert [item.id for item in queue.items] == [high.id]
    official.run_queue("demo", "shared").delete()
    with pytest.raises(NotFoundError):
        ours.run_queue("demo", "shared")


def test_jobs_are_listed_and_read_alike(official: Any, ours: Api, tmp_path: Path) -> None:
    theirs = official.list_jobs("demo", "demo-project")
    mine = ours.list_jobs("demo", "demo-project")
    assert [
        [
            (edge["node"]["artifactSequence"]["name"], edge["node"]["id"], edge["node"]["state"])
            for edge in collection["edges"]
        ]
        for collection in theirs
    ] == [[(job.name, v.id, v.state) for v in job.versions] for job in mine]
    assert official.list_jobs("demo", "model-registry") == ours.list_jobs("demo", "model-registry")

    their_job = official.job(JOB, path=str(tmp_path / "theirs"))
    my_job = ours.job(JOB, path=tmp_path / "mine")
    info = their_job._job_info
    assert (info["source_type"], info["source"], info["runtime"]) == (
        my_job.source_type,
        my_job.source,
        my_job.runtime,
    )
    assert (info["input_types"], info["output_types"]) == (my_job.input_types, my_job.output_types)
    assert their_job.name == my_job.name == JOB
