"""The pytest plugin on users' test files: their unchanged scripts (wandb.Api or runsapi)
against seeded data, the spec from an ini option, faults and request counts, fresh
servers by marker, and sessions that do not use it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.plugin.conftest import FAST_RETRIES, run_isolated

# A user's script, unchanged: the official client, configured by the environment only.
WANDB_REPORT = """
import wandb


def mark_best(path):
    api = wandb.Api()
    finished = [run for run in api.runs(path) if run.state == "finished"]
    best = max(finished, key=lambda run: run.summary["acc"])
    best.summary["best"] = True
    best.summary.update()
    return best.id
"""

WANDB_SPEC_FIXTURE = """
import pytest
from runsapi.testing import Spec


@pytest.fixture(scope="session")
def wandb_spec():
    spec = Spec(entity="team")
    mnist = spec.project("mnist")
    mnist.run("r1", config={"lr": 0.1}, summary={"acc": 0.7})
    mnist.run("r2", config={"lr": 0.01}, summary={"acc": 0.9})
    mnist.run("r3", state="crashed", summary={"acc": 0.95})
    return spec
"""

WANDB_TESTS = """
import pytest
from report import mark_best


def test_report(wandb_server):
    assert mark_best("team/mnist") == "r2"
    snapshot = wandb_server.snapshot()
    assert snapshot.run("mnist/r2").summary == {"acc": 0.9, "best": True}
    assert "best" not in snapshot.run("mnist/r1").summary
    assert snapshot.run("mnist/r3").state == "crashed"


@pytest.mark.wandb_server(
    fresh=True, spec={"entity": "team", "projects": {"mnist": {"runs": [{"id": "solo", "summary": {"acc": 0.1}}]}}}
)
def test_report_on_a_server_of_its_own(wandb_server):
    wandb_server.seed({"entity": "team", "projects": {"mnist": {"runs": [
        {"id": "late", "summary": {"acc": 0.5}}]}}})
    assert mark_best("team/mnist") == "late"


def test_the_official_client_bypasses_cassettes(wandb_cassette):
    mark_best("team/mnist")
"""


def test_an_unchanged_wandb_api_script_against_seeded_data(pytester: pytest.Pytester) -> None:
    pytest.importorskip("wandb")
    pytester.makeconftest(WANDB_SPEC_FIXTURE)
    pytester.makepyfile(report=WANDB_REPORT, test_report=WANDB_TESTS)
    result = run_isolated(pytester)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_the_official_client_bypasses_cassettes*",
            "*GraphQL request(s) reached the server without passing through the cassette*",
        ]
    )


SPEC_YAML = """
entity: lab
projects:
  cifar:
    runs:
      - id: a
        config: {lr: 0.1}
        history: {loss: [2.0, 1.5, 1.2]}
        tags: [baseline]
      - id: b
        config: {lr: 0.01}
        history: {loss: [2.0, 0.9, 0.4]}
        files: {notes.txt: "from the spec"}
      - id: c
        state: failed
        history: {loss: [3.0]}
    artifacts:
      - name: weights
        type: model
        files: {model.txt: "w"}
        logged_by: b
"""

RUNSAPI_ANALYSIS = f"""
from runsapi import Api, F, RetryPolicy


def tag_best(project):
    with Api(retry_policy={FAST_RETRIES}) as api:
        runs = api.runs(project, filters=F.state == "finished")
        best = min(runs, key=lambda run: run.summary["loss"])
        best.tags = [*best.tags, "best"]
        best.summary["reviewed"] = True
        best.update()
        return best.id


def count_runs(project):
    with Api(retry_policy={FAST_RETRIES}) as api:
        return len(list(api.runs(project)))
"""

RUNSAPI_TESTS = """
import os
from pathlib import Path

import pytest
from analysis import count_runs, tag_best


def test_tag_best(wandb_server):
    assert tag_best("cifar") == "b"
    snapshot = wandb_server.snapshot()
    best = snapshot.run("cifar/b")
    assert best.tags == ["best"] and best.summary["reviewed"] is True
    assert (best.history_length, best.summary["loss"], best.config) == (3, 0.4, {"lr": 0.01})
    assert snapshot.project("cifar").artifact("weights").aliases == ["latest"]
    assert wandb_server.requests["GetRuns"] == 1


def test_retried_after_two_failures(wandb_server):
    assert wandb_server.requests == {}  # counted from the start of each test
    wandb_server.fail_next(status=503, times=2)
    assert count_runs("cifar") == 3
    assert wandb_server.requests["GetRuns"] == 3


def test_leaves_a_fault_behind(wandb_server):
    wandb_server.fail_next(status=503, times=5)


def test_starts_without_faults(wandb_server):
    assert count_runs("lab/cifar") == 3
    assert wandb_server.requests["GetRuns"] == 1


def test_the_developers_setup_is_left_out(wandb_server):
    assert os.environ["WANDB_BASE_URL"] == wandb_server.base_url
    assert os.environ["WANDB_API_KEY"] == wandb_server.api_key
    assert os.environ["WANDB_ENTITY"] == "lab" == wandb_server.entity
    assert "WANDB_PROJECT" not in os.environ
    home = Path(os.environ["WANDB_DIR"])
    for name in ("WANDB_CONFIG_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR", "WANDB_ARTIFACT_DIR"):
        assert Path(os.environ[name]).parent == home
    assert Path(os.environ["NETRC"]) == home / "netrc"


def test_writes_to_the_shared_server(wandb_server):
    pytest.shared = wandb_server.base_url
    assert tag_best("cifar") == "b"


@pytest.mark.wandb_server(fresh=True)
def test_a_fresh_server_holds_the_spec_only(wandb_server):
    assert wandb_server.base_url != pytest.shared
    assert wandb_server.snapshot().run("cifar/b").tags == []


def test_the_shared_server_kept_the_writes(wandb_server):
    assert wandb_server.base_url == pytest.shared
    assert wandb_server.snapshot().run("cifar/b").tags == ["best", "best"]


@pytest.mark.wandb_server(spec="other.json")
def test_a_spec_of_its_own(wandb_server):
    assert os.environ["WANDB_ENTITY"] == "elsewhere"
    assert count_runs("p") == 1


@pytest.mark.wandb_server(fresh="yes")
def test_a_bad_marker(wandb_server):
    pass


@pytest.mark.wandb_server(spec={"projects": {"p": {"runs": [{"id": "r", "state": "done"}]}}})
def test_a_bad_spec(wandb_server):
    pass
"""


def test_a_runsapi_script_with_the_spec_from_the_ini_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a developer's shell could hold: none of it reaches the tests.
    monkeypatch.setenv("WANDB_PROJECT", "leaked")
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    pytester.makeini("[pytest]\nrunsapi_spec = data/spec.yaml\n")
    (pytester.path / "data").mkdir()
    (pytester.path / "data" / "spec.yaml").write_text(SPEC_YAML)
    (pytester.path / "other.json").write_text(
        '{"entity": "elsewhere", "projects": {"p": {"runs": [{"id": "x"}]}}}'
    )
    pytester.makepyfile(analysis=RUNSAPI_ANALYSIS, test_analysis=RUNSAPI_TESTS)
    result = run_isolated(pytester)
    result.assert_outcomes(passed=9, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_a_bad_marker*",
            "*wandb_server(fresh=...) takes True or False*",
            "*ERROR at setup of test_a_bad_spec*",
            "*wandb_server(spec=...): projects.p.runs[[]r[]].state: must be one of finished*",
        ]
    )


def test_a_bad_spec_file_is_reported_before_any_server_starts(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nrunsapi_spec = spec.yaml\n")
    (pytester.path / "spec.yaml").write_text(
        "projects:\n  p:\n    runs:\n      - {id: r, tags: x}\n"
    )
    pytester.makepyfile(test_it="def test_it(wandb_server):\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*the ini option runsapi_spec: projects.p.runs[[]r[]].tags: must be a list of strings*"]
    )


def test_markers_options_and_fixtures_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.wandb_server(fresh=False, spec=None)*", "@pytest.mark.wandb_cassette(*"]
    )
    result = pytester.runpytest_inprocess("--help")
    result.stdout.fnmatch_lines(["*--runsapi-record-mode=*", "*runsapi_spec*"])
    result = pytester.runpytest_inprocess("--fixtures")
    result.stdout.fnmatch_lines(
        ["wandb_server -- *", "wandb_cassette -- *", "wandb_spec [[]session scope[]] -- *"]
    )


# Checked in a process of its own: the plugin is loaded by its entry point, as in any
# session where runsapi is installed, and nothing else has loaded the server.
UNDISTURBED_CONFTEST = """
import sys

HEAVY = ("runsapi.server", "uvicorn", "starlette", "ariadne", "vcr", "pandas", "wandb",
         "runsapi_generated")
LOADED_WITH_THE_PLUGINS = [name for name in HEAVY if name in sys.modules]


def pytest_sessionfinish(session):
    import threading

    plugin = session.config.pluginmanager.get_plugin("runsapi")
    servers = [t.name for t in threading.enumerate() if t.name == "runsapi-server"]
    print(f"\\nplugin={plugin.__name__} loaded={LOADED_WITH_THE_PLUGINS}"
          f" server_imported={'runsapi.server' in sys.modules} servers={servers}")
"""


def test_a_session_that_does_not_use_it_is_undisturbed(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(UNDISTURBED_CONFTEST)
    pytester.makepyfile(
        test_plain="""
        def server():
            return "the user's own"

        def test_plain(tmp_path):
            assert server() == "the user's own"
        """
    )
    result = run_isolated(pytester, "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["plugin=runsapi.testing.plugin loaded=[[][]] server_imported=False servers=[[][]]"]
    )


def test_importing_the_package_and_plugin_loads_no_server() -> None:
    code = (
        "import sys\n"
        "import runsapi.testing, runsapi.testing.plugin, runsapi.testing.cassettes\n"
        "heavy = ('runsapi.server', 'uvicorn', 'starlette', 'ariadne', 'vcr', 'pandas',"
        " 'wandb', 'runsapi_generated')\n"
        "loaded = [name for name in heavy if name in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
