"""Sweeps on the server: the official client's sweep operations, as it sends them, answered
from the seeded sweeps; listing, state filters, run counts, best losses and (no) agents."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import yaml
from wandb.apis._generated import (
    GET_SWEEP_AGENT_GQL,
    GET_SWEEP_AGENTS_GQL,
    GET_SWEEP_GQL,
    GET_SWEEP_LEGACY_GQL,
    GET_SWEEPS_GQL,
)

from runsapi.server import LocalServer
from tests.server.conftest import Client

WHERE = {"entity": "demo", "project": "demo-project"}


def seeded_sweeps(server: LocalServer) -> dict[str, list[tuple[str, float]]]:
    """Each seeded sweep's runs, as (run name, summary loss), from the database."""
    conn = server.store.connection()
    sweeps: dict[str, list[tuple[str, float]]] = {
        name: [] for (name,) in conn.execute("SELECT name FROM sweeps ORDER BY id")
    }
    for name, sweep, summary in conn.execute(
        "SELECT name, sweep_name, summary FROM runs WHERE sweep_name IS NOT NULL"
    ):
        sweeps[sweep].append((name, json.loads(summary)["loss"]))
    return sweeps


def listing(client: Client, filters: str = "{}", **variables: Any) -> Any:
    return client.data(GET_SWEEPS_GQL, {**WHERE, "filters": filters, **variables})["project"]


def test_the_official_listing_pages_every_sweep_oldest_first(
    seeded: LocalServer, client: Client
) -> None:
    expected = list(seeded_sweeps(seeded))
    first = listing(client, perPage=1)
    second = listing(client, perPage=1, cursor=first["sweeps"]["pageInfo"]["endCursor"])

    assert first["totalSweeps"] == second["totalSweeps"] == len(expected) == 2
    assert first["sweeps"]["pageInfo"]["hasNextPage"] is True
    assert second["sweeps"]["pageInfo"]["hasNextPage"] is False
    names = [edge["node"]["name"] for page in (first, second) for edge in page["sweeps"]["edges"]]
    assert names == expected
    assert [edge["node"]["name"] for edge in listing(client)["sweeps"]["edges"]] == expected


def test_seeded_sweeps_read_as_wandb_sweep_stores_them(seeded: LocalServer, client: Client) -> None:
    runs = seeded_sweeps(seeded)
    nodes = [edge["node"] for edge in listing(client)["sweeps"]["edges"]]

    for node, method in zip(nodes, ("bayes", "random"), strict=True):
        config = yaml.safe_load(node["config"])
        assert (node["method"], config["method"]) == (method, method)
        assert config["metric"] == {"name": "loss", "goal": "minimize"}
        assert set(config["parameters"]) == {"lr", "batch_size", "epochs"}
        assert node["displayName"] == f"sweep {node['name']}" and node["state"] == "FINISHED"
        assert (node["runCount"], node["runCountExpected"]) == (len(runs[node["name"]]), 10)
        losses = [loss for _, loss in runs[node["name"]] if not math.isnan(loss)]
        assert losses and node["bestLoss"] == min(losses)


def test_get_sweep_and_its_legacy_form_read_one_sweep(seeded: LocalServer, client: Client) -> None:
    name = next(iter(seeded_sweeps(seeded)))
    found = client.data(GET_SWEEP_GQL, {**WHERE, "name": name})["project"]["sweep"]
    legacy = client.data(GET_SWEEP_LEGACY_GQL, {**WHERE, "name": name})["project"]["sweep"]

    assert found["__typename"] == "Sweep" and found["name"] == name
    assert {key: found[key] for key in legacy} == legacy
    assert client.data(GET_SWEEP_GQL, {**WHERE, "name": "nope"})["project"]["sweep"] is None


def test_a_sweep_names_its_project_and_has_no_agents(seeded: LocalServer, client: Client) -> None:
    name = next(iter(seeded_sweeps(seeded)))
    variables = {**WHERE, "sweep": name}
    sweep = client.data(
        'query($s: String!) { project(name: "demo-project", entityName: "demo") {'
        " sweep(sweepName: $s) { project { name entityName } } } }",
        {"s": name},
    )["project"]["sweep"]

    assert sweep["project"] == {"name": "demo-project", "entityName": "demo"}
    agents = client.data(GET_SWEEP_AGENTS_GQL, variables)["project"]["sweep"]["agents"]
    assert agents == {"edges": []}
    agent = client.data(GET_SWEEP_AGENT_GQL, {**variables, "agentID": "a1"})["project"]["sweep"]
    assert agent == {"agent": None}


@pytest.mark.parametrize(("state", "count"), [("FINISHED", 2), ("RUNNING", 0)])
def test_sweeps_filter_on_state(client: Client, state: str, count: int) -> None:
    found = listing(client, json.dumps({"state": state}))

    assert len(found["sweeps"]["edges"]) == count
    assert found["totalSweeps"] == 2  # every sweep, as in W&B


@pytest.mark.parametrize(
    "filters", ['{"name": "x"}', '{"state": {"$in": ["RUNNING"]}}', '{"$or": []}', "[1]", "{"]
)
def test_other_sweep_filters_are_refused(client: Client, filters: str) -> None:
    (message,) = client.errors(GET_SWEEPS_GQL, {**WHERE, "filters": filters})

    assert "sweep filters" in message
