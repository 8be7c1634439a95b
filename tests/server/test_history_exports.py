"""Parquet history exports and `Run.parquetHistory`, over HTTP with the official client's
operation text: what an export holds and how (types, JSON columns, bounded files), when a
run is exported (over, asked, rows appended later), `liveData`, and the signed storage
URLs the files are read through (no key, HEAD, byte ranges, faults)."""

from __future__ import annotations

import io
import itertools
import json
import math
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from runsapi.server import LocalServer, SeedSpec, _history_exports, _parquet_history, append_history
from tests.server.conftest import Client

# wandb-core's text (wire reference, base doc §1.10).
PARQUET_HISTORY = "query RunParquetHistory ($entity: String!, $project: String!, $runName: String!, $liveKeys: [String!]!) { project(name: $project, entityName: $entity) { run(name: $runName) { parquetHistory(liveKeys: $liveKeys) { parquetUrls liveData } } } }"
HISTORY = 'query ($name: String!) { project(name: "exports", entityName: "demo") { run(name: $name) { history(samples: 100000) } } }'
CREATE = 'mutation ($name: String!) { upsertBucket(input: {entityName: "demo", modelName: "exports", name: $name}) { bucket { id } } }'

_names = itertools.count()


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(seed=SeedSpec(runs=2, steps=5, events=1, files=1, seed=4), faults=True) as s:
        yield s


@pytest.fixture
def client(server: LocalServer) -> Iterator[Client]:
    server.clear_faults()
    with httpx.Client(timeout=30) as http:
        yield Client(server, http)


def new_run(client: Client, rows: list[dict[str, Any]], state: str = "finished") -> str:
    name = f"exported{next(_names)}"
    client.data(CREATE, {"name": name})
    append(client.server, name, rows)
    set_state(client.server, name, state)
    return name


def _row_id(server: LocalServer, name: str) -> int:
    conn = server.store.connection()
    (row_id,) = conn.execute("SELECT id FROM runs WHERE name = ?", (name,)).fetchone()
    return int(row_id)


def append(server: LocalServer, name: str, rows: list[dict[str, Any]]) -> None:
    with server.store.write() as conn:
        append_history(conn, _row_id(server, name), rows)


def set_state(server: LocalServer, name: str, state: str) -> None:
    with server.store.write() as conn:
        conn.execute("UPDATE runs SET state = ? WHERE name = ?", (state, name))


def parquet_history(client: Client, name: str, live_keys: list[str] | None = None) -> Any:
    variables = {
        "entity": "demo",
        "project": "exports",
        "runName": name,
        "liveKeys": ["_step"] if live_keys is None else live_keys,
    }
    return client.data(PARQUET_HISTORY, variables)["project"]["run"]["parquetHistory"]


def stored(client: Client, name: str) -> list[dict[str, Any]]:
    return [
        json.loads(row) for row in client.data(HISTORY, {"name": name})["project"]["run"]["history"]
    ]


def table(client: Client, url: str) -> pa.Table:
    response = client.http.get(url)  # no API key: the URL is signed
    assert response.status_code == 200, response.text
    return pq.read_table(io.BytesIO(response.content))


def rows_of(exported: pa.Table) -> list[dict[str, Any]]:
    """An export's rows as logged: nulls dropped, JSON columns decoded."""
    json_columns = {
        field.name
        for field in exported.schema
        if (field.metadata or {}).get(_parquet_history.JSON_FIELD[0])
        == _parquet_history.JSON_FIELD[1]
    }
    return [
        {
            key: json.loads(value) if key in json_columns else value
            for key, value in row.items()
            if value is not None
        }
        for row in exported.to_pylist()
    ]


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def dense(steps: range) -> list[dict[str, Any]]:
    return [
        {"_step": s, "loss": 1 / (s + 1), "acc": s / 100, **({"eval": s} if s % 10 == 0 else {})}
        for s in steps
    ]


def test_a_finished_runs_export_is_its_history_one_column_per_key(client: Client) -> None:
    name = new_run(client, dense(range(50)))
    answer = parquet_history(client, name)
    assert answer["liveData"] == [] and len(answer["parquetUrls"]) == 1
    exported = table(client, answer["parquetUrls"][0])
    assert exported.schema.names == ["_step", "loss", "acc", "eval"]
    assert exported.schema.field("_step").type == pa.int64()
    assert exported.column("_step").to_pylist() == list(range(50)), "ascending"
    assert exported.schema.field("eval").type == pa.int64()
    assert exported.column("eval").null_count == 45, "null where a row lacks the key"
    assert rows_of(exported) == stored(client, name)


def test_every_logged_value_comes_back_with_its_type(client: Client) -> None:
    logged: list[dict[str, Any]] = [
        {
            "_step": 0,
            "f": 1.5,
            "i": 1,
            "b": True,
            "s": "x",
            "mixed": 1,
            "obj": {"a": [1, math.nan]},
            "nul": None,
            "big": 2**70,
        },
        {
            "_step": 1,
            "f": math.nan,
            "i": -(2**63),
            "b": False,
            "s": "NaN",
            "mixed": 2.5,
            "obj": [1, "two"],
            "big": 3,
        },
        {"_step": 2, "f": math.inf, "s": "", "mixed": "three", "nul": 1},
        {"_step": 3, "f": -math.inf, "i": 2**63 - 1, "list": [math.inf]},
    ]
    name = new_run(client, logged)
    exported = table(client, parquet_history(client, name)["parquetUrls"][0])
    types = {field.name: field.type for field in exported.schema}
    assert types["f"] == pa.float64() and types["i"] == pa.int64() and types["b"] == pa.bool_()
    assert types["s"] == pa.string()
    json_marked = {
        field.name for field in exported.schema if field.metadata == {b"runsapi": b"json"}
    }
    assert json_marked == {"mixed", "obj", "nul", "big", "list"}, "any other key is JSON text"
    back = rows_of(exported)
    assert all(same(a, b) for a, b in zip(back, stored(client, name), strict=True))


def test_a_running_run_is_all_live_and_live_data_has_the_asked_keys(client: Client) -> None:
    name = new_run(client, dense(range(12)), state="running")
    answer = parquet_history(client, name)
    assert answer == {"parquetUrls": [], "liveData": [{"_step": s} for s in range(12)]}
    keyed = parquet_history(client, name, ["_step", "eval"])["liveData"]
    assert keyed == [{"_step": s, **({"eval": s} if s % 10 == 0 else {})} for s in range(12)]
    conn = client.server.store.connection()
    (count,) = conn.execute(
        "SELECT count(*) FROM history_exports WHERE run_id = ?", (_row_id(client.server, name),)
    ).fetchone()
    assert count == 0, "a running run is not exported"


def test_rows_appended_later_are_exported_as_new_parts_and_old_parts_stay(client: Client) -> None:
    server = client.server
    name = new_run(client, dense(range(30)))
    (first,) = parquet_history(client, name)["parquetUrls"]
    before = client.http.get(first).content
    set_state(server, name, "running")  # resumed
    append(server, name, dense(range(30, 45)))
    resumed = parquet_history(client, name)
    assert [urlsplit(url).path for url in resumed["parquetUrls"]] == [urlsplit(first).path]
    assert resumed["liveData"] == [{"_step": s} for s in range(30, 45)], "the rows after it"
    set_state(server, name, "finished")
    again = parquet_history(client, name)
    assert again["liveData"] == []
    old, new = again["parquetUrls"]
    assert urlsplit(old).path == urlsplit(first).path and client.http.get(old).content == before
    assert table(client, new).column("_step").to_pylist() == list(range(30, 45))


def test_a_run_finished_through_the_file_stream_is_exported_when_asked(client: Client) -> None:
    name = f"streamed{next(_names)}"
    client.data(CREATE, {"name": name})
    lines = [json.dumps(row) for row in dense(range(20))]
    body = {
        "files": {"wandb-history.jsonl": {"offset": 0, "content": lines}},
        "complete": True,
        "exitcode": 0,
    }
    response = client.http.post(
        f"{client.server.base_url}/files/demo/exports/{name}/file_stream",
        json=body,
        auth=("api", client.server.api_key),
    )
    assert response.status_code == 200, response.text
    (url,) = parquet_history(client, name)["parquetUrls"]
    assert rows_of(table(client, url)) == stored(client, name)


def test_a_long_history_is_several_bounded_files(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_history_exports, "HISTORY_EXPORT_PART_BYTES", 2_000)
    logged = dense(range(400))
    name = new_run(client, logged)
    urls = parquet_history(client, name)["parquetUrls"]
    assert len(urls) > 5
    parts = [table(client, url) for url in urls]
    steps = [part.column("_step").to_pylist() for part in parts]
    assert list(itertools.chain.from_iterable(steps)) == list(range(400)), "in step order"
    longest_row = max(len(json.dumps(row, separators=(",", ":"))) for row in logged)
    for part in rows_of_parts(parts):
        text = sum(len(json.dumps(row, separators=(",", ":"))) for row in part)
        assert text < 2_000 + longest_row


def rows_of_parts(parts: list[pa.Table]) -> list[list[dict[str, Any]]]:
    return [rows_of(part) for part in parts]


def test_concurrent_asks_export_once(client: Client) -> None:
    name = new_run(client, dense(range(300)))
    answers: list[list[str]] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            with httpx.Client(timeout=30) as http:
                answers.append(parquet_history(Client(client.server, http), name)["parquetUrls"])
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({tuple(urlsplit(url).path for url in urls) for urls in answers}) == 1
    conn = client.server.store.connection()
    (count,) = conn.execute(
        "SELECT count(*) FROM history_exports WHERE run_id = ?", (_row_id(client.server, name),)
    ).fetchone()
    assert count == 1


def test_a_failed_export_leaves_no_file_and_is_tried_again(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = new_run(client, dense(range(10)))
    directory = client.server.store.files_dir / "history"
    before = set(directory.glob("*")) if directory.exists() else set()

    monkeypatch.setattr(_history_exports, "HISTORY_EXPORT_PART_BYTES", 100)  # 4 parts
    writes = itertools.count()
    write = _parquet_history.ParquetFile.write

    def broken(file: _parquet_history.ParquetFile, rows: Any) -> None:
        if next(writes) == 2:  # the third part: the two written before are removed too
            raise OSError("disk full")
        write(file, rows)

    monkeypatch.setattr(_parquet_history.ParquetFile, "write", broken)
    assert "disk full" in " ".join(
        client.errors(
            PARQUET_HISTORY,
            {"entity": "demo", "project": "exports", "runName": name, "liveKeys": ["_step"]},
        )
    )
    assert set(directory.glob("*")) == before, "no file, not even a temporary one"
    monkeypatch.undo()
    assert len(parquet_history(client, name)["parquetUrls"]) == 1


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return parts._replace(query=urlencode(query)).geturl()


def test_the_files_are_read_through_signed_urls_whole_or_by_range(client: Client) -> None:
    name = new_run(client, dense(range(40)))
    (url,) = parquet_history(client, name)["parquetUrls"]
    whole = client.http.get(url).content
    assert whole[:4] == b"PAR1" == whole[-4:]
    head = client.http.head(url)
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(whole)
    assert head.headers["accept-ranges"] == "bytes" and head.content == b""
    ranged = client.http.get(url, headers={"Range": "bytes=4-99"})
    assert ranged.status_code == 206 and ranged.content == whole[4:100]
    assert ranged.headers["content-range"] == f"bytes 4-99/{len(whole)}"
    assert client.http.get(url, headers={"Range": "bytes=-8"}).content == whole[-8:]
    assert client.http.get(url, headers={"Range": f"bytes={len(whole)}-"}).status_code == 416
    assert client.http.get(url, headers={"Range": "bytes=9-3"}).content == whole, "ignored"
    assert client.http.get(_with(url, signature="0" * 64)).status_code == 403
    assert client.http.get(_with(url, expires="1")).status_code == 403
    assert client.http.get(url.split("?")[0]).status_code == 403


def test_an_export_is_gone_with_its_run(client: Client) -> None:
    name = new_run(client, dense(range(5)))
    (url,) = parquet_history(client, name)["parquetUrls"]
    with client.server.store.write() as conn:
        conn.execute("DELETE FROM runs WHERE name = ?", (name,))
    assert client.http.get(url).status_code == 404


def test_storage_faults_reach_the_export_route(client: Client) -> None:
    name = new_run(client, dense(range(5)))
    (url,) = parquet_history(client, name)["parquetUrls"]
    client.server.inject_fault("status", status=503)
    assert client.http.get(url).status_code == 503
    client.server.inject_fault("truncate")
    assert len(client.http.get(url).content) < len(client.http.get(url).content)
