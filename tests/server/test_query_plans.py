"""Listing and counting runs search indexes (issue 24): `EXPLAIN QUERY PLAN` of every
statement that a page or a count runs shows an index search, never a scan of the runs,
for each supported order, at the first page and after a cursor, and the common filters."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runsapi.server import _json_indexes, _runs
from runsapi.server._filters import RunFilter, compile_filters
from runsapi.server._ordering import parse_order
from runsapi.server._seed import bare_spec, seeded_store
from runsapi.server._store import Store
from tests.server import oracle

ORDERS = (
    "+created_at",
    "-created_at",
    "+name",
    "-state",
    "+display_name",
    "-heartbeat_at",
    "+updated_at",
    "-group",
    "+job_type",
    "+sweep",
    "-host",
    "+commit",
    "+notes",
    "+description",
    "-summary_metrics.loss",
    "+summary_metrics.best.acc",
    "+config.lr.value",
    "-config.batch_size",
    "+config.optimizer.name",
    "+duration",
    "+username",
    "-username",
)
FILTERS: dict[str, dict[str, Any]] = {
    "state": {"state": "crashed"},
    "state $in": {"state": {"$in": ["failed", "crashed"]}},
    "tags": {"tags": "baseline"},
    "tags $in": {"tags": {"$in": ["baseline", "ablation"]}},
    "config eq": {"config.batch_size": 16},
    "config range": {"config.lr.value": {"$lt": 2e-5}},
    "summary range": {"summary_metrics.loss": {"$lt": 0.06, "$gte": 0}},
    "summary and state": {"$and": [{"summary_metrics.acc": {"$gt": 0.9}}, {"state": "finished"}]},
    "created since": {"createdAt": {"$gt": "2024-01-01T00:00:00Z"}},
    "group": {"group": "baseline"},
    "$or": {"$or": [{"state": "crashed"}, {"summary_metrics.loss": {"$lt": 0.06}}]},
    "$or of a key": {"$or": [{"config.batch_size": 16}, {"config.batch_size": 64}]},
    "$or with tags": {"$or": [{"tags": "baseline"}, {"state": "failed", "group": "x"}]},
}


class Recorder:
    """A connection that keeps the SELECT statements it runs."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.statements: list[tuple[str, list[Any]]] = []

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        if sql.lstrip().upper().startswith("SELECT"):
            self.statements.append((sql, list(params)))
        return self.conn.execute(sql, params)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, int]]:
    path: Path = tmp_path_factory.mktemp("plans") / "plans.db"
    store, seeded = seeded_store(path, bare_spec("planner", "p", runs=300, steps=1, sweeps=2))
    yield store, seeded.project_id
    store.close()


def _plans(conn: sqlite3.Connection, statements: list[tuple[str, list[Any]]]) -> list[list[str]]:
    return [
        [detail for *_, detail in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
        for sql, params in statements
    ]


def _assert_searches(plans: list[list[str]], *, sorted_ok: bool) -> None:
    """Each plan searches an index of runs (or, probing a tag, of run_tags) and scans no
    table (a subquery's rows or json_each over one run's tags are no table scan)."""
    assert plans
    for plan in plans:
        assert any(line.startswith("SEARCH") for line in plan), plan
        for line in plan:
            scans_table = line.startswith("SCAN ") and not line.startswith("SCAN (subquery")
            assert not scans_table or "VIRTUAL TABLE" in line, plan
            if line.startswith("SEARCH"):
                assert "INDEX" in line or "PRIMARY KEY" in line, plan
        if not sorted_ok:
            assert not any("TEMP B-TREE" in line for line in plan), plan


def _page_statements(
    store: Store, project_id: int, filters: dict[str, Any], order: str
) -> list[tuple[str, list[Any]]]:
    compiled, walk = _indexed(store, filters, order)
    recorder = Recorder(store.connection())
    conn: Any = recorder

    def page(after: str | None) -> list[tuple[dict[str, Any], str]]:
        edges, _ = _runs.list_runs(
            conn, project_id, filters=compiled, order=order, after=after, first=20, walk_index=walk
        )
        return edges

    edges = page(None)
    if edges:  # a page after a cursor, and after the cursor of a run missing the key
        page(edges[-1][1])
    page(parse_order(order).cursor(None, 150))
    return recorder.statements


def _indexed(store: Store, filters: dict[str, Any], order: str) -> tuple[RunFilter, str | None]:
    """The compiled filter, once the indexes the resolvers create for it and the order
    exist, and the name of its walk index."""
    compiled = compile_filters(filters)
    value = parse_order(order).field.value_sql
    _json_indexes.ensure(store, [compiled.condition, value])
    return compiled, _json_indexes.walk_index(store, value, compiled.condition)


@pytest.mark.parametrize("order", ORDERS)
def test_every_order_walks_an_index_without_sorting(store: tuple[Store, int], order: str) -> None:
    statements = _page_statements(*store, {}, order)
    _assert_searches(_plans(store[0].connection(), statements), sorted_ok=False)


@pytest.mark.parametrize("selective", [True, False])
@pytest.mark.parametrize("order", ["+created_at", "-summary_metrics.loss", "+config.lr.value"])
@pytest.mark.parametrize("shape", sorted(FILTERS))
def test_filtered_pages_search_an_index(
    store: tuple[Store, int],
    shape: str,
    order: str,
    selective: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A selective filter's page searches the filter's index and sorts what it finds;
    another's walks the order's index (here: every filter, as none matches 0 runs)."""
    if not selective:
        monkeypatch.setattr(_runs, "SELECTIVE_RUNS", 0)
    statements = _page_statements(*store, FILTERS[shape], order)
    plans = _plans(store[0].connection(), statements)
    _assert_searches(plans, sorted_ok=selective)


@pytest.mark.parametrize("shape", sorted(FILTERS))
def test_filtered_counts_search_an_index(store: tuple[Store, int], shape: str) -> None:
    compiled = compile_filters(FILTERS[shape])
    _json_indexes.ensure(store[0], [compiled.condition])
    recorder = Recorder(store[0].connection())
    conn: Any = recorder
    _runs.count_runs(conn, store[1], compiled)
    _assert_searches(_plans(store[0].connection(), recorder.statements), sorted_ok=True)


def test_selective_filters_search_by_their_own_index(store: tuple[Store, int]) -> None:
    """A count of a selective filter searches the index of the filtered field itself (a
    key's own index, or a walk index led by the key: the same entries in the same order)."""
    for filters, index in [
        ({"state": "crashed"}, "runs_state (project_id=? AND state=?)"),
        ({"config.lr.value": {"$lt": 2e-5}}, "(project_id=? AND <expr><?)"),
        ({"summary_metrics.loss": {"$lt": 0.06}}, "(project_id=? AND <expr><?)"),
        ({"tags": "baseline"}, "run_tags_tag"),
    ]:
        plan = _count_plan(store, filters)
        assert any(index in line for line in plan), (filters, plan)


def _count_plan(store: tuple[Store, int], filters: dict[str, Any]) -> list[str]:
    """The query plan of counting the runs `filters` match (its one statement), once the
    indexes the resolvers create for it exist."""
    compiled = compile_filters(filters)
    _json_indexes.ensure(store[0], [compiled.condition])
    conn = store[0].connection()
    recorder = Recorder(conn)
    counted: Any = recorder
    _runs.count_runs(counted, store[1], compiled)
    (plan,) = _plans(conn, recorder.statements)
    return plan


def test_key_indexes_are_recorded_and_capped(store: tuple[Store, int]) -> None:
    conn = store[0].connection()
    compiled = compile_filters({"summary_metrics.acc": {"$gt": 0.5}})
    _json_indexes.ensure(store[0], [compiled.condition])
    recorded = conn.execute("SELECT name, column_name, path FROM json_indexes").fetchall()
    assert (_json_indexes.index_name("summary_q", '$."acc"'), "summary_q", '$."acc"') in recorded
    names = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {name for name, _, _ in recorded} <= names
    assert len(recorded) <= _json_indexes.MAX_JSON_INDEXES


def _listed(
    store: Store, project_id: int, filters: dict[str, Any], order: str, page: int
) -> list[str]:
    compiled, walk = _indexed(store, filters, order)
    conn = store.connection()
    names: list[str] = []
    after = None
    while True:
        edges, more = _runs.list_runs(
            conn,
            project_id,
            filters=compiled,
            order=order,
            after=after,
            first=page,
            walk_index=walk,
        )
        names += [run["name"] for run, _ in edges]
        if not more:
            return names
        after = edges[-1][1]


@pytest.mark.parametrize("selective", [True, False])
@pytest.mark.parametrize(
    "order",
    [
        "+created_at",
        "-heartbeat_at",
        "+display_name",
        "-summary_metrics.loss",
        "+summary_metrics.loss",
        "-config.batch_size",
        "+config.batch_size",
        "+config.lr.value",
        "-summary_metrics.best.acc",
        "+username",
        "-username",
    ],
)
def test_indexed_pages_agree_with_the_oracle(
    store: tuple[Store, int], order: str, selective: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read through the indexes (both ways a filtered page is read), every listing is the
    oracle's: nulls and missing values last, ties by row id, whatever the page size."""
    if not selective:
        monkeypatch.setattr(_runs, "SELECTIVE_RUNS", 0)
    runs = oracle.load_runs(store[0].connection(), store[1])
    for filters in [{}, *FILTERS.values()]:
        expected = oracle.ordered([run for run in runs if oracle.matches(run, filters)], order)
        for page in (7, 100):
            assert _listed(*store, filters, order, page) == expected, (filters, page)
        compiled = compile_filters(filters)
        assert _runs.count_runs(store[0].connection(), store[1], compiled) == len(expected)


def test_tag_rows_follow_the_runs(tmp_path: Path) -> None:
    """run_tags, kept by triggers, follows runs created, retagged and deleted."""
    store, seeded = seeded_store(tmp_path / "tags.db", bare_spec("tagger", "t", runs=3, steps=1))
    project_id = seeded.project_id

    def tagged(tag: str) -> int:
        compiled = compile_filters({"tags": tag})
        return _runs.count_runs(store.connection(), project_id, compiled)

    with store.write() as conn:
        run_id = _runs.create_run(conn, project_id, None, "fresh", {"tags": ["new", "x"]})
    assert tagged("new") == 1
    with store.write() as conn:
        _runs.update_run(conn, run_id, {"tags": ["renamed"]})
    assert (tagged("new"), tagged("renamed")) == (0, 1)
    with store.write() as conn:
        _runs.delete_run(conn, run_id, delete_artifacts=False)
    assert tagged("renamed") == 0
    rows = store.connection().execute("SELECT count(*) FROM run_tags WHERE run_id = ?", (run_id,))
    assert rows.fetchone() == (0,)
    store.close()


def test_the_username_on_runs_follows_users(tmp_path: Path) -> None:
    """runs.username, kept by triggers: set when a run is created by a user or given
    one, cleared when the user is deleted; and found by a username filter."""
    store, seeded = seeded_store(
        tmp_path / "users.db", bare_spec("alice", "u", runs=2, steps=1), others=("bob",)
    )
    conn = store.connection()
    (bob,) = conn.execute("SELECT id FROM users WHERE username = 'bob'").fetchone()

    def by(username: str) -> int:
        compiled = compile_filters({"username": username})
        return _runs.count_runs(store.connection(), seeded.project_id, compiled)

    assert (by("alice"), by("bob")) == (2, 0)
    with store.write() as writing:
        run_id = _runs.create_run(writing, seeded.project_id, bob, "bobs", {})
        _runs.create_run(writing, seeded.project_id, None, "nobody", {})
    assert (by("alice"), by("bob")) == (2, 1)
    with store.write() as writing:
        writing.execute("UPDATE runs SET user_id = NULL WHERE id = ?", (run_id,))
    assert by("bob") == 0
    with store.write() as writing:
        writing.execute("UPDATE runs SET user_id = ? WHERE id = ?", (bob, run_id))
    assert by("bob") == 1
    with store.write() as writing:
        writing.execute("DELETE FROM api_keys WHERE user_id = ?", (bob,))
        writing.execute("DELETE FROM memberships WHERE user_id = ?", (bob,))
        writing.execute("DELETE FROM users WHERE id = ?", (bob,))
    assert by("bob") == 0
    names = conn.execute(
        "SELECT name, username FROM runs WHERE project_id = ? AND user_id IS NULL ORDER BY name",
        (seeded.project_id,),
    ).fetchall()
    assert names == [("bobs", None), ("nobody", None)]
    store.close()


def test_a_tags_count_reads_run_tags_alone(store: tuple[Store, int]) -> None:
    """Counting runs by a tag (or `$in` tags) reads the tag index, no run."""
    search = "SEARCH run_tags USING COVERING INDEX run_tags_tag (project_id=? AND tag=?)"
    for filters, plan in [
        ({"tags": "baseline"}, [search]),
        (
            {"tags": {"$in": ["baseline", "ablation"]}},
            ["USE TEMP B-TREE FOR count(DISTINCT)", search],
        ),
    ]:
        assert _count_plan(store, filters) == plan, filters


@pytest.mark.parametrize("order", ["-summary_metrics.loss", "+summary_metrics.loss"])
def test_a_walk_by_the_filtered_key_starts_at_its_range(
    store: tuple[Store, int], order: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Walking the order's index, a comparison on the order key itself bounds the walk
    (an index range), where checking it on each run would read the runs outside it."""
    monkeypatch.setattr(_runs, "SELECTIVE_RUNS", 0)
    statements = _page_statements(*store, {"summary_metrics.loss": {"$lt": 0.06}}, order)
    plans = _plans(store[0].connection(), statements)
    _assert_searches(plans, sorted_ok=False)
    by_key = [line for plan in plans for line in plan if "<expr>" in line]
    by_key = [line for line in by_key if "<expr>=?" not in line]  # not ties, by row id
    assert by_key and all("<expr><?" in line for line in by_key), plans


@pytest.mark.parametrize("order", ["+created_at", "-summary_metrics.loss", "+username"])
def test_a_walk_reads_the_filter_keys_from_its_walk_index(
    tmp_path: Path, order: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A walked page whose filter compares config or summary keys walks the walk index of
    the order and those keys: each run's keys are read from the index entry, not its JSON."""
    monkeypatch.setattr(_runs, "SELECTIVE_RUNS", 0)
    walking, seeded = seeded_store(tmp_path / "walk.db", bare_spec("walk", "p", runs=100))
    store = walking, seeded.project_id
    filters = {"config.lr.value": {"$lt": 2e-5}, "summary_metrics.acc": {"$gt": 0.5}}
    _, walk = _indexed(store[0], filters, order)
    assert walk is not None and walk.startswith("runs_walk_")
    (columns,) = (
        store[0]
        .connection()
        .execute("SELECT path FROM json_indexes WHERE name = ?", (walk,))
        .fetchone()
    )
    assert columns.split("\n")[2:] == [
        'json_extract(config_q, \'$."lr"."value"\')',
        "json_extract(summary_q, '$.\"acc\"')",
    ]
    statements = _page_statements(*store, filters, order)
    pages = [(sql, params) for sql, params in statements if "count(*)" not in sql]  # no probes
    plans = _plans(store[0].connection(), pages)
    store[0].close()
    _assert_searches(plans, sorted_ok=False)
    assert pages and all(any(f"INDEX {walk}" in line for line in plan) for plan in plans), plans


def test_walk_indexes_are_capped(tmp_path: Path) -> None:
    store, _ = seeded_store(tmp_path / "walks.db", bare_spec("w", "p", runs=20))
    try:
        names = [
            _json_indexes.walk_index(
                store, "runs.created_at", compile_filters({f"config.k{i}": 1}).condition
            )
            for i in range(_json_indexes.MAX_WALK_INDEXES + 3)
        ]
        assert all(names[: _json_indexes.MAX_WALK_INDEXES]) and not any(names[-3:])
        assert len(set(names[: _json_indexes.MAX_WALK_INDEXES])) == _json_indexes.MAX_WALK_INDEXES
        again = compile_filters({"config.k0": 1}).condition
        assert _json_indexes.walk_index(store, "runs.created_at", again) == names[0]
        without = compile_filters({"state": "crashed"}).condition  # no key to read
        assert _json_indexes.walk_index(store, "runs.created_at", without) is None
    finally:
        store.close()


def test_an_or_of_indexed_branches_searches_each_branch(store: tuple[Store, int]) -> None:
    """An `$or` whose branches each compare an indexed field is counted, and a selective
    one paged, by searching each branch's index and uniting the runs found."""
    filters = {"$or": [{"state": "crashed"}, {"summary_metrics.loss": {"$lt": 0.06}}]}
    plan = _count_plan(store, filters)
    assert plan[0] == "MULTI-INDEX OR", plan
    assert any("runs_state (project_id=? AND state=?)" in line for line in plan), plan
    assert any("(project_id=? AND <expr><?)" in line for line in plan), plan
    pages = [
        (sql, params)
        for sql, params in _page_statements(*store, filters, "+created_at")
        if "count(*)" not in sql
    ]
    assert all("MULTI-INDEX OR" in plan for plan in _plans(store[0].connection(), pages))
