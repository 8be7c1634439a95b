"""W&B Launch through runsapi on a LocalServer: run queues made, upserted, read and
deleted; runs pushed, listed, read, waited for and removed; jobs listed and downloaded;
and every argument checked before any request."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, get_args

import pytest

from runsapi import (
    GraphQLError,
    InvalidPathError,
    Job,
    NotFoundError,
    QueuedRun,
    QueuedRunTimeoutError,
    ResourceConfigWarning,
    RunQueue,
    RunQueuePrioritizationMode,
    RunQueueResourceType,
    UsageError,
)
from runsapi._shared import launch_rules
from runsapi._sync.api import Api
from runsapi.server import LocalServer, SeedSpec
from runsapi.server._launch import set_item_state
from tests.live.conftest import FAST_RETRIES
from tests.support.counting import CountingTransport
from tests.support.offline import offline_api

SEED = SeedSpec(runs=2, steps=5, events=1, files=1, jobs=True, seed=19)
JOB = "demo/demo-project/job-demo_train:latest"
GPU_VARIABLES = {"gpus": {"schema": {"type": "integer", "default": 1, "minimum": 0}}}


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(seed=SEED) as running:
        yield running


@pytest.fixture
def api(server: LocalServer, transport: CountingTransport) -> Iterator[Api]:
    with Api(
        {"base_url": server.base_url, "entity": "demo"},
        api_key=server.api_key,
        retry_policy=FAST_RETRIES,
        transport=transport,
    ) as client:
        yield client


@pytest.fixture
def queue(api: Api, request: pytest.FixtureRequest) -> Iterator[RunQueue]:
    """A V0 kubernetes queue of its own for the test, deleted after it."""
    made = api.create_run_queue(
        request.node.name[:64],
        "kubernetes",
        prioritization_mode="V0",
        config={"gpus": "{{gpus}}"},
        template_variables=GPU_VARIABLES,
    )
    yield made
    made.delete()


def test_the_literals_name_what_the_rules_accept() -> None:
    assert get_args(RunQueueResourceType) == launch_rules.RESOURCE_TYPES
    assert get_args(RunQueuePrioritizationMode) == launch_rules.PRIORITIZATION_MODES


def test_a_created_queue_reads_back_whole(api: Api, transport: CountingTransport) -> None:
    made = api.create_run_queue(
        "made",
        "kubernetes",
        prioritization_mode="v0",  # type: ignore[arg-type]  # upper-cased, as by wandb
        config={"gpus": "{{gpus}}", "namespace": "ml"},
        template_variables=GPU_VARIABLES,
    )
    assert transport.operations == {
        "CreateProject": 1,
        "CreateDefaultResourceConfig": 1,
        "CreateRunQueue": 1,
        "GetRunQueue": 1,
        "GetDefaultResourceConfig": 1,
    }
    found = api.run_queue("demo", "made")
    assert found == made and str(found) == "demo/made"
    assert (found.entity, found.name, found.project) == ("demo", "made", "model-registry")
    assert (found.access, found.prioritization_mode, found.type) == ("PROJECT", "V0", "kubernetes")
    assert found.default_resource_config == {
        "resource_args": {"kubernetes": {"gpus": "{{gpus}}", "namespace": "ml"}}
    }
    assert found.template_variables == {"gpus": GPU_VARIABLES["gpus"]["schema"]}
    assert found.external_links == {} and found.items == []
    assert found.created_at is not None and found.default_resource_config_id
    with pytest.raises(GraphQLError, match="a run queue named 'made' exists already"):
        api.create_run_queue("made", "local-process")
    made.delete()
    with pytest.raises(NotFoundError, match="run queue demo/made not found"):
        api.run_queue("demo", "made")


def test_upsert_creates_then_replaces_and_warns_about_the_template(api: Api) -> None:
    with pytest.warns(ResourceConfigWarning, match=r"\{\{image\}\} is used in the resource"):
        first = api.upsert_run_queue(
            "upserted",
            {"image": "{{image}}"},
            "local-container",
            external_links={"docs": "https://example.com/docs"},
            prioritization_mode="V0",
        )
    assert (first.type, first.prioritization_mode) == ("local-container", "V0")
    assert first.external_links == {"docs": "https://example.com/docs"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = api.upsert_run_queue(
            "upserted",
            {"threads": "{{threads}}"},
            "local-process",
            template_variables={"threads": {"schema": {"type": "integer", "enum": [1, 2, 4]}}},
        )
    assert again.id == first.id
    assert (again.type, again.prioritization_mode, again.external_links) == (
        "local-process",
        "DISABLED",
        {},
    )
    assert again.default_resource_config == {
        "resource_args": {"local-process": {"threads": "{{threads}}"}}
    }
    assert again.template_variables == {"threads": {"type": "integer", "enum": [1, 2, 4]}}
    again.delete()


def test_pushed_runs_are_listed_read_and_removed(api: Api, queue: RunQueue) -> None:
    later = queue.push(JOB, {"lr": 0.1}, project="scratch")
    first = queue.push(api.job(JOB, path=None), priority=0)
    assert (later.priority, first.priority) == (2, 0)
    assert later.run_spec == {
        "job": JOB,
        "entity": "demo",
        "project": "scratch",
        "overrides": {"run_config": {"lr": 0.1}},
    }
    assert (later.project, first.project) == ("scratch", "demo-project")
    assert [item.id for item in queue.items] == [first.id, later.id]
    assert queue.items[1].project == "scratch"
    found = api.queued_run("demo", "scratch", queue.name, later.id)
    assert found == later and (found.queue_name, found.project_queue) == (
        queue.name,
        "model-registry",
    )
    assert found.state == "pending"
    later.delete()
    assert [item.id for item in queue.items] == [first.id]
    with pytest.raises(NotFoundError, match=f"queued run {later.id} not found"):
        api.queued_run("demo", "scratch", queue.name, later.id)
    with pytest.raises(NotFoundError):
        _ = later.state


def test_waiting_for_a_run_nothing_starts_times_out(api: Api, queue: RunQueue) -> None:
    queued = queue.push(JOB)
    with pytest.raises(QueuedRunTimeoutError, match="has no run after 0 s") as caught:
        queued.wait_until_running(timeout=0)
    assert (caught.value.item_id, caught.value.state, caught.value.timeout) == (
        queued.id,
        "pending",
        0,
    )
    assert isinstance(caught.value, TimeoutError)


def test_a_run_set_through_the_server_is_returned(
    server: LocalServer, api: Api, queue: RunQueue
) -> None:
    queued = queue.push(JOB)
    assert server.seeded is not None
    run_id = server.seeded.run_names[1]
    with server.store.write() as conn:
        set_item_state(conn, queued.id, "CLAIMED", "notyetthere")
    with pytest.raises(QueuedRunTimeoutError, match="state claimed"):
        queued.wait_until_running(timeout=0)
    with server.store.write() as conn:
        set_item_state(conn, queued.id, "CLAIMED", run_id)
    assert queued.state == "claimed"
    run = queued.wait_until_running(timeout=0)
    assert (run.id, run.project, run.entity) == (run_id, "demo-project", "demo")


class _Clock:
    """time.monotonic and time.sleep for a wait: sleeping advances the clock and, at the
    first sleep, lets a launch agent claim the item."""

    def __init__(self, on_first_sleep: Callable[[], None]) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.on_first_sleep = on_first_sleep

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        if not self.sleeps:
            self.on_first_sleep()
        self.sleeps.append(seconds)
        self.now += seconds


def test_waiting_polls_until_the_run_exists(
    server: LocalServer, api: Api, queue: RunQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued = queue.push(JOB)
    assert server.seeded is not None
    run_id = server.seeded.run_names[0]

    def claim() -> None:
        with server.store.write() as conn:
            set_item_state(conn, queued.id, "LEASED", run_id)

    clock = _Clock(claim)
    monkeypatch.setattr("runsapi._sync.launch.time", clock)
    monkeypatch.setattr("runsapi._sync._backend.time", clock)
    assert queued.wait_until_running(timeout=60, poll_interval=5).id == run_id
    assert clock.sleeps == [5]
    late = queue.push(JOB)
    clock = _Clock(lambda: None)
    monkeypatch.setattr("runsapi._sync.launch.time", clock)
    monkeypatch.setattr("runsapi._sync._backend.time", clock)
    with pytest.raises(QueuedRunTimeoutError):
        late.wait_until_running(timeout=12, poll_interval=5)
    assert clock.sleeps == [5, 5, 2]


def test_jobs_are_listed_with_their_versions_and_downloaded(api: Api, tmp_path: Path) -> None:
    (listed,) = api.list_jobs("demo", "demo-project")
    assert listed.name == "job-demo_train" and listed.collection.type == "job"
    assert [version.version for version in listed.versions] == ["v0"]
    assert api.list_jobs("demo", "model-registry") == []
    with pytest.raises(NotFoundError, match="project demo/nothing not found"):
        api.list_jobs("demo", "nothing")

    job = api.job(JOB, path=tmp_path / "job")
    assert isinstance(job, Job) and job.name == JOB and job.artifact == listed.versions[0]
    assert job.path == tmp_path / "job" and (job.path / "wandb-job.json").is_file()
    assert (job.source_type, job.source, job.runtime, job.partial) == (
        "image",
        {"image": "demo/train:v1"},
        "3.11.7",
        False,
    )
    assert job.input_types["params"]["type_map"]["optimizer"] == {"wb_type": "string"}
    assert job.output_types["params"]["type_map"].keys() == {"loss", "acc"}
    assert job.requirements == ("numpy==1.26.4", "torch==2.3.0", "wandb==0.31.0")
    with pytest.raises(NotFoundError, match="job artifact demo/demo-project/nothing:v0 not"):
        api.job("demo/demo-project/nothing:v0")
    with pytest.raises(NotFoundError, match="is of type 'dataset', not a job"):
        api.job("demo/demo-project/training-data:v0")


# -- checks before any request ---------------------------------------------------------------

TEMPLATE_REFUSALS = [
    ({"gpus": {"type": "integer"}}, "must be declared as {'schema'"),
    ({"gpus": {"schema": {"type": "float"}}}, "needs a type, one of string, number, integer"),
    ({"gpus": {"schema": {"type": "string", "minimum": 1}}}, "minimum must be a number, for"),
    ({"gpus": {"schema": {"type": "integer", "default": 1.5}}}, "default must be an integer"),
    ({"gpus": {"schema": {"type": "number", "enum": []}}}, "enum must be a non-empty list"),
    ({"gpus": {"schema": {"type": "string", "enum": ["a"], "default": "b"}}}, "one of enum"),
    ({"gpus": {"schema": {"type": "integer", "format": "x"}}}, "unknown keys \\['format'\\]"),
    ({"a b": {"schema": {"type": "string"}}}, "invalid template variable name 'a b'"),
]

CALLS: list[tuple[Callable[[Api], Any], type[Exception], str]] = [
    (lambda api: api.create_run_queue("", "kubernetes"), UsageError, "names have 1 to 64"),
    (lambda api: api.create_run_queue("q" * 65, "kubernetes"), UsageError, "names have 1 to 64"),
    (
        lambda api: api.create_run_queue("q", "slurm"),  # type: ignore[arg-type]
        UsageError,
        "unknown resource type 'slurm': one of local-container, local-process, kubernetes",
    ),
    (
        lambda api: api.create_run_queue("q", "kubernetes", prioritization_mode="V1"),  # type: ignore[arg-type]
        UsageError,
        "unknown prioritization mode 'V1': 'V0', 'DISABLED' or None",
    ),
    (
        lambda api: api.create_run_queue("q", "kubernetes", config={"x": object()}),
        UsageError,
        "'config' cannot be set to a value of type dict",
    ),
    (
        lambda api: api.create_run_queue("q", "kubernetes", config={1: "x"}),  # type: ignore[dict-item]
        UsageError,
        "config must be a dict with string keys",
    ),
    *[
        (
            lambda api, declared=declared: api.create_run_queue(
                "q", "kubernetes", template_variables=declared
            ),
            UsageError,
            message,
        )
        for declared, message in TEMPLATE_REFUSALS
    ],
    (
        lambda api: api.upsert_run_queue("q", {}, "kubernetes", external_links={"x": "ftp://x"}),
        UsageError,
        "invalid URL for external link 'x': 'ftp://x' \\(http or https\\)",
    ),
    (
        lambda api: api.upsert_run_queue("q", [], "kubernetes"),  # type: ignore[arg-type]
        UsageError,
        "resource_config must be a dict",
    ),
    (
        lambda api: api.upsert_run_queue("q", {}, "gcp"),  # type: ignore[arg-type]
        UsageError,
        "unknown resource type 'gcp'",
    ),
    (lambda api: api.run_queue("demo", "q" * 65), UsageError, "names have 1 to 64"),
    (lambda api: api.run_queue(3, "q"), UsageError, "entity must be a string"),  # type: ignore[arg-type]
    (lambda api: api.queued_run("e", "p", "q", ""), UsageError, "run_queue_item_id must be"),
    (lambda api: api.queued_run("e", "", "q", "i"), UsageError, "project must be a non-empty"),
    (lambda api: api.job(None), UsageError, "a job name is needed"),
    (lambda api: api.job("project/job:v0"), InvalidPathError, "entity/project/name:alias"),
    (lambda api: api.job("e/p/job"), InvalidPathError, "entity/project/name:alias"),
    (lambda api: api.list_jobs("e", ""), UsageError, "project must be a non-empty string"),
]


@pytest.mark.parametrize(("call", "error", "message"), CALLS)
def test_bad_arguments_are_refused_before_any_request(
    call: Callable[[Api], Any], error: type[Exception], message: str
) -> None:
    with offline_api() as api, pytest.raises(error, match=message):
        call(api)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"job": "job-demo_train:latest"}, "entity/project/name:alias"),
        ({"job": JOB, "priority": 4}, "invalid priority 4: one of 0 \\(critical\\)"),
        ({"job": JOB, "priority": True}, "invalid priority True"),
        ({"job": JOB, "priority": "1"}, "a priority must be an integer"),
        ({"job": JOB, "config": {"lr": {1, object()}}}, "cannot be set to a value of type dict"),
        ({"job": JOB, "project": ""}, "project must be a non-empty string"),
    ],
)
def test_pushing_checks_its_arguments_first(
    queue: RunQueue, transport: CountingTransport, kwargs: dict[str, Any], message: str
) -> None:
    transport.reset()
    with pytest.raises(UsageError, match=message):
        queue.push(**kwargs)
    assert transport.requests == 0


def test_waiting_checks_its_arguments_first(queue: RunQueue, transport: CountingTransport) -> None:
    queued = queue.push(JOB)
    transport.reset()
    with pytest.raises(UsageError, match="timeout must be a non-negative number"):
        queued.wait_until_running(timeout=-1)
    with pytest.raises(UsageError, match="poll_interval must be a positive number"):
        queued.wait_until_running(poll_interval=0)
    assert transport.requests == 0


def test_a_priority_needs_a_prioritized_queue(api: Api, transport: CountingTransport) -> None:
    plain = api.create_run_queue("plain", "local-process")
    transport.reset()
    with pytest.raises(UsageError, match="has prioritization mode DISABLED: a priority needs"):
        plain.push(JOB, priority=1)
    assert transport.requests == 0
    queued: QueuedRun = plain.push(JOB)
    assert queued.priority is None
    plain.delete()
