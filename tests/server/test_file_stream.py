"""W&B's run stream, `POST /files/{entity}/{project}/{run}/file_stream`: rows at their
offsets (sent again: stored once), the summary, console lines, completion, and refusals
that write nothing."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
import pytest

from runsapi.server import LocalServer
from tests.server.conftest import Client

PROJECT = "streamed"
CREATE = """mutation ($name: String!) {
  upsertBucket(input: {entityName: "demo", modelName: "streamed", name: $name}) { bucket { id } }
}"""
READ = """query ($name: String!) {
  project(name: "streamed", entityName: "demo") {
    run(name: $name) {
      state summaryMetrics historyLineCount eventsLineCount logLineCount
      history(samples: 1000) events(samples: 1000)
    }
  }
}"""
STOP = "mutation ($id: ID!) { stopRun(input: {id: $id}) { success } }"

_names = itertools.count()


def _new_run(client: Client) -> str:
    name = f"streamed{next(_names)}"
    client.data(CREATE, {"name": name})
    return name


def _post(client: Client, run: str, body: Any, *, key: str | None = None) -> httpx.Response:
    server = client.server
    return client.http.post(
        f"{server.base_url}/files/demo/{PROJECT}/{run}/file_stream",
        content=body if isinstance(body, bytes) else json.dumps(body).encode(),
        auth=("api", key or server.api_key),
    )


def _sent(client: Client, run: str, body: Any) -> dict[str, Any]:
    response = _post(client, run, body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _run(client: Client, run: str) -> dict[str, Any]:
    return client.data(READ, {"name": run})["project"]["run"]  # type: ignore[no-any-return]


def _history(client: Client, run: str) -> list[dict[str, Any]]:
    return [json.loads(row) for row in _run(client, run)["history"]]


def _chunk(name: str, offset: int, lines: list[Any]) -> dict[str, Any]:
    content = [line if isinstance(line, str) else json.dumps(line) for line in lines]
    return {"files": {name: {"offset": offset, "content": content}}}


def _rows(steps: range) -> list[dict[str, Any]]:
    return [{"_step": step, "loss": 1 / (step + 1), "_timestamp": 1000.0 + step} for step in steps]


def test_history_is_appended_at_offsets_and_a_chunk_sent_again_is_stored_once(
    fresh_client: Client,
) -> None:
    run = _new_run(fresh_client)
    assert _sent(fresh_client, run, _chunk("wandb-history.jsonl", 0, _rows(range(3)))) == {
        "stopped": False
    }
    _sent(fresh_client, run, _chunk("wandb-history.jsonl", 0, _rows(range(3))))  # a retry
    _sent(fresh_client, run, _chunk("wandb-history.jsonl", 2, _rows(range(2, 5))))  # overlaps
    assert _history(fresh_client, run) == _rows(range(5))
    assert _run(fresh_client, run)["historyLineCount"] == 5


def test_system_metrics_and_the_summary_are_stored(fresh_client: Client) -> None:
    run = _new_run(fresh_client)
    events = [{"system.cpu": 10.0 + seq, "_runtime": 15.0 * seq} for seq in range(3)]
    _sent(fresh_client, run, _chunk("wandb-events.jsonl", 0, events[:2]))
    _sent(fresh_client, run, _chunk("wandb-events.jsonl", 1, events[1:]))
    summaries = [{"loss": 0.5}, {"loss": 0.25, "_wandb": {"runtime": 3}}]
    _sent(fresh_client, run, _chunk("wandb-summary.json", 0, summaries))
    stored = _run(fresh_client, run)
    assert [json.loads(row) for row in stored["events"]] == events
    assert stored["eventsLineCount"] == 3
    assert json.loads(stored["summaryMetrics"]) == summaries[-1]


def test_console_lines_are_written_at_their_index_and_rewritten(
    fresh: LocalServer, fresh_client: Client
) -> None:
    run = _new_run(fresh_client)
    _sent(fresh_client, run, _chunk("output.log", 0, ["epoch 0", "progress 10%"]))
    _sent(fresh_client, run, _chunk("output.log", 1, ["progress 100%", "done"]))
    log = fresh_client.http.get(
        f"{fresh.base_url}/files/demo/{PROJECT}/{run}/output.log", auth=("api", fresh.api_key)
    )
    assert log.text == "epoch 0\nprogress 100%\ndone\n"
    assert _run(fresh_client, run)["logLineCount"] == 3


@pytest.mark.parametrize(
    ("body", "state"),
    [
        ({"complete": True, "exitcode": 0}, "finished"),
        ({"complete": True}, "finished"),
        ({"complete": True, "exitcode": 1}, "failed"),
        ({"preempting": True}, "preempting"),
        ({"uploaded": ["config.yaml"]}, "running"),
        ({}, "running"),  # a heartbeat
    ],
)
def test_completion_and_preemption_change_the_state(
    fresh_client: Client, body: dict[str, Any], state: str
) -> None:
    run = _new_run(fresh_client)
    _sent(fresh_client, run, body)
    assert _run(fresh_client, run)["state"] == state


def test_a_stopped_run_is_told_so_and_stays_killed(fresh_client: Client) -> None:
    run = _new_run(fresh_client)
    run_id = fresh_client.data(CREATE, {"name": run})["upsertBucket"]["bucket"]["id"]
    fresh_client.data(STOP, {"id": run_id})
    assert _sent(fresh_client, run, {"complete": True, "exitcode": 0}) == {"stopped": True}
    assert _run(fresh_client, run)["state"] == "killed"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not valid JSON"),
        ([], "must be a JSON object"),
        (_chunk("notes.txt", 0, ["x"]), "not 'notes.txt'"),
        (_chunk("wandb-history.jsonl", -1, []), "non-negative integer"),
        ({"files": {"wandb-history.jsonl": {"offset": 0, "content": [1]}}}, "list of strings"),
        (_chunk("wandb-history.jsonl", 2, ["[1]"]), "must be a JSON object"),
        (_chunk("wandb-history.jsonl", 3, [{"_step": 3}]), "past the 2 lines stored"),
        (_chunk("wandb-history.jsonl", 2, [{"_step": 1}]), "must be an integer above 1"),
        (_chunk("wandb-events.jsonl", 1, [{"x": 1}]), "past the 0 lines stored"),
        (_chunk("output.log", 1, ["x"]), "past the 0 lines stored"),
        (_chunk("wandb-summary.json", 0, ["[]"]), "must be a JSON object"),
        ({"complete": "yes"}, "must be true or false"),
        ({"exitcode": "0"}, "exitcode must be an integer"),
    ],
)
def test_refused_bodies_answer_400_and_write_nothing(
    fresh_client: Client, body: Any, message: str
) -> None:
    run = _new_run(fresh_client)
    _sent(fresh_client, run, _chunk("wandb-history.jsonl", 0, _rows(range(2))))
    before = _run(fresh_client, run)
    mixed = body if not isinstance(body, dict) else {**body, "complete": body.get("complete", True)}
    response = _post(fresh_client, run, mixed)
    assert response.status_code == 400, response.text
    assert message in response.json()["errors"][0]["message"]
    assert _run(fresh_client, run) == before


def test_only_visible_runs_take_a_stream(fresh: LocalServer, fresh_client: Client) -> None:
    run = _new_run(fresh_client)
    assert _post(fresh_client, run, {}, key="x" * 40).status_code == 401
    assert _post(fresh_client, "no-such-run", {}).status_code == 404
    stranger = fresh.create_user("stranger")
    assert _post(fresh_client, run, {"complete": True}, key=stranger).status_code == 404
    assert _run(fresh_client, run)["state"] == "running"
