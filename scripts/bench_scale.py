"""The local server at scale (issue 24): cost per page against project size and run length.

    python scripts/bench_scale.py        # 1,000 / 10,000 / 100,000 runs; 10^4 / 10^6 steps
    python scripts/bench_scale.py --runs 2000 20000 --steps 10000 --pages 5   # quick
    python scripts/bench_scale.py --steps 10000 1000000 10000000 --runs      # history only

Each project size is seeded into a database of its own (runs with nested config and
summary, one history row each), then for every order and filter shape it times pages of
100 runs read the way the `runs` resolver reads them (first page and pages deep in the
listing, keyset-paginated from the cursor of the page before), and the filtered counts.
Runs of the given lengths are then appended to a run of their own and timed for sampled
history (a dense key, a sparse key logged every 100 steps, three logged as often at
irregular steps: one in rows of its own keyset, one in a large keyset and a small one, one
in two keysets alike) and scan pages (`history` with a step window).
Figures are server-side costs (store calls, no HTTP); a loopback request adds a constant
per page. Seeding is bounded by --budget seconds a size: a size that the rate of the sizes
before predicts to exceed it is skipped with a note.

At the end a table compares the sizes: for pages the cost per run listed (a filter's page
at 1,000 runs may hold fewer than 100 runs), for counts the cost per run counted (a count
reads an index entry per matching run), with the ratio of the largest size's figure to
the smallest's.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runsapi.server import _history, _json_indexes, _runs  # noqa: E402
from runsapi.server._filters import compile_filters  # noqa: E402
from runsapi.server._ordering import parse_order  # noqa: E402
from runsapi.server._seed import bare_spec, seeded_store  # noqa: E402
from runsapi.server._store import Store  # noqa: E402

ORDERS = (
    "+created_at",
    "-created_at",
    "+state",
    "-heartbeat_at",
    "+display_name",
    "+username",
    "-summary_metrics.loss",
    "+summary_metrics.acc",
    "+config.lr.value",
    "-config.batch_size",
)
FILTERS: dict[str, dict[str, Any]] = {
    "none": {},
    "state": {"state": "crashed"},
    "state $in": {"state": {"$in": ["failed", "crashed"]}},
    "tags": {"tags": "baseline"},
    "config eq": {"config.batch_size": 16},
    "config range": {"config.lr.value": {"$lt": 2e-5}},
    "summary range": {"summary_metrics.loss": {"$lt": 0.06}},
    "summary + state": {"summary_metrics.acc": {"$gt": 0.98}, "state": "finished"},
    "$or": {"$or": [{"state": "crashed"}, {"tags": "baseline"}]},
}
PAGE = 100


def _size(path: Path) -> float:
    """MB of the database, its WAL included."""
    wal = Path(f"{path}-wal")
    return (path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) / 1e6


Figures = dict[str, tuple[float, int]]  # label -> (seconds, runs listed or counted)


def _timed(call: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The fewest seconds of `repeat` calls, and the last result: on a shared machine the
    other figures carry whatever else ran meanwhile (a median of 9 of the same page
    varies by half here, the least by 1 %)."""
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return min(times), result


def _pages(store: Store, project_id: int, filters: dict[str, Any], order: str) -> Iterator[str]:
    """Cursors to start pages from: the first page, then one page deep in the listing
    (after skipping half of the runs by their cursors, fetched in big pages)."""
    conn = store.connection()
    sql = compile_filters(filters)
    yield ""
    after: str | None = None
    total = _runs.count_runs(conn, project_id, sql)
    skipped = 0
    while skipped < total // 2:
        edges, more = _runs.list_runs(
            conn,
            project_id,
            filters=sql,
            order=order,
            after=after,
            first=min(1000, total // 2 - skipped),
        )
        if not edges:
            break
        skipped += len(edges)
        after = edges[-1][1]
        if not more:
            break
    if after:
        yield after


def _page_cost(
    store: Store,
    project_id: int,
    filters: dict[str, Any],
    order: str,
    repeat: int,
    walk_index: str | None,
) -> tuple[float, int]:
    """Seconds of the costlier of the first page and a page deep in the listing, and
    the runs it listed."""
    conn = store.connection()
    compiled = compile_filters(filters)
    costs = []
    for after in _pages(store, project_id, filters, order):

        def page(after: str = after) -> Any:
            return _runs.list_runs(
                conn,
                project_id,
                filters=compiled,
                order=order,
                after=after or None,
                first=PAGE,
                walk_index=walk_index,
            )

        elapsed, (edges, _) = _timed(page, repeat)
        costs.append((elapsed, len(edges)))
    return max(costs)


def bench_runs(directory: Path, size: int, repeat: int) -> tuple[float, Figures]:
    """Seconds seeding took, and the figures of pages and counts."""
    path = directory / f"runs-{size}.db"
    started = time.perf_counter()
    store, seeded = seeded_store(path, bare_spec("bench", f"p{size}", runs=size, steps=1, sweeps=2))
    seed_seconds = time.perf_counter() - started
    seconds = seed_seconds
    figures: Figures = {}
    print(f"\n== {size:,} runs (seeded in {seconds:.1f} s, {_size(path):.1f} MB)")
    conn = store.connection()
    # What the resolvers do first: index the config and summary keys named (once), and
    # the walk index of each order and filter reading other keys.
    started = time.perf_counter()
    named = [parse_order(order).field.value_sql for order in ORDERS]
    named += [compile_filters(filters).condition for filters in FILTERS.values()]
    _json_indexes.ensure(store, named)
    seconds = time.perf_counter() - started
    print(f"indexes of the keys named created in {seconds:.2f} s")
    shapes = [(order, label) for order in ORDERS for label in ("none", "state")]
    shapes += [("+created_at", label) for label in FILTERS if label not in ("none", "state")]
    started = time.perf_counter()
    walks = {
        shape: _json_indexes.walk_index(
            store,
            parse_order(shape[0]).field.value_sql,
            compile_filters(FILTERS[shape[1]]).condition,
        )
        for shape in shapes
    }
    seconds = time.perf_counter() - started
    print(f"walk indexes created in {seconds:.2f} s ({len(set(walks.values()) - {None})})")
    for order, label in shapes:
        worst, listed = _page_cost(
            store, seeded.project_id, FILTERS[label], order, repeat, walks[order, label]
        )
        figures[f"page {order} [{label}]"] = (worst, listed)
        print(
            f"page of {PAGE}  order {order:<24} filter {label:<16} {worst * 1e3:8.2f} ms"
            f"  ({listed} runs)"
        )
    for label, filters in FILTERS.items():
        sql = compile_filters(filters)
        elapsed, count = _timed(
            lambda sql=sql: _runs.count_runs(conn, seeded.project_id, sql), repeat
        )
        figures[f"count [{label}]"] = (elapsed, count)
        print(f"count          filter {label:<16} {elapsed * 1e3:8.2f} ms  ({count:,} runs)")
    (indexes,) = conn.execute("SELECT count(*) FROM json_indexes").fetchone()
    ids = [row for (row,) in conn.execute("SELECT id FROM runs ORDER BY random() LIMIT 200")]
    summaries = [
        json.dumps({"loss": 0.5 + i / 1000, "acc": 0.9, "best": {"acc": 0.9}}) for i in range(200)
    ]
    started = time.perf_counter()
    for run_id, summary in zip(ids, summaries, strict=True):
        with store.write() as writing:
            _runs.update_run(writing, run_id, {"summaryMetrics": summary, "state": "finished"})
    seconds = (time.perf_counter() - started) / len(ids)
    figures["write: summary and state"] = (seconds, 1)
    print(
        f"write: a run's summary and state, one transaction  {seconds * 1e3:8.2f} ms"
        f"  ({indexes} key and walk indexes)"
    )
    store.close()
    return seed_seconds, figures


def print_comparison(by_size: dict[int, Figures]) -> None:
    """Each figure at every size (us per run listed or counted; a write: us per call)
    and the ratio of the largest size's to the smallest's."""
    sizes = sorted(by_size)
    if len(sizes) < 2:
        return
    print("\n== across sizes (us per run listed or counted; the write: us per call)")
    header = "".join(f"{size:>12,}" for size in sizes)
    print(f"{'':<52}{header}   ratio")
    for label in by_size[sizes[0]]:
        costs = []
        for size in sizes:
            seconds, runs = by_size[size].get(label, (float("nan"), 1))
            costs.append(seconds / max(runs, 1) * 1e6)
        ratio = costs[-1] / costs[0]
        flag = "" if ratio <= 1.3 else "  > 1.3"
        cells = "".join(f"{cost:12.2f}" for cost in costs)
        print(f"{label:<52}{cells}   {ratio:5.2f}{flag}")


def _rows(first: int, count: int, sparse_every: int) -> Iterator[dict[str, Any]]:
    for step in range(first, first + count):
        row: dict[str, Any] = {"_step": step, "loss": 1.0 / (step + 1), "acc": step % 97 / 97}
        if step % sparse_every == 0:
            row["eval/loss"] = 2.0 / (step + 1)
        # Three keys logged as often as eval/loss at no regular spacing: val/acc never with
        # eval/loss (its rows are one keyset), test/acc with it at times (a large keyset
        # and a small one), hp/acc with hp/lr every other time (two keysets alike).
        scattered = step * 2_654_435_761 % 2**32 % 1_000
        share = 1_000 // sparse_every
        if scattered < share and step % sparse_every:
            row["val/acc"] = step % 89 / 89
        elif scattered >= 1_000 - share:
            row["test/acc"] = step % 83 / 83
        elif share <= scattered < 2 * share and step % sparse_every:
            row["hp/acc"] = step % 79 / 79
            if scattered % 2:
                row["hp/lr"] = 0.1
        yield row


def bench_history(directory: Path, steps: int, repeat: int, batch: int) -> float:
    """Print the figures of a run of `steps` rows; returns the seconds appending took."""
    path = directory / f"history-{steps}.db"
    store, seeded = seeded_store(path, bare_spec("bench", "h", runs=1))
    conn = store.connection()
    (run_id,) = conn.execute(
        "SELECT id FROM runs WHERE project_id = ?", (seeded.project_id,)
    ).fetchone()
    started = time.perf_counter()
    appended = 0
    append_times = []
    while appended < steps:
        count = min(batch, steps - appended)
        began = time.perf_counter()
        with store.write() as conn:
            _history.append_history(conn, run_id, _rows(appended, count, 100))
        append_times.append((time.perf_counter() - began) / count)
        appended += count
    seconds = time.perf_counter() - started
    print(
        f"\n== a run of {steps:,} steps (appended in {seconds:.1f} s,"
        f" {append_times[0] * 1e6:.1f} us/row first batch, {append_times[-1] * 1e6:.1f} us/row"
        f" last; {_size(path):.1f} MB)"
    )
    conn = store.connection()
    cases: dict[str, Callable[[], Any]] = {
        "sampledHistory loss (500)": lambda: _history.sampled_history(
            conn, run_id, json.dumps({"keys": ["_step", "loss"], "samples": 500})
        ),
        "sampledHistory eval/loss (500)": lambda: _history.sampled_history(
            conn, run_id, json.dumps({"keys": ["_step", "eval/loss"], "samples": 500})
        ),
        "sampledHistory val/acc, irregular (500)": lambda: _history.sampled_history(
            conn, run_id, json.dumps({"keys": ["_step", "val/acc"], "samples": 500})
        ),
        "sampledHistory test/acc, irregular, 2 keysets": lambda: _history.sampled_history(
            conn, run_id, json.dumps({"keys": ["_step", "test/acc"], "samples": 500})
        ),
        "sampledHistory hp/acc, irregular, 2 keysets alike": lambda: _history.sampled_history(
            conn, run_id, json.dumps({"keys": ["_step", "hp/acc"], "samples": 500})
        ),
        "history scan page (1000 rows, middle)": lambda: _history.history_rows(
            conn, run_id, steps // 2, steps // 2 + 1000, 1000
        ),
        "history scan page (1000 rows, end)": lambda: _history.history_rows(
            conn, run_id, steps - 1000, steps, 1000
        ),
        "history sampled (500)": lambda: _history.history_rows(conn, run_id, None, None, 500),
    }
    for label, call in cases.items():
        elapsed, rows = _timed(call, repeat)
        print(f"{label:<52} {elapsed * 1e3:8.2f} ms  ({len(rows)} rows)")
    store.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    parser.add_argument("--steps", type=int, nargs="*", default=[10_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=9, help="timings per figure (the least)")
    parser.add_argument("--budget", type=float, default=600, help="seconds of seeding a size")
    parser.add_argument("--batch", type=int, default=100_000, help="history rows per append")
    parser.add_argument("--dir", type=Path, help="where the databases go (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        directory = args.dir or Path(temporary)
        directory.mkdir(parents=True, exist_ok=True)
        rate = 0.0  # seconds per run, then per history row, of the sizes before
        by_size: dict[int, Figures] = {}
        for size in args.runs:
            if rate * size > args.budget:
                print(f"\n== {size:,} runs: skipped (seeding would take ~{rate * size:.0f} s)")
                continue
            seeding, by_size[size] = bench_runs(directory, size, args.repeat)
            rate = seeding / size
        print_comparison(by_size)
        rate = 0.0
        for steps in args.steps:
            if rate * steps > args.budget:
                print(f"\n== {steps:,} steps: skipped (appending would take ~{rate * steps:.0f} s)")
                continue
            rate = bench_history(directory, steps, args.repeat, args.batch) / steps


if __name__ == "__main__":
    main()
