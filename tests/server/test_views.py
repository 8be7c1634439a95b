"""Saved views (reports): `Project.allViews` paged by row id, `view(id)`, and the seeded
reports' specs."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx

from runsapi.server import LocalServer, SeedSpec
from runsapi.server._ids import encode_id
from tests.server.conftest import SMALL, Client

ALL_VIEWS = """
query ($entity: String!, $project: String!, $type: String, $name: String, $first: Int,
       $after: String) {
  project(name: $project, entityName: $entity) {
    allViews(viewType: $type, viewName: $name, first: $first, after: $after) {
      edges {
        node { id name displayName description spec createdAt updatedAt
               user { username email } project { name entityName } }
        cursor
      }
      pageInfo { endCursor hasNextPage }
    }
  }
}
"""
VIEW = "query ($id: ID!) { view(id: $id) { id displayName project { name entityName } } }"
WHERE = {"entity": "demo", "project": "demo-project"}
SEEDED_TITLES = ["Loss curves", "Learning-rate sweep: results", "Weekly update #1"]


def _views(client: Client, **variables: Any) -> dict[str, Any]:
    data = client.data(ALL_VIEWS, {**WHERE, **variables})
    return data["project"]["allViews"]  # type: ignore[no-any-return]


def test_the_seeded_reports_are_listed_oldest_first(client: Client) -> None:
    views = _views(client)
    nodes = [edge["node"] for edge in views["edges"]]
    assert [node["displayName"] for node in nodes] == SEEDED_TITLES
    assert views["pageInfo"]["hasNextPage"] is False
    assert [node["createdAt"] for node in nodes] == sorted(node["createdAt"] for node in nodes)
    for node in nodes:
        assert node["user"] == {"username": "demo", "email": "demo@example.com"}
        assert node["project"] == {"name": "demo-project", "entityName": "demo"}
        assert node["updatedAt"] > node["createdAt"] and node["description"]


def test_seeded_specs_plot_seeded_history_keys_of_seeded_runs(
    client: Client, seeded: LocalServer
) -> None:
    assert seeded.seeded is not None
    for edge in _views(client)["edges"]:
        spec = json.loads(edge["node"]["spec"])
        (group,) = spec["panelGroups"]
        metrics = {key for panel in group["panels"] for key in panel["config"]["metrics"]}
        assert len(group["panels"]) == 2 and metrics <= {"loss", "acc", "lr", "eval/loss"}
        (run_set,) = group["runSets"]
        assert set(run_set["selections"]["tree"]) <= set(seeded.seeded.run_names)
        assert run_set["sort"] == {
            "key": {"section": "run", "name": "createdAt"},
            "ascending": False,
        }


def test_pages_follow_the_cursor_and_end(client: Client) -> None:
    everything = [edge["node"]["id"] for edge in _views(client)["edges"]]
    first = _views(client, first=2)
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    rest = _views(client, first=2, after=first["pageInfo"]["endCursor"])
    assert rest["pageInfo"]["hasNextPage"] is False
    assert [edge["node"]["id"] for edge in first["edges"] + rest["edges"]] == everything


def test_views_are_filtered_by_type_and_name(client: Client) -> None:
    nodes = [edge["node"] for edge in _views(client)["edges"]]
    assert [edge["node"] for edge in _views(client, type="runs")["edges"]] == nodes
    assert _views(client, type="project")["edges"] == []
    named = _views(client, name=nodes[1]["name"])["edges"]
    assert [edge["node"]["id"] for edge in named] == [nodes[1]["id"]]
    assert _views(client, name="no-such-view")["edges"] == []


def test_a_view_is_found_by_id(client: Client) -> None:
    for edge in _views(client)["edges"]:
        node = edge["node"]
        found = client.data(VIEW, {"id": node["id"]})["view"]
        assert found == {
            "id": node["id"],
            "displayName": node["displayName"],
            "project": {"name": "demo-project", "entityName": "demo"},
        }


def test_ids_that_name_no_view_find_nothing(client: Client) -> None:
    for other in ("not-base64!", encode_id("Run", 1), encode_id("View", 10_000)):
        assert client.data(VIEW, {"id": other}) == {"view": None}


def test_views_of_projects_a_viewer_cannot_see_are_hidden(
    fresh: LocalServer, fresh_client: Client
) -> None:
    view_id = _views(fresh_client)["edges"][0]["node"]["id"]
    stranger = fresh.create_user("stranger")
    assert fresh_client.data(VIEW, {"id": view_id}, key=stranger) == {"view": None}
    assert fresh_client.data(ALL_VIEWS, WHERE, key=stranger) == {"project": None}


def _seeded_reports(seed: SeedSpec, http: httpx.Client) -> list[tuple[str, str, str, str]]:
    """(name, title, spec, createdAt) of the reports a new server seeded with `seed` has."""
    with LocalServer(seed=seed) as server:
        nodes = [edge["node"] for edge in _views(Client(server, http))["edges"]]
    return [(n["name"], n["displayName"], n["spec"], n["createdAt"]) for n in nodes]


def test_the_seed_makes_the_same_reports_every_time(client: Client) -> None:
    seed = dataclasses.replace(SMALL, runs=2, steps=5, artifacts=False)
    assert _seeded_reports(seed, client.http) == _seeded_reports(seed, client.http)


def test_a_seed_can_have_more_reports_or_none(client: Client) -> None:
    seed = SeedSpec(runs=1, steps=2, files=0, artifacts=False)
    assert _seeded_reports(dataclasses.replace(seed, reports=0), client.http) == []
    more = _seeded_reports(dataclasses.replace(seed, reports=4), client.http)
    assert [title for _, title, _, _ in more] == [*SEEDED_TITLES, "Loss curves (2)"]
