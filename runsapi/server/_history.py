"""History and system-event rows of runs: appending, sampling and key statistics.

Each history row is stored as its JSON text (served as is by `history`) with the id of
its keyset, the sorted keys whose values are not null. `sampledHistory` selects the
keysets that contain every requested key and reads only rows of those keysets through
the (run_id, keyset_id, step) index, so a sparse key is found without scanning the run.
Each (run, keyset) also keeps its row count and first and last step: when the wanted
rows have no gaps between their steps, as usual, sampling needs no index walk at all; nor
does it when they are evenly spaced (the gcd of their steps' distances is kept too). Each
row also keeps its rank among its keyset's rows, so that rows at irregular steps are
sampled by rank (_ranked_rows).
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from runsapi._shared.json_codec import loads
from runsapi.server._constants import (
    DEFAULT_EVENTS_SAMPLES,
    DEFAULT_HISTORY_SAMPLES,
    INSERT_BATCH_ROWS,
)
from runsapi.server._jsontext import dumps, loads_value
from runsapi.server._sampling import sample_indices

_MIN_STEP = -(2**63)
_MAX_STEP = 2**63 - 1
# Values bound in one IN (...) list; below SQLite's limit on bound parameters.
_STEPS_PER_QUERY = 10_000
_POSITION = {"history": "step", "events": "seq"}
_TYPE_NAMES = {bool: "boolean", int: "number", float: "number", str: "string", list: "list"}

Signature = tuple[tuple[str, str], ...]


def _type_name(value: Any) -> str:
    name = _TYPE_NAMES.get(type(value))
    if name is not None:
        return name
    if isinstance(value, dict):
        kind = value.get("_type")
        return kind if isinstance(kind, str) else "map"
    return "unknown"


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _keyset_id(conn: sqlite3.Connection, keys: Iterable[str]) -> int:
    text = json.dumps(sorted(keys), separators=(",", ":"))
    conn.execute("INSERT OR IGNORE INTO keysets (keys) VALUES (?)", (text,))
    row = conn.execute("SELECT id FROM keysets WHERE keys = ?", (text,)).fetchone()
    return int(row[0])


def append_history(conn: sqlite3.Connection, run_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
    """Append rows to a run's history (inside the caller's transaction); returns the count.

    Steps must increase; a row without `_step` gets the next one.
    """
    (last_step,) = conn.execute("SELECT last_step FROM runs WHERE id = ?", (run_id,)).fetchone()
    signatures: Counter[Signature] = Counter()
    keysets: dict[Signature, int] = {}
    # keyset -> [rows, first step, last step, step gcd, first step stored, rows stored]
    spans: dict[int, list[Any]] = {}
    # keyset -> (first step, step gcd, rows) of the rows stored before; gcd None if unknown
    stored = {
        keyset: (first, step_gcd, count)
        for keyset, first, step_gcd, count in conn.execute(
            "SELECT keyset_id, first_step, step_gcd, row_count FROM run_keysets"
            " WHERE run_id = ? AND row_count > 0",
            (run_id,),
        )
    }
    batch: list[tuple[int, int, int, int, str]] = []
    # Signatures by (keys, value types): rows of a run repeat a few shapes, and a shape's
    # signature is its types' names, but for maps (their `_type` names them).
    known: dict[tuple[tuple[str, ...], tuple[type, ...]], Signature] = {}
    total = 0
    for given in rows:
        step = given.get("_step")
        row = given if step is not None else {"_step": (step := last_step + 1), **given}
        if isinstance(step, bool) or not isinstance(step, int) or step <= last_step:
            raise ValueError(f"history step {step!r} must be an integer above {last_step}")
        last_step = step
        kinds = tuple(map(type, row.values()))
        shape = (tuple(row), kinds)
        signature = known.get(shape)
        if signature is None:
            signature = tuple(
                (key, _type_name(value)) for key, value in row.items() if value is not None
            )
            if dict not in kinds:
                known[shape] = signature
        keyset = keysets.get(signature)
        if keyset is None:
            keyset = keysets[signature] = _keyset_id(conn, (key for key, _ in signature))
        signatures[signature] += 1
        span = spans.get(keyset)
        if span is None:
            first, step_gcd, count = stored.get(keyset, (step, 0, 0))
            gcd_now = None if step_gcd is None else math.gcd(step_gcd, step - first)
            span = spans[keyset] = [1, step, step, gcd_now, first, count]
        else:
            span[0] += 1
            span[2] = step
            if span[3] is not None:
                span[3] = math.gcd(span[3], step - span[4])
        ordinal = span[5] + span[0] - 1  # the row's rank among its keyset's rows
        batch.append((run_id, step, keyset, ordinal, dumps(row)))
        if len(batch) >= INSERT_BATCH_ROWS:
            total += _flush(conn, batch)
    total += _flush(conn, batch)
    _record_keys(conn, run_id, signatures, spans)
    conn.execute(
        "UPDATE runs SET last_step = ?, history_line_count = history_line_count + ? WHERE id = ?",
        (last_step, total, run_id),
    )
    return total


def _flush(conn: sqlite3.Connection, batch: list[tuple[int, int, int, int, str]]) -> int:
    conn.executemany(
        "INSERT INTO history (run_id, step, keyset_id, ordinal, row) VALUES (?, ?, ?, ?, ?)",
        batch,
    )
    count = len(batch)
    batch.clear()
    return count


def _record_keys(
    conn: sqlite3.Connection,
    run_id: int,
    signatures: Counter[Signature],
    spans: dict[int, list[Any]],
) -> None:
    type_counts: Counter[tuple[str, str]] = Counter()
    for signature, count in signatures.items():
        for key_type in signature:
            type_counts[key_type] += count
    conn.executemany(
        "INSERT INTO history_key_types (run_id, key, type, count) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (run_id, key, type) DO UPDATE SET count = count + excluded.count",
        [(run_id, key, kind, count) for (key, kind), count in type_counts.items()],
    )
    conn.executemany(
        "INSERT INTO run_keysets (run_id, keyset_id, row_count, first_step, last_step, step_gcd)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, keyset_id) DO UPDATE SET"
        " row_count = row_count + excluded.row_count,"
        " first_step = coalesce(first_step, excluded.first_step),"
        " last_step = excluded.last_step, step_gcd = excluded.step_gcd",
        [
            (run_id, keyset, rows, first, last, step_gcd)
            for keyset, (rows, first, last, step_gcd, _, _) in spans.items()
        ],
    )


def append_events(conn: sqlite3.Connection, run_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
    (count,) = conn.execute("SELECT events_line_count FROM runs WHERE id = ?", (run_id,)).fetchone()
    batch = [(run_id, count + offset, dumps(row)) for offset, row in enumerate(rows)]
    conn.executemany("INSERT INTO events (run_id, seq, row) VALUES (?, ?, ?)", batch)
    conn.execute(
        "UPDATE runs SET events_line_count = events_line_count + ? WHERE id = ?",
        (len(batch), run_id),
    )
    return len(batch)


def _samples(samples: int | None, default: int) -> int:
    return default if samples is None else samples


def _rows_at(
    conn: sqlite3.Connection, table: str, run_id: int, positions: Sequence[int]
) -> list[str]:
    """The rows (JSON text) of a run at the given positions, in order."""
    return [row for _, row in _keyed_rows(conn, table, run_id, _POSITION[table], positions)]


def _keyed_rows(
    conn: sqlite3.Connection,
    table: str,
    run_id: int,
    column: str,
    values: Sequence[int],
    keyset_id: int | None = None,
) -> list[tuple[int, str]]:
    """(position, row) of the run's rows in `table` whose `column` (the position, or the
    rank within the keyset `keyset_id`: "ordinal", by the index of ranks) is one of
    `values`, in order."""
    position = _POSITION[table]
    source, scope = table, "run_id = ?"
    params: list[Any] = [run_id]
    if column == "ordinal":
        source, scope = "history INDEXED BY history_ordinal", "run_id = ? AND keyset_id = ?"
        params.append(keyset_id)
    found: list[tuple[int, str]] = []
    for chunk in _chunks(sorted(values), _STEPS_PER_QUERY):
        found.extend(
            conn.execute(
                f"SELECT {position}, row FROM {source} WHERE {scope}"
                f" AND {column} IN ({','.join('?' * len(chunk))}) ORDER BY {column}",
                [*params, *chunk],
            )
        )
    return found


def _gap_free_rows(
    conn: sqlite3.Connection, table: str, run_id: int, first: int, last: int, samples: int
) -> list[str]:
    """Down-sampled rows when every position from `first` to `last` holds a wanted row:
    rank r is at position first + r, so no position needs listing."""
    count = last - first + 1
    if count <= 0 or samples <= 0:
        return []
    if count > samples:
        chosen = [first + index for index in sample_indices(count, samples)]
        return _rows_at(conn, table, run_id, chosen)
    position = _POSITION[table]
    return [
        row
        for (row,) in conn.execute(
            f"SELECT row FROM {table} WHERE run_id = ? AND {position} >= ?"
            f" AND {position} <= ? ORDER BY {position}",
            (run_id, first, last),
        )
    ]


def _sampled_rows(
    conn: sqlite3.Connection,
    table: str,
    where: str,
    params: list[Any],
    samples: int,
    positions_from: str,
) -> list[str]:
    """Rows (JSON text) of `table` matching `where`, ordered by position, down-sampled.

    `table` is "history" (position `step`) or "events" (position `seq`); `params[0]` is
    the run's id. Positions are counted in `positions_from` (for history, the keyset
    index: a few bytes a row, where the table holds whole rows) and listed only when
    they have gaps; then only the chosen rows are read, by primary key.
    """
    if samples <= 0:
        return []
    position = _POSITION[table]
    run_id = params[0]
    count, first, last = conn.execute(
        f"SELECT count(*), min({position}), max({position}) FROM {positions_from} WHERE {where}",
        params,
    ).fetchone()
    if not count:
        return []
    if last - first + 1 == count:
        return _gap_free_rows(conn, table, run_id, first, last, samples)
    positions = _positions(conn, position, positions_from, where, params)
    return _rows_at(
        conn, table, run_id, [positions[index] for index in sample_indices(len(positions), samples)]
    )


class _Keyset(NamedTuple):
    id: int
    keys: frozenset[str]
    rows: int
    first_step: int  # of a keyset without rows: 0
    last_step: int  # of a keyset without rows: -1
    # gcd of its steps' distances to its first step: every step is first + k * step_gcd;
    # None when unknown (rows stored before the server kept it)
    step_gcd: int | None
    # the first rank stored: the rows before it were stored before ranks were kept
    ranked_from: int


def _keysets(conn: sqlite3.Connection, run_id: int) -> list[_Keyset]:
    return [
        _Keyset(keyset, frozenset(json.loads(text)), rows, first, last, step_gcd, ranked_from)
        for keyset, text, rows, first, last, step_gcd, ranked_from in conn.execute(
            "SELECT keysets.id, keysets.keys, row_count, coalesce(first_step, 0),"
            " coalesce(last_step, -1), step_gcd, ranked_from FROM run_keysets"
            " JOIN keysets ON keysets.id = run_keysets.keyset_id WHERE run_keysets.run_id = ?",
            (run_id,),
        )
    ]


def _history_texts(
    conn: sqlite3.Connection,
    run_id: int,
    keysets: list[_Keyset],
    lo: int,
    hi: int,
    samples: int,
) -> list[str]:
    """Rows of the given keysets with lo <= step <= hi, at most `samples` of them.

    Steps are unique in a run, so when the keysets' rows add up to their span of steps,
    every step of that span is a wanted row: the window needs no counting.
    """
    filled = [keyset for keyset in keysets if keyset.rows]
    if not filled:
        return []
    first = min(keyset.first_step for keyset in filled)
    last = max(keyset.last_step for keyset in filled)
    count = sum(keyset.rows for keyset in filled)
    if last - first + 1 == count:
        return _gap_free_rows(conn, "history", run_id, max(first, lo), min(last, hi), samples)
    stride = _stride(filled, first, last, count)
    if stride is not None:
        return _evenly_spaced_rows(conn, run_id, first, last, stride, lo, hi, samples)
    ranked = max(filled, key=lambda keyset: keyset.rows)
    others = [keyset for keyset in filled if keyset is not ranked]
    # Listing the others' steps and finding the rank of each costs about what listing five
    # times as many steps does.
    if ranked.ranked_from == 0 and sum(keyset.rows for keyset in others) * 5 <= ranked.rows:
        return _ranked_rows(conn, run_id, ranked, others, lo, hi, samples)
    where, params = _in_keysets(run_id, filled, lo, hi)
    return _sampled_rows(conn, "history", where, params, samples, _BY_KEYSET)


def _stride(keysets: list[_Keyset], first: int, last: int, count: int) -> int | None:
    """The distance s between consecutive wanted rows when they are evenly spaced (a key
    logged every s steps), else None.

    With s = (last - first) / (count - 1), the rows fill every step first + k * s of the
    span when each keyset's steps lie on that progression (its first step does and s
    divides its gcd): `count` distinct steps on `count` places. No row is read for that.
    """
    if count < 2 or (last - first) % (count - 1):
        return None
    stride = (last - first) // (count - 1)
    for keyset in keysets:
        if keyset.step_gcd is None or keyset.step_gcd % stride:
            return None
        if (keyset.first_step - first) % stride:
            return None
    return stride


def _evenly_spaced_rows(
    conn: sqlite3.Connection,
    run_id: int,
    first: int,
    last: int,
    stride: int,
    lo: int,
    hi: int,
    samples: int,
) -> list[str]:
    """Down-sampled rows at steps first, first + stride, ... last within [lo, hi]: rank r
    is at step first + r * stride, so no step needs listing."""
    low = max(0, -((first - lo) // stride))  # the first rank at or after lo
    high = min((last - first) // stride, (hi - first) // stride) if hi >= first else -1
    if high < low or samples <= 0:
        return []
    ranks = [low + index for index in sample_indices(high - low + 1, samples)]
    return _rows_at(conn, "history", run_id, [first + rank * stride for rank in ranks])


def _ranked_rows(
    conn: sqlite3.Connection,
    run_id: int,
    ranked: _Keyset,
    others: list[_Keyset],
    lo: int,
    hi: int,
    samples: int,
) -> list[str]:
    """Down-sampled rows with lo <= step <= hi of a keyset whose rows all have their rank
    (`ranked`) and of smaller keysets (`others`), without listing the ranked keyset's steps
    however irregular they are: the ranks of the window's ends take an index search each,
    the others' steps in the window are listed and each one's place among the ranked rows
    found by an index search, and the rows chosen are read by rank or by step."""
    low = 0 if lo <= ranked.first_step else _rank_at(conn, run_id, ranked.id, lo, "ASC")
    high: int | None = ranked.rows - 1
    if hi < ranked.last_step:
        high = _rank_at(conn, run_id, ranked.id, hi, "DESC")
    in_window = 0 if low is None or high is None else max(0, high - low + 1)
    low = low or 0
    listed = _listed_steps(conn, run_id, others, lo, hi)
    # The place of each listed step among all the rows: its index, plus the ranked rows
    # before it.
    places = []
    for index, after in enumerate(_ranks_at(conn, run_id, ranked.id, listed)):
        before = in_window if after is None else min(max(after - low, 0), in_window)
        places.append(index + before)
    ranks, steps = [], []
    passed = 0  # listed rows placed before the chosen one
    for place in sample_indices(in_window + len(listed), samples):
        while passed < len(places) and places[passed] < place:
            passed += 1
        if passed < len(places) and places[passed] == place:
            steps.append(listed[passed])
        else:
            ranks.append(low + place - passed)
    found = _keyed_rows(conn, "history", run_id, "ordinal", ranks, ranked.id)
    found += _keyed_rows(conn, "history", run_id, "step", steps)
    return [row for _, row in sorted(found)]


def _listed_steps(
    conn: sqlite3.Connection, run_id: int, keysets: list[_Keyset], lo: int, hi: int
) -> list[int]:
    """The steps of the keysets' rows with lo <= step <= hi, in order."""
    if not keysets:
        return []
    return _positions(conn, "step", _BY_KEYSET, *_in_keysets(run_id, keysets, lo, hi))


# Where the steps of a run's keysets are listed from: a few bytes a row, where the
# history table holds whole rows.
_BY_KEYSET = "history INDEXED BY history_keyset"


def _in_keysets(run_id: int, keysets: list[_Keyset], lo: int, hi: int) -> tuple[str, list[Any]]:
    """The condition (and its parameters) of the run's rows of the keysets with
    lo <= step <= hi."""
    ids = [keyset.id for keyset in keysets]
    where = f"run_id = ? AND keyset_id IN ({','.join('?' * len(ids))}) AND step >= ? AND step <= ?"
    return where, [run_id, *ids, lo, hi]


def _positions(
    conn: sqlite3.Connection, position: str, source: str, where: str, params: list[Any]
) -> list[int]:
    """The positions of the rows of `source` matching `where`, in order, in one value."""
    (listed,) = conn.execute(
        f"SELECT json_group_array({position}) FROM (SELECT {position}"
        f" FROM {source} WHERE {where} ORDER BY {position})",
        params,
    ).fetchone()
    return list(json.loads(listed))


def _ranks_at(
    conn: sqlite3.Connection, run_id: int, keyset_id: int, steps: Sequence[int]
) -> list[int | None]:
    """For each step, the rank of the keyset's first row at or after it (None: none),
    in one statement: an index search a step, without a round trip each."""
    ranks: dict[int, int | None] = {}
    for chunk in _chunks(steps, _STEPS_PER_QUERY):
        (found,) = conn.execute(
            "SELECT json_group_array(json_array(wanted.value, (SELECT ordinal"
            f" FROM {_BY_KEYSET} WHERE run_id = ? AND keyset_id = ?"
            " AND step >= wanted.value ORDER BY step LIMIT 1))) FROM json_each(?) AS wanted",
            (run_id, keyset_id, json.dumps(list(chunk))),
        ).fetchone()
        ranks.update((step, rank) for step, rank in json.loads(found))
    return [ranks[step] for step in steps]


def _rank_at(
    conn: sqlite3.Connection, run_id: int, keyset_id: int, step: int, direction: str
) -> int | None:
    """The rank of the keyset's first row at or after `step` (ASC), or its last row at or
    before it (DESC); None when there is none."""
    bound = ">=" if direction == "ASC" else "<="
    row = conn.execute(
        f"SELECT ordinal FROM {_BY_KEYSET} WHERE run_id = ?"
        f" AND keyset_id = ? AND step {bound} ? ORDER BY step {direction} LIMIT 1",
        (run_id, keyset_id, step),
    ).fetchone()
    return None if row is None else int(row[0])


def history_rows(
    conn: sqlite3.Connection,
    run_id: int,
    min_step: int | None,
    max_step: int | None,
    samples: int | None,
) -> list[str]:
    """JSON rows with min_step <= _step < max_step, at most `samples` of them."""
    if max_step is not None and max_step <= _MIN_STEP:
        return []
    return _history_texts(
        conn,
        run_id,
        _keysets(conn, run_id),
        _MIN_STEP if min_step is None else min_step,
        _MAX_STEP if max_step is None else max_step - 1,
        _samples(samples, DEFAULT_HISTORY_SAMPLES),
    )


def event_rows(conn: sqlite3.Connection, run_id: int, samples: int | None) -> list[str]:
    return _sampled_rows(
        conn, "events", "run_id = ?", [run_id], _samples(samples, DEFAULT_EVENTS_SAMPLES), "events"
    )


def parse_spec(text: str) -> tuple[list[str], int, int | None, int | None]:
    """(keys, samples, minStep, maxStep) of a sampledHistory spec; ValueError if malformed."""
    spec = loads_value(text, what="a sampledHistory spec")
    if not isinstance(spec, dict):
        raise ValueError("a sampledHistory spec must be a JSON object")
    keys = spec.get("keys") or []
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise ValueError("sampledHistory keys must be a list of strings")
    bounds: list[int | None] = []
    for name in ("samples", "minStep", "maxStep"):
        value = spec.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"sampledHistory {name} must be an integer")
        bounds.append(value)
    samples, min_step, max_step = bounds
    return keys, _samples(samples, DEFAULT_HISTORY_SAMPLES), min_step, max_step


def sampled_history(conn: sqlite3.Connection, run_id: int, spec: str) -> list[dict[str, Any]]:
    """Rows having every key of the spec, with only those keys (whole rows if none)."""
    keys, samples, min_step, max_step = parse_spec(spec)
    wanted = set(keys)
    matching = [keyset for keyset in _keysets(conn, run_id) if wanted <= keyset.keys]
    texts = _history_texts(
        conn,
        run_id,
        matching,
        _MIN_STEP if min_step is None else min_step,
        _MAX_STEP if max_step is None else max_step,
        samples,
    )
    rows: list[dict[str, Any]] = loads(f"[{','.join(texts)}]")  # one parse, not one a row
    if not keys:
        return rows
    return [{key: row[key] for key in keys} for row in rows]


def history_keys(conn: sqlite3.Connection, runs: Mapping[int, int]) -> dict[int, dict[str, Any]]:
    """`historyKeys` of several runs in one query: run id -> {"lastStep", "keys"}, where
    `runs` maps each run id to its last step."""
    found: dict[int, dict[str, Any]] = {
        run_id: {"lastStep": last_step, "keys": {}} for run_id, last_step in runs.items()
    }
    for chunk in _chunks(list(runs), _STEPS_PER_QUERY):
        for run_id, key, kind, count in conn.execute(
            "SELECT run_id, key, type, count FROM history_key_types"
            f" WHERE run_id IN ({','.join('?' * len(chunk))}) ORDER BY run_id, key, type",
            chunk,
        ):
            keys = found[run_id]["keys"]
            keys.setdefault(key, {"typeCounts": []})["typeCounts"].append(
                {"type": kind, "count": count}
            )
    return found


def tail_rows(conn: sqlite3.Connection, table: str, run_id: int, count: int) -> list[str]:
    """The last `count` rows of "history" or "events", oldest first."""
    position = _POSITION[table]
    rows = conn.execute(
        f"SELECT row FROM {table} WHERE run_id = ? ORDER BY {position} DESC LIMIT ?",
        (run_id, count),
    ).fetchall()
    return [row for (row,) in reversed(rows)]
