"""Cassette mode: a user's test recorded once from a seeded server, then replayed with no
server at all; the matching and scrubbing it shares with runsapi's own cassettes."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from runsapi.testing.cassettes import (
    INSTALL_HINT,
    REDACTED,
    Scrubber,
    WandbCassette,
    graphql_matcher,
    graphql_request_key,
    make_recorder,
)
from tests.plugin.conftest import FAST_RETRIES, run_isolated

CASSETTE_CONFTEST = """
import os

import pytest
from runsapi.testing import Spec


@pytest.fixture(scope="session")
def wandb_spec():
    spec = Spec(entity="team")
    spec.project("mnist").run("r1", summary={"acc": 0.7})
    spec.project("mnist").run("r2", summary={"acc": 0.9})
    return spec


@pytest.fixture(autouse=True)
def no_server_may_start(monkeypatch):
    if os.environ.get("EXPECT_REPLAY"):
        from runsapi.server import LocalServer

        def refuse(self):
            raise AssertionError("a LocalServer started while replaying")

        monkeypatch.setattr(LocalServer, "start", refuse)
"""

CASSETTE_TESTS = f"""
import os
from collections import Counter
from pathlib import Path

from runsapi import Api, RetryPolicy


def summarize(project):
    with Api(retry_policy={FAST_RETRIES}) as api:
        runs = list(api.runs(project))
        accuracies = {{run.id: run.summary["acc"] for run in runs}}
        best = api.run(f"{{project}}/r2")
        best.summary["checked"] = True
        best.update()
        return accuracies


def test_summary(wandb_cassette):
    assert summarize("mnist") == {{"r1": 0.7, "r2": 0.9}}
    assert wandb_cassette.requests == Counter(
        {{"GetRuns": 1, "GetRunsFull": 1, "GetRunFull": 1, "ServerFeaturesQuery": 1,
          "MergeRunChanges": 1}}
    )
    if wandb_cassette.recording:
        assert wandb_cassette.server.snapshot().run("mnist/r2").summary["checked"] is True
        Path("key.txt").write_text(os.environ["WANDB_API_KEY"])
    else:
        assert wandb_cassette.server is None
        assert os.environ["WANDB_BASE_URL"] == "http://127.0.0.1:9"  # where nothing listens
"""


def test_recorded_once_then_replayed_without_a_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(CASSETTE_CONFTEST)
    pytester.makepyfile(test_summary=CASSETTE_TESTS)
    run_isolated(pytester).assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_summary" / "test_summary.yaml"
    recorded = cassette.read_text()
    key = (pytester.path / "key.txt").read_text()
    assert len(key) == 40 and key not in recorded
    assert "authorization:\n      - REDACTED" in recorded

    monkeypatch.setenv("EXPECT_REPLAY", "1")
    run_isolated(pytester).assert_outcomes(passed=1)
    run_isolated(pytester, "--runsapi-record-mode=none").assert_outcomes(passed=1)
    assert cassette.read_text() == recorded


def test_replaying_a_request_the_cassette_lacks_fails(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CASSETTE_CONFTEST)
    pytester.makepyfile(test_summary=CASSETTE_TESTS)
    result = run_isolated(pytester, "--runsapi-record-mode=none")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*CannotOverwriteExistingCassetteException*"])
    assert not (pytester.path / "cassettes").exists()


def test_without_vcrpy_the_error_names_the_extra(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "vcr", None)  # what `import vcr` meets when missing
    pytester.makepyfile(test_it="def test_it(wandb_cassette):\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(['*pip install "runsapi[[]testing[]]"*'])
    with pytest.raises(ImportError, match=r"runsapi\[testing\]"):
        make_recorder()
    assert "runsapi[testing]" in INSTALL_HINT


def request(body: object, method: str = "POST") -> SimpleNamespace:
    return SimpleNamespace(method=method, body=json.dumps(body).encode())


def test_requests_match_on_operation_and_variables_only() -> None:
    ours = request(
        {"query": "query GetRuns { x }", "operationName": "GetRuns", "variables": {"b": 1, "a": 2}}
    )
    assert graphql_request_key(ours) == ("GetRuns", '{"a":2,"b":1}')
    # The official client leaves operationName empty: the document names the operation.
    official = request(
        {
            "query": "# comment: query Fake\nquery Runs($a: Int) { x }",
            "operationName": "",
            "variables": {},
        }
    )
    assert graphql_request_key(official) == ("Runs", "{}")
    assert graphql_request_key(request({"not": "graphql"})) is None
    assert graphql_request_key(SimpleNamespace(method="GET", body=None)) is None
    graphql_matcher(
        ours,
        request(
            {
                "query": "query GetRuns { y }",
                "operationName": "GetRuns",
                "variables": {"a": 2, "b": 1},
            }
        ),
    )
    with pytest.raises(AssertionError):
        graphql_matcher(ours, official)


def test_secrets_are_scrubbed() -> None:
    secrets = ["k" * 40]
    scrubber = Scrubber(lambda: secrets)
    sent = scrubber.request(request({"query": "q", "variables": {"key": "k" * 40}}))
    assert json.loads(sent.body)["variables"]["key"] == REDACTED
    body = '{"data":{"generateApiKey":{"apiKey":{"id":"1","name":"%s"}}},"echo":"%s"}'
    response = {
        "headers": {"Set-Cookie": ["s=1"], "Content-Type": ["application/json"]},
        "body": {"string": (body % ("f" * 40, "k" * 40)).encode()},
    }
    scrubbed = scrubber.response(response)
    assert scrubbed["body"]["string"] == (body % (REDACTED, REDACTED)).encode()
    assert list(scrubbed["headers"]) == ["Content-Type"]
    secrets.clear()  # asked at each request: a key known later is scrubbed from then on
    assert scrubber.text("k" * 40) == "k" * 40


def test_counts_follow_what_was_played_and_recorded(tmp_path: Path) -> None:
    played, new = request({"query": "query A { x }"}), request({"query": "query B { x }"})
    unplayed = request({"query": "query C { x }"})
    cassette = SimpleNamespace(
        data=[(played, None), (unplayed, None), (new, None)], play_counts=Counter({0: 1})
    )
    recording = WandbCassette(tmp_path / "c.yaml", "new_episodes", None, {}, cassette, 2)
    assert recording.requests == {"A": 1, "B": 1}
    assert recording.recorded == {"B": 1}
