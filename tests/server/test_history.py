"""History, sampled history, events and history keys, and the sampling rules."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runsapi.server import LocalServer, append_history
from runsapi.server._accounts import viewer_for_key
from runsapi.server._context import RequestContext
from runsapi.server._filters import compile_filter_text
from runsapi.server._history import history_keys, history_rows, sampled_history
from runsapi.server._runs import list_runs
from runsapi.server._sampling import sample_indices
from tests.server.conftest import Client

RUN_QUERY = """
query($name: String!, $specs: [JSONString!]!, $min: Int64, $max: Int64, $samples: Int) {
  project(name: "demo-project", entityName: "demo") {
    run(name: $name) {
      historyLineCount historyKeys
      sampledHistory(specs: $specs)
      history(minStep: $min, maxStep: $max, samples: $samples)
    }
  }
}
"""


@given(count=st.integers(0, 3000), samples=st.integers(-1, 600))
def test_sample_indices_rules(count: int, samples: int) -> None:
    chosen = sample_indices(count, samples)
    assert len(chosen) == (0 if samples <= 0 else min(count, samples))
    assert chosen == sorted(set(chosen))
    assert all(0 <= index < count for index in chosen)
    if count and samples >= 2:
        assert chosen[0] == 0 and chosen[-1] == count - 1
    if count and samples > 2 and count > samples:  # evenly spaced: gaps differ by at most 1
        gaps = [b - a for a, b in itertools.pairwise(chosen)]
        assert max(gaps) - min(gaps) <= 1
    assert sample_indices(count, samples) == chosen


def _first_run(seeded: LocalServer) -> str:
    assert seeded.seeded is not None
    return seeded.seeded.run_names[0]


def _run(client: Client, name: str, specs: list[dict[str, Any]], **history: Any) -> dict[str, Any]:
    variables = {"name": name, "specs": [json.dumps(spec) for spec in specs], **history}
    run: dict[str, Any] = client.data(RUN_QUERY, variables)["project"]["run"]
    return run


def test_history_is_sampled_with_max_step_exclusive(seeded: LocalServer, client: Client) -> None:
    name = _first_run(seeded)
    page = _run(client, name, [], min=100, max=200, samples=1000)["history"]
    rows = [json.loads(row) for row in page]
    assert [row["_step"] for row in rows] == list(range(100, 200))
    sampled = [json.loads(row)["_step"] for row in _run(client, name, [], samples=7)["history"]]
    assert sampled == [0, 50, 100, 150, 199, 249, 299]
    default = _run(client, name, [])["history"]
    assert len(default) == 300  # under the default of 500 samples: everything


def test_nan_and_infinity_round_trip(seeded: LocalServer, client: Client) -> None:
    name = _first_run(seeded)
    response = client.post(
        RUN_QUERY,
        {"name": name, "specs": [json.dumps({"keys": ["_step", "loss"], "samples": 1000})]},
    )
    rows = response.json()["data"]["project"]["run"]["sampledHistory"][0]
    # A JSON value carries them as strings (clients' JSON parsers reject the bare tokens)...
    assert any(row["loss"] == "NaN" for row in rows)
    # ...while JSON-encoded rows keep W&B's bare NaN/Infinity tokens.
    history = [json.loads(row) for row in response.json()["data"]["project"]["run"]["history"]]
    assert any(row.get("grad_norm") == math.inf for row in history)
    assert any(isinstance(row.get("loss"), float) and math.isnan(row["loss"]) for row in history)


def test_sampled_history_keeps_rows_with_every_key_and_only_those_keys(
    seeded: LocalServer, client: Client
) -> None:
    name = _first_run(seeded)
    specs = [
        {"keys": ["_step", "eval/loss"], "samples": 1000},
        {"keys": ["_step", "loss"], "samples": 10, "minStep": 10, "maxStep": 20},
        {"keys": ["_step", "loss", "eval/loss"], "samples": 2},
        {"keys": ["_step", "no-such-key"], "samples": 10},
        {"keys": ["_step", "rare"], "samples": 10},
    ]
    sparse, window, both, none, rare = _run(client, name, specs)["sampledHistory"]
    assert [row["_step"] for row in sparse] == [0, 100, 200]
    assert all(set(row) == {"_step", "eval/loss"} for row in sparse)
    assert [row["_step"] for row in window] == list(range(10, 21))[:10] or len(window) == 10
    assert window[0]["_step"] == 10 and window[-1]["_step"] == 20  # maxStep inclusive, ends kept
    assert [row["_step"] for row in both] == [0, 200]
    assert none == []
    assert rare == [{"_step": 0, "rare": 0}]


def test_sampled_history_is_deterministic(seeded: LocalServer, client: Client) -> None:
    name = _first_run(seeded)
    spec = [{"keys": ["_step", "acc"], "samples": 33}]
    first = _run(client, name, spec)["sampledHistory"]
    assert first == _run(client, name, spec)["sampledHistory"]
    assert len(first[0]) == 33


def test_bad_spec_is_a_graphql_error(seeded: LocalServer, client: Client) -> None:
    errors = client.errors(RUN_QUERY, {"name": _first_run(seeded), "specs": ['{"keys": "loss"}']})
    assert "keys must be a list of strings" in errors[0]


def test_history_keys_and_line_count(seeded: LocalServer, client: Client) -> None:
    run = _run(client, _first_run(seeded), [])
    assert run["historyLineCount"] == 300
    keys = run["historyKeys"]
    assert keys["lastStep"] == 299
    assert keys["keys"]["loss"]["typeCounts"] == [{"type": "number", "count": 300}]
    assert keys["keys"]["eval/loss"]["typeCounts"] == [{"type": "number", "count": 3}]


def test_events_are_sampled(seeded: LocalServer, client: Client) -> None:
    query = 'query($n: String!, $s: Int) { project(name: "demo-project", entityName: "demo") { run(name: $n) { events(samples: $s) eventsLineCount } } }'
    run = client.data(query, {"n": _first_run(seeded), "s": 5})["project"]["run"]
    rows = [json.loads(row) for row in run["events"]]
    assert run["eventsLineCount"] == 12 and len(rows) == 5
    assert (
        "system.cpu" in rows[0] and rows[0]["_runtime"] == 0 and rows[-1]["_runtime"] == 11 * 15.0
    )


def _emptied_first_run(server: LocalServer) -> int:
    """The id of the server's first run, with its history (and what keeps count of it) gone."""
    with server.store.write() as write:
        (run_id,) = write.execute("SELECT id FROM runs ORDER BY id LIMIT 1").fetchone()
        for table in ("history", "run_keysets", "history_key_types"):
            write.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
        write.execute("UPDATE runs SET last_step = -1 WHERE id = ?", (run_id,))
    return int(run_id)


def test_sparse_key_scan_reads_only_matching_rows(fresh: LocalServer) -> None:
    """A sparse key in a long run is found through the keyset index (no full scan)."""
    conn = fresh.store.connection()
    run_id = _emptied_first_run(fresh)
    with fresh.store.write() as write:
        rows = (
            {"_step": s, "x": s, **({"sparse": 1} if s % 1000 == 0 else {})} for s in range(20_000)
        )
        append_history(write, run_id, rows)
    with pytest.raises(ValueError, match="must be an integer above"), fresh.store.write() as write:
        append_history(write, run_id, [{"_step": 5}])
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    found = sampled_history(
        conn, run_id, json.dumps({"keys": ["_step", "sparse"], "samples": 1000})
    )
    conn.set_trace_callback(None)
    assert [row["_step"] for row in found] == list(range(0, 20_000, 1000))
    reads = [statement for statement in statements if "FROM history" in statement]
    assert reads
    for statement in reads:
        plan = " ".join(str(row) for row in conn.execute("EXPLAIN QUERY PLAN " + statement))
        # positions through the keyset index, then the chosen rows one key at a time
        assert "history_keyset" in plan or "(run_id=? AND step=?)" in plan, plan


LAYOUTS = {
    "from zero": list(range(1200)),
    "late start": list(range(5000, 5700)),
    "gaps": [step * step // 7 + step for step in range(900)],
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_sampling_picks_evenly_spaced_ranks_with_or_without_gaps(
    fresh: LocalServer, layout: str
) -> None:
    """Server sampling equals the rule read naively: list the matching steps, then take
    `sample_indices` of them (whether the steps have gaps decides how the server finds
    them, not what it answers)."""
    steps = LAYOUTS[layout]
    run_id = _emptied_first_run(fresh)
    tail = len(steps) * 2 // 3

    def row(index: int, step: int) -> dict[str, int]:
        return (
            {"_step": step, "x": index}
            | ({"odd": 1} if index % 3 else {})
            | ({"tail": 1} if index >= tail else {})
        )

    # three appends: the server's per-keyset counts must add up across them
    for start, stop in [(0, len(steps) // 3), (len(steps) // 3, tail), (tail, len(steps))]:
        with fresh.store.write() as write:
            append_history(write, run_id, [row(i, steps[i]) for i in range(start, stop)])
    conn = fresh.store.connection()
    windows = [(None, None), (steps[10], steps[-10]), (steps[5], steps[5])]
    keysets = [[], ["odd"], ["tail"], ["odd", "tail"]]
    for (lo, hi), samples, keys in itertools.product(windows, [1, 2, 7, 500, 5000], keysets):
        spec = {"keys": ["_step", *keys], "samples": samples, "minStep": lo, "maxStep": hi}
        found = [row["_step"] for row in sampled_history(conn, run_id, json.dumps(spec))]
        matching = [
            step
            for index, step in enumerate(steps)
            if (lo is None or step >= lo)
            and (hi is None or step <= hi)
            and set(keys) <= set(row(index, step))
        ]
        expected = [matching[index] for index in sample_indices(len(matching), samples)]
        assert found == expected, (layout, lo, hi, samples, keys)
    rows = history_rows(conn, run_id, steps[3], steps[-3], 50)
    window = steps[3:-3]
    assert [json.loads(row)["_step"] for row in rows] == [
        window[index] for index in sample_indices(len(window), 50)
    ]


def test_history_keys_of_a_listed_page_load_in_one_query(seeded: LocalServer) -> None:
    store = seeded.store
    conn = store.connection()
    viewer = viewer_for_key(conn, seeded.api_key)
    assert viewer is not None
    (project_id,) = conn.execute("SELECT project_id FROM runs ORDER BY id LIMIT 1").fetchone()
    edges, _ = list_runs(
        conn, project_id, filters=compile_filter_text(None), order=None, after=None, first=10
    )
    runs = [run for run, _ in edges]
    context = RequestContext(store, viewer, seeded.base_url)
    context.listed(runs)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        batched = [context.history_keys(run) for run in runs]
    finally:
        conn.set_trace_callback(None)
    assert len([s for s in statements if "history_key_types" in s]) == 1
    one_by_one = [history_keys(conn, {run["_row"]: run["_last_step"]})[run["_row"]] for run in runs]
    assert batched == one_by_one
    assert all(keys["keys"]["loss"]["typeCounts"] for keys in batched)
