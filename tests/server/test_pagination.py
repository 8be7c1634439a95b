"""Keyset pagination: stable while runs are inserted and deleted between pages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runsapi.server import LocalServer
from tests.server.conftest import Client

PAGE = """
query($cursor: String, $order: String, $first: Int, $filters: JSONString) {
  project(name: "demo-project", entityName: "demo") {
    runs(after: $cursor, first: $first, order: $order, filters: $filters) {
      edges { node { id name } cursor }
      pageInfo { endCursor hasNextPage startCursor }
    }
  }
}
"""
CREATE = """
mutation($name: String!, $config: JSONString) {
  upsertBucket(input: {name: $name, modelName: "demo-project", entityName: "demo", config: $config}) {
    bucket { id } inserted
  }
}
"""


def _all_names(client: Client, order: str, first: int = 1000) -> list[str]:
    data = client.data(PAGE, {"order": order, "first": first})
    return [edge["node"]["name"] for edge in data["project"]["runs"]["edges"]]


@pytest.mark.parametrize(
    "order",
    ["+created_at", "-created_at", "+config.lr.value", "-summary_metrics.acc", "+display_name"],
)
def test_no_duplicates_or_gaps_while_runs_are_inserted_and_deleted(
    fresh_client: Client, order: str
) -> None:
    before = _all_names(fresh_client, order)
    seen: list[str] = []
    cursor = None
    inserted = 0
    while True:
        data = fresh_client.data(PAGE, {"cursor": cursor, "order": order, "first": 2})
        runs = data["project"]["runs"]
        seen += [edge["node"]["name"] for edge in runs["edges"]]
        if runs["edges"]:
            assert runs["pageInfo"]["endCursor"] == runs["edges"][-1]["cursor"]
            assert runs["pageInfo"]["startCursor"] == runs["edges"][0]["cursor"]
        if not runs["pageInfo"]["hasNextPage"]:
            break
        cursor = runs["edges"][-1]["cursor"]
        # New runs sort before and after the cursor, depending on the order; insert only
        # while the listing is young, so that it ends.
        for lr in (1e-9, 0.5) if inserted < 8 else ():
            inserted += 1
            created = fresh_client.data(
                CREATE,
                {"name": f"new{order[1:4]}{inserted}", "config": json.dumps({"lr": {"value": lr}})},
            )
            assert created["upsertBucket"]["inserted"] is True
    assert len(seen) == len(set(seen)), "a run was listed twice"
    assert set(before) <= set(seen), "a run that existed all along was skipped"


def test_deleting_the_cursor_run_does_not_break_the_next_page(fresh_client: Client) -> None:
    first = fresh_client.data(PAGE, {"first": 2})["project"]["runs"]
    last_id = first["edges"][-1]["node"]["id"]
    fresh_client.data(
        "mutation($id: ID!) { deleteRun(input: {id: $id}) { clientMutationId } }", {"id": last_id}
    )
    rest = fresh_client.data(PAGE, {"first": 100, "cursor": first["edges"][-1]["cursor"]})[
        "project"
    ]["runs"]
    names = [edge["node"]["name"] for edge in first["edges"]] + [
        edge["node"]["name"] for edge in rest["edges"]
    ]
    assert len(names) == 6 and len(set(names)) == 6


def test_filtered_pages_and_run_count(client: Client) -> None:
    filters = json.dumps({"state": "finished"})
    names: list[str] = []
    cursor = None
    while True:
        runs = client.data(PAGE, {"cursor": cursor, "first": 4, "filters": filters})["project"][
            "runs"
        ]
        names += [edge["node"]["name"] for edge in runs["edges"]]
        if not runs["pageInfo"]["hasNextPage"]:
            break
        cursor = runs["pageInfo"]["endCursor"]
    count = client.data(
        'query($f: JSONString) { project(name: "demo-project", entityName: "demo") { runCount(filters: $f) } }',
        {"f": filters},
    )
    assert len(names) == len(set(names)) == count["project"]["runCount"] > 0


def test_empty_page_and_bad_cursor(client: Client) -> None:
    runs = client.data(PAGE, {"first": 0})["project"]["runs"]
    assert runs["edges"] == [] and runs["pageInfo"]["hasNextPage"] is True
    assert runs["pageInfo"]["endCursor"] is None
    errors = client.errors(PAGE, {"cursor": "not-a-cursor"})
    assert "invalid cursor" in errors[0]


def test_default_page_size_is_50(seeded: LocalServer, client: Client) -> None:
    data: dict[str, Any] = client.data(PAGE, {})
    assert len(data["project"]["runs"]["edges"]) == 30  # the seeded project is smaller
