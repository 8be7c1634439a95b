"""Every W&B Launch member of the Api, RunQueue and QueuedRun, replayed from cassettes.

The cassette seed holds no job: test_jobs logs one first, as `wandb` would (a
`wandb-job.json` and frozen requirements in an artifact of type `job`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runsapi import ArtifactDraft, NotFoundError, QueuedRunTimeoutError, ResourceConfigWarning
from runsapi._sync.api import Api
from tests.support.counting import CountingTransport

JOB_SPEC = {
    "_version": "v0",
    "source_type": "repo",
    "source": {
        "git": {"remote": "https://github.com/demo/train.git", "commit": "0" * 40},
        "entrypoint": ["python", "train.py"],
        "notebook": False,
    },
    "input_types": {"wb_type": "typedDict", "params": {"type_map": {"lr": {"wb_type": "number"}}}},
    "output_types": {"wb_type": "typedDict", "params": {"type_map": {}}},
    "runtime": "3.10",
}


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache per test, so that each replays the same requests whatever ran before."""
    monkeypatch.setenv("WANDB_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.vcr
def test_run_queues(api: Api, transport: CountingTransport) -> None:
    made = api.create_run_queue(
        "recorded-gpu",
        "kubernetes",
        prioritization_mode="V0",
        config={"gpus": "{{gpus}}"},
        template_variables={"gpus": {"schema": {"type": "integer", "default": 1}}},
    )
    assert (made.type, made.prioritization_mode, made.template_variables) == (
        "kubernetes",
        "V0",
        {"gpus": {"type": "integer", "default": 1}},
    )
    with pytest.warns(ResourceConfigWarning, match=r"\{\{image\}\}"):
        upserted = api.upsert_run_queue(
            "recorded-cpu",
            {"image": "{{image}}"},
            "local-container",
            external_links={"docs": "https://example.com/docs"},
        )
    assert upserted.external_links == {"docs": "https://example.com/docs"}
    assert api.run_queue("demo", "recorded-gpu") == made

    queued = made.push("demo/demo-project/job-x:v0", {"lr": 0.01}, priority=1)
    assert [item.id for item in made.items] == [queued.id]
    found = api.queued_run("demo", "demo-project", "recorded-gpu", queued.id)
    assert (found, found.priority, found.state) == (queued, 1, "pending")
    with pytest.raises(QueuedRunTimeoutError, match="state pending"):
        found.wait_until_running(timeout=0)
    found.delete()
    assert made.items == []
    made.delete()
    upserted.delete()
    with pytest.raises(NotFoundError):
        api.run_queue("demo", "recorded-gpu")
    assert transport.operations["GetDefaultResourceConfig"] == 3


@pytest.mark.vcr
def test_jobs(api: Api, tmp_path: Path) -> None:
    maker = api.create_run(run_id="recordedjobmaker", project="scratch")
    draft = ArtifactDraft("job-recorded", type="job")
    with draft.new_file("wandb-job.json") as spec:
        spec.write(json.dumps(JOB_SPEC, indent=4))
    with draft.new_file("requirements.frozen.txt") as requirements:
        requirements.write("numpy==1.26.4\nwandb==0.31.0\n")
    logged = maker.log_artifact(draft)

    (listed,) = api.list_jobs("demo", "scratch")
    assert (listed.name, [version.id for version in listed.versions]) == (
        "job-recorded",
        [logged.id],
    )
    job = api.job("demo/scratch/job-recorded:v0", path=tmp_path / "job")
    assert (job.source_type, job.source["entrypoint"], job.runtime) == (
        "repo",
        ["python", "train.py"],
        "3.10",
    )
    assert job.requirements == ("numpy==1.26.4", "wandb==0.31.0")
    assert api.list_jobs("demo", "demo-project") == []
