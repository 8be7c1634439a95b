"""WandbTestServer without pytest's plugin: seeding, snapshots, request counts, faults."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import get_args

import pytest

from runsapi import Api, APIConnectionError, InternalServerError, RetryPolicy
from runsapi.testing import RunStateName, Spec, SpecError, WandbTestServer

FAST_RETRIES = RetryPolicy(max_retries=3, initial_delay=0.0, max_delay=0.0, jitter=0.0)


def seeded() -> Spec:
    spec = Spec(entity="team", user="alice")
    project = spec.project("p")
    project.sweep("sw", config={"metric": {"name": "loss", "goal": "minimize"}})
    for state in get_args(RunStateName):
        project.run(f"run-{state}", state=state, history={"loss": [1.0, 0.5]}, sweep="sw")
    project.run("plain", config={"lr": 0.1}, tags=["a"], group="g", files={"f.txt": "hi"})
    project.artifact("data", type="dataset", files={"x": "1"}, logged_by="plain", aliases=["best"])
    project.artifact(
        "data", type="dataset", files={"x": "2"}, logged_by="plain", used_by=["run-finished"]
    )
    return spec


@pytest.fixture(scope="module")
def server() -> Iterator[WandbTestServer]:
    with WandbTestServer(seeded()) as running:
        yield running


@pytest.fixture
def api(server: WandbTestServer) -> Iterator[Api]:
    server.reset()
    with Api(
        {"base_url": server.base_url, "entity": server.entity},
        api_key=server.api_key,
        retry_policy=FAST_RETRIES,
    ) as client:
        yield client


def test_every_state_history_sweep_and_artifact_is_seeded(server: WandbTestServer) -> None:
    snapshot = server.snapshot()
    assert snapshot.entity == "team"
    project = snapshot.project("p")
    for state in get_args(RunStateName):
        run = project.run(f"run-{state}")
        assert (run.state, run.history_length, run.sweep) == (state, 2, "sw")
        assert run.summary == {"loss": 0.5, "_step": 1}
    plain = project.run("plain")
    assert (plain.config, plain.tags, plain.group, plain.state) == (
        {"lr": 0.1},
        ["a"],
        "g",
        "finished",
    )
    assert [a.qualified_name for a in project.artifacts.values()] == ["data:v0", "data:v1"]
    assert project.artifact("data:v0").aliases == ["best"]
    assert project.artifact("data").aliases == ["latest"]


def test_seeded_data_is_the_public_view(api: Api) -> None:
    assert api.viewer.username == "alice"
    run = api.run("team/p/plain")
    assert [f.name for f in run.files()] == ["f.txt"]
    assert [a.name for a in api.run("team/p/run-finished").used_artifacts()] == ["data:v1"]
    assert api.sweep("team/p/sw").best_loss == 0.5


def test_requests_leave_out_the_servers_own(server: WandbTestServer, api: Api) -> None:
    list(api.runs("p"))
    server.snapshot()
    other = Spec(entity="lab")
    other.project("q").run("x")
    server.seed(other)  # another entity: the user is made a member of the team
    assert server.requests == {"GetRuns": 1}
    assert [run.id for run in api.runs("lab/q")] == ["x"]
    assert server.snapshot("lab").run("q/x").state == "finished"
    with pytest.raises(SpecError, match=r"projects\.q\.runs: lab/q has runs \['x'\] already"):
        server.seed(other)
    with pytest.raises(SpecError, match="user"):
        server.seed(Spec(entity="lab", user="bob"))


def test_faults(server: WandbTestServer, api: Api) -> None:
    server.fail_next(503, times=2, operation="GetRuns")
    assert len(list(api.runs("p"))) == 9
    assert server.requests["GetRuns"] == 3
    server.drop_next()
    with pytest.raises(APIConnectionError):
        api.with_options(max_retries=0).project("p")
    server.hang_next(0.5)
    with pytest.raises(Exception, match=r"(?i)timed out"):
        api.with_options(max_retries=0, timeout=0.1).project("p")
    server.fail_next(500, times=1)
    with pytest.raises(RuntimeError, match="clear_faults"):
        server.snapshot()
    server.fail_next(500)
    with pytest.raises(InternalServerError):
        api.with_options(max_retries=0).project("p")
    with pytest.raises(ValueError, match="status"):
        server.fail_next(status=99)
    server.reset()
    assert server.requests == {}


def test_without_the_server_extra_the_error_names_it() -> None:
    code = (
        "import sys\n"
        "sys.modules['uvicorn'] = None  # what `import uvicorn` meets when it is missing\n"
        "from runsapi.testing import WandbTestServer\n"
        "try:\n"
        "    WandbTestServer().start()\n"
        "except ModuleNotFoundError as error:\n"
        "    assert 'pip install \"runsapi[testing]\"' in str(error), error\n"
        "    assert \"'uvicorn' is missing\" in str(error), error\n"
        "else:\n"
        "    raise AssertionError('started without uvicorn')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
