"""Query cost limits: page size and items, aliases, top-level and paginated fields, sampled
rows and expanded fields are checked per request (variables included) before anything runs."""

from __future__ import annotations

import json

import pytest

from runsapi.server._constants import (
    MAX_FIELD_ALIASES,
    MAX_LISTING_FIELDS,
    MAX_PAGE_ITEMS,
    MAX_PAGE_SIZE,
    MAX_SAMPLED_ROWS,
    MAX_SELECTED_FIELDS,
)
from tests.server.conftest import Client

PROJECT = 'project(name: "demo-project", entityName: "demo")'
# queries/history.graphql's RunsSampledHistory, without its fragment.
SAMPLED_PAGE = f"""
query RunsSampledHistory($specs: [JSONString!]!, $perPage: Int = 50) {{
  {PROJECT} {{
    runs(first: $perPage) {{ edges {{ node {{ name sampledHistory(specs: $specs) }} }} }}
  }}
}}"""


def _refused(client: Client, query: str, variables: dict[str, object] | None = None) -> str:
    response = client.post(query, variables)
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert "data" not in response.json(), "nothing ran"
    message: str = error["message"]
    return message


def test_aliased_pages_of_sampled_history_are_refused(client: Client) -> None:
    """The issue's request: three aliases of 2,000 runs x 100 samples (82 MB)."""
    pages = " ".join(
        f"r{index}: runs(first: 2000) {{ edges {{ node {{ history(samples: 100) }} }} }}"
        for index in range(3)
    )
    message = _refused(client, f"query {{ {PROJECT} {{ {pages} }} }}")
    assert "600,000 sampled history rows" in message
    assert f"at most {MAX_SAMPLED_ROWS:,}" in message


def test_sampled_rows_count_variables_pages_and_specs(client: Client) -> None:
    """The shape of the client's multi-run query: one query text, whose cost its variables
    decide (validation is cached per text, the limits are not)."""
    spec = json.dumps({"keys": ["_step", "loss"], "samples": 500})
    runs = MAX_SAMPLED_ROWS // 500
    allowed = client.data(SAMPLED_PAGE, {"specs": [spec], "perPage": runs})
    assert allowed["project"]["runs"]["edges"]
    over = _refused(client, SAMPLED_PAGE, {"specs": [spec], "perPage": runs + 1})
    assert f"{(runs + 1) * 500:,} sampled history rows" in over
    two_specs = _refused(client, SAMPLED_PAGE, {"specs": [spec, spec], "perPage": runs})
    assert f"{MAX_SAMPLED_ROWS * 2:,} sampled history rows" in two_specs
    assert client.data(SAMPLED_PAGE, {"specs": [spec], "perPage": 10})["project"]["runs"]


def test_history_and_events_samples_count_with_their_defaults(client: Client) -> None:
    # 1,001 runs x (history's default 500 + events 0) is over the limit.
    query = f"query {{ {PROJECT} {{ runs(first: 1001) {{ edges {{ node {{ history events(samples: 0) }} }} }} }} }}"
    assert "500,500 sampled history rows" in _refused(client, query)
    events = (
        f'query {{ {PROJECT} {{ run(name: "x") {{ events(samples: {MAX_SAMPLED_ROWS + 1}) }} }} }}'
    )
    assert f"{MAX_SAMPLED_ROWS + 1:,} sampled history rows" in _refused(client, events)


@pytest.mark.parametrize(
    ("query", "asked"),
    [
        (
            f"query {{ {PROJECT} {{ runs(first: {MAX_PAGE_SIZE + 1}) {{ edges {{ cursor }} }} }} }}",
            "runs",
        ),
        (
            f"query {{ {PROJECT} {{ runs(first: 1) {{ edges {{ node {{ files(first: {MAX_PAGE_SIZE + 1}) {{ totalCount }} }} }} }} }} }}",
            "files",
        ),
        (
            f'query {{ models(entityName: "demo", first: {MAX_PAGE_SIZE + 1}) {{ edges {{ cursor }} }} }}',
            "models",
        ),
    ],
)
def test_pages_over_the_maximum_are_refused(client: Client, query: str, asked: str) -> None:
    message = _refused(client, query)
    assert f"`{asked}(first: {MAX_PAGE_SIZE + 1:,})`" in message
    assert f"at most {MAX_PAGE_SIZE:,}" in message


def test_page_sizes_in_variables_are_checked(client: Client) -> None:
    query = f"query($n: Int = {MAX_PAGE_SIZE + 1}) {{ {PROJECT} {{ runs(first: $n) {{ edges {{ cursor }} }} }} }}"
    assert f"at most {MAX_PAGE_SIZE:,}" in _refused(client, query)
    assert f"at most {MAX_PAGE_SIZE:,}" in _refused(client, query, {"n": MAX_PAGE_SIZE * 10})
    runs = client.data(query, {"n": MAX_PAGE_SIZE})["project"]["runs"]["edges"]
    assert len(runs) == 30  # every seeded run


def test_one_field_under_too_many_names_is_refused(client: Client) -> None:
    names = " ".join(f"c{index}: config" for index in range(MAX_FIELD_ALIASES))
    allowed = f"query {{ {PROJECT} {{ runs(first: 2) {{ edges {{ node {{ {names} }} }} }} }} }}"
    node = client.data(allowed)["project"]["runs"]["edges"][0]["node"]
    assert len(node) == MAX_FIELD_ALIASES
    # A fragment adding one more name counts in the same selection.
    refused = (
        allowed.replace("config }", "config ...More }") + " fragment More on Run { more: config }"
    )
    message = _refused(client, refused)
    assert f"`config` is asked for under {MAX_FIELD_ALIASES + 1} names" in message
    assert f"at most {MAX_FIELD_ALIASES}" in message


def test_too_many_top_level_and_paginated_fields_are_refused(client: Client) -> None:
    projects = " ".join(
        f"p{index}: {PROJECT} {{ runs(first: 1) {{ edges {{ cursor }} }} }}" for index in range(4)
    )
    assert client.data(f"query {{ {projects} viewer {{ id }} }}")["viewer"]  # 4 + 4 + 1
    five = projects + f" p4: {PROJECT} {{ runs(first: 1) {{ edges {{ cursor }} }} }}"
    message = _refused(client, f"query {{ {five} viewer {{ id }} }}")
    assert f"asks for {MAX_LISTING_FIELDS + 1} top-level and paginated fields" in message
    assert "project x 5, runs x 5, viewer x 1" in message


def test_fields_multiplied_by_fragments_are_refused(client: Client) -> None:
    """Each fragment selects the next one twice, under two names: 2 ** 12 fields."""
    fragments = []
    for level in range(12):
        owner, field, arguments = (
            ("Project", "run", '(name: "x")') if level % 2 == 0 else ("Run", "project", "")
        )
        fragments.append(
            f"fragment F{level} on {owner} {{ a: {field}{arguments} {{ ...F{level + 1} }}"
            f" b: {field}{arguments} {{ ...F{level + 1} }} }}"
        )
    fragments.append("fragment F12 on Project { id }")
    query = f"query {{ {PROJECT} {{ ...F0 }} }} " + " ".join(fragments)
    message = _refused(client, query)
    assert f"more than {MAX_SELECTED_FIELDS:,} fields" in message


def test_pages_inside_pages_count_once_per_outer_item(client: Client) -> None:
    inner = "project { runs(first: 1000) { edges { cursor } } }"
    query = f"query {{ {PROJECT} {{ runs(first: 99) {{ edges {{ node {{ {inner} }} }} }} }} }}"
    assert len(client.data(query)["project"]["runs"]["edges"]) == 30  # 99 + 99,000 items
    message = _refused(client, query.replace("first: 99)", "first: 100)"))
    assert "pages of up to 100,100 items in all" in message
    assert f"at most {MAX_PAGE_ITEMS:,}" in message
