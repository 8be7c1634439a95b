"""Sampling rows of keys logged every k steps (issue 24): read at steps computed from the
(run, keyset) spans and the gcd of their steps, never listed, and the same rows as the
rule says: rows having the keys, in the step window, evenly spaced by rank."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runsapi.server import _history
from runsapi.server._runs import create_run
from runsapi.server._sampling import sample_indices
from runsapi.server._seed import bare_spec, seeded_store
from runsapi.server._store import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, int]]:
    path: Path = tmp_path_factory.mktemp("spacing") / "spacing.db"
    store, seeded = seeded_store(path, bare_spec("spacer", "s"))
    yield store, seeded.project_id
    store.close()


def _expected(rows: list[dict[str, Any]], keys: list[str], lo: int, hi: int, n: int) -> list[Any]:
    wanted = [
        row
        for row in rows
        if all(row.get(key) is not None for key in keys) and lo <= row["_step"] <= hi
    ]
    return [{key: wanted[i][key] for key in keys} for i in sample_indices(len(wanted), n)]


_run_names = iter(range(10**9))


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.integers(0, 50),
    every=st.integers(1, 12),
    rare=st.integers(2, 5),
    count=st.integers(1, 120),
    batches=st.integers(1, 4),
    jitter=st.booleans(),
    lo=st.integers(-5, 400),
    width=st.integers(0, 900),
    samples=st.integers(0, 30),
)
def test_sparse_keys_sample_as_the_rule_says(
    store: tuple[Store, int],
    start: int,
    every: int,
    rare: int,
    count: int,
    batches: int,
    jitter: bool,
    lo: int,
    width: int,
    samples: int,
) -> None:
    steps = [start + index * every for index in range(count)]
    if jitter and count > 2:
        steps[count // 2] += 1 if every > 1 and steps[count // 2] + 1 < steps[count // 2 + 1] else 0
    rows: list[dict[str, Any]] = []
    last = -1
    for index, step in enumerate(steps):
        for filler in range(last + 1, step):  # rows of other keys in between
            rows.append({"_step": filler, "loss": filler / 7})
        row: dict[str, Any] = {"_step": step, "loss": step / 7, "eval": step / 3}
        if index % rare == 0:
            row["rare"] = index
        rows.append(row)
        last = step
    with store[0].write() as conn:
        run_id = create_run(conn, store[1], None, f"r{next(_run_names)}", {})
        size = max(1, len(rows) // batches)
        for begin in range(0, len(rows), size):
            _history.append_history(conn, run_id, rows[begin : begin + size])
    conn = store[0].connection()
    hi = lo + width
    for keys in (["_step", "eval"], ["_step", "eval", "rare"], ["_step", "loss"]):
        spec = json.dumps({"keys": keys, "samples": samples, "minStep": lo, "maxStep": hi})
        assert _history.sampled_history(conn, run_id, spec) == _expected(
            rows, keys, lo, hi, samples
        ), keys


def _stored_in_halves(store: tuple[Store, int], name: str, rows: list[dict[str, Any]]) -> int:
    """A new run holding `rows`, appended in two batches; its row id."""
    with store[0].write() as conn:
        run_id = create_run(conn, store[1], None, name, {})
        _history.append_history(conn, run_id, rows[: len(rows) // 2])
        _history.append_history(conn, run_id, rows[len(rows) // 2 :])
    return run_id


def _sampled_traced(
    conn: sqlite3.Connection, run_id: int, specs: list[dict[str, Any]]
) -> tuple[list[Any], list[str]]:
    """sampledHistory of each spec, and the SQL statements they ran."""
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        got = [_history.sampled_history(conn, run_id, json.dumps(spec)) for spec in specs]
    finally:
        conn.set_trace_callback(None)
    return got, statements


def test_sparse_key_reads_only_the_sampled_rows(store: tuple[Store, int]) -> None:
    """A key logged every 100 steps of 100,000: its 500 samples are read by their steps,
    without listing the run's 1,000 matching steps."""
    rows = [
        {"_step": step, "loss": 1.0, **({"eval": 2.0} if step % 100 == 0 else {})}
        for step in range(100_000)
    ]
    run_id = _stored_in_halves(store, "long", rows)
    conn = store[0].connection()
    (got,), statements = _sampled_traced(conn, run_id, [{"keys": ["eval"], "samples": 500}])
    assert got == _expected(rows, ["eval"], 0, 10**9, 500)
    assert not any("json_group_array" in sql or "count(*)" in sql for sql in statements)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    gaps=st.lists(st.integers(1, 40), min_size=1, max_size=150),
    logged=st.lists(st.booleans(), min_size=150, max_size=150),
    also=st.lists(st.integers(0, 9), min_size=150, max_size=150),
    batches=st.integers(1, 4),
    lo=st.integers(-5, 3_000),
    width=st.integers(0, 6_000),
    samples=st.integers(0, 40),
    ranked_later=st.booleans(),
)
def test_keys_at_irregular_steps_sample_as_the_rule_says(
    store: tuple[Store, int],
    gaps: list[int],
    logged: list[bool],
    also: list[int],
    batches: int,
    lo: int,
    width: int,
    samples: int,
    ranked_later: bool,
) -> None:
    """A key logged at irregular steps, in one keyset or, with another key at some of its
    steps, in two: sampled by rank, in any window; and the same rows for a keyset whose
    first rows were stored before ranks were kept."""
    rows: list[dict[str, Any]] = []
    step = 0
    for gap, has, other in zip(gaps, logged, also, strict=False):
        step += gap
        row: dict[str, Any] = {"_step": step, "val": step / 3} if has else {"_step": step}
        if other == 0:  # a tenth of the rows: a second keyset with "val", a few without
            row["other"] = 1
        rows.append(row if len(row) > 1 else {**row, "loss": 1.0})
    with store[0].write() as conn:
        run_id = create_run(conn, store[1], None, f"r{next(_run_names)}", {})
        size = max(1, len(rows) // batches)
        for begin in range(0, len(rows), size):
            _history.append_history(conn, run_id, rows[begin : begin + size])
            if ranked_later and begin == 0:  # as if the first batch came before ranks
                conn.execute("UPDATE history SET ordinal = NULL WHERE run_id = ?", (run_id,))
                conn.execute(
                    "UPDATE run_keysets SET ranked_from = row_count WHERE run_id = ?", (run_id,)
                )
    conn = store[0].connection()
    hi = lo + width
    for keys in (["_step", "val"], ["_step", "loss"], ["_step", "other"]):
        spec = json.dumps({"keys": keys, "samples": samples, "minStep": lo, "maxStep": hi})
        assert _history.sampled_history(conn, run_id, spec) == _expected(
            rows, keys, lo, hi, samples
        ), keys


def test_a_key_at_irregular_steps_is_read_by_rank(store: tuple[Store, int]) -> None:
    """A key logged at 1 % of 100,000 steps at no regular spacing: its 500 samples (in a
    window too) are read by rank, without listing or counting its 1,000 steps."""
    rng = random.Random(24)
    rows = [
        {"_step": step, "loss": 1.0, **({"val": step / 3} if rng.random() < 0.01 else {})}
        for step in range(100_000)
    ]
    run_id = _stored_in_halves(store, "irregular", rows)
    conn = store[0].connection()
    whole = {"keys": ["val"], "samples": 500}
    got, statements = _sampled_traced(
        conn, run_id, [whole, {**whole, "minStep": 5_000, "maxStep": 60_000}]
    )
    assert got == [
        _expected(rows, ["val"], 0, 10**9, 500),
        _expected(rows, ["val"], 5_000, 60_000, 500),
    ]
    assert not any("json_group_array" in sql or "count(*)" in sql for sql in statements)
    ranked = [sql for sql in statements if "ordinal IN" in sql]
    assert ranked
    for sql in ranked:  # one index search a rank, not a walk of the keyset's rows
        plan = [line for *_, line in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
        assert plan == [
            "SEARCH history USING INDEX history_ordinal (run_id=? AND keyset_id=? AND ordinal=?)"
        ], plan


def test_a_key_in_two_keysets_lists_only_the_smaller(
    store: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key at irregular steps, with a second key at a few of them (two keysets): the
    smaller keyset's steps are listed and placed among the larger one's ranks; the larger
    one's are not listed."""
    rng = random.Random(25)
    rows: list[dict[str, Any]] = []
    for step in range(100_000):
        row: dict[str, Any] = {"_step": step, "loss": 1.0}
        if rng.random() < 0.01:
            row["test"] = step / 3
            if rng.random() < 0.02:
                row["eval"] = step / 5
        rows.append(row)
    run_id = _stored_in_halves(store, "two-keysets", rows)
    listed: list[int] = []
    listing = _history._listed_steps

    def counted(*args: Any) -> list[int]:
        steps = listing(*args)
        listed.extend(steps)
        return steps

    monkeypatch.setattr(_history, "_listed_steps", counted)
    conn = store[0].connection()
    for window in ({}, {"minStep": 20_000, "maxStep": 70_000}):
        spec = json.dumps({"keys": ["test"], "samples": 300, **window})
        lo, hi = window.get("minStep", 0), window.get("maxStep", 10**9)
        assert _history.sampled_history(conn, run_id, spec) == _expected(
            rows, ["test"], lo, hi, 300
        )
    both = sum(1 for row in rows if "test" in row and "eval" in row)
    assert 0 < len(listed) <= 2 * both < sum(1 for row in rows if "test" in row) // 10
