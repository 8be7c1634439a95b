"""Every public read operation through every injected fault.

Each operation is first run without faults (its baseline answer and request count); then,
for each fault, the fault is queued for the operation's first request and the operation
runs again. Transient faults (503, 429 with Retry-After, a hang past the timeout, a
dropped connection) must give exactly the baseline answer, no row repeated or missing;
permanent ones (a 500 on every attempt, a truncated body) must raise their typed error.
Either way the number of requests is bounded: the baseline's plus the retries of the one
faulted request.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import runsapi
from runsapi import Api
from runsapi._sync.files import File
from runsapi.server import LocalServer, SeedSpec
from tests.live.conftest import FAST_RETRIES, fast_api
from tests.support.counting import CountingTransport

PROJECT = "demo/demo-project"
SEED = SeedSpec(runs=12, steps=400, events=5, files=3, seed=11)
TIMEOUT = 1.0  # seconds per attempt; a "hang" fault holds its answer longer than this
HANG = 3.0


@dataclass(frozen=True)
class Operation:
    """`prepare` runs without faults and returns what `act` needs; `act` is faulted and
    returns a plain, comparable answer."""

    prepare: Callable[[Api], Any]
    act: Callable[[Api, Any, Path], Any]

    def answer(self, api: Api, handle: Any, directory: Path) -> str:
        """What `act` returns, as text: NaN equals NaN there, unlike in Python."""
        return json.dumps(self.act(api, handle, directory), sort_keys=True, default=str)


def _first_run(api: Api) -> runsapi.Run:
    return api.runs(PROJECT, order="+created_at", per_page=1)[0]


def _listing(api: Api, _: Any, __: Path) -> Any:
    return [(run.id, run.name, run.state, tuple(run.tags)) for run in api.runs(PROJECT, per_page=5)]


def _full_run(api: Api, path: str, _: Path) -> Any:
    run = api.run(path)
    return run.id, dict(run.config), dict(run.summary)


def _lazy_table(api: Api, _: Any, __: Path) -> Any:
    table = api.runs(PROJECT, per_page=5).to_pandas(progress=False)
    return table.to_dict(orient="list")


def _sampled(_: Api, run: runsapi.Run, __: Path) -> Any:
    return run.history(samples=50, keys=["loss"], pandas=False)


def _scan(_: Api, run: runsapi.Run, __: Path) -> Any:
    return list(run.scan_history(keys=["loss"], page_size=64))


def _finished_run(api: Api) -> runsapi.Run:
    return api.runs(PROJECT, filters={"state": "finished"}, per_page=1)[0]


def _exported_scan(_: Api, run: runsapi.Run, __: Path) -> Any:
    # use_cache=False: the export file is downloaded by every scan, the baseline's too
    return list(run.scan_history(page_size=64, use_cache=False))


def _histories(api: Api, _: Any, __: Path) -> Any:
    return api.runs(PROJECT, per_page=5).histories(keys=["loss"], samples=20, format="default")


def _files(_: Api, run: runsapi.Run, __: Path) -> Any:
    return [(file.name, file.size, file.md5) for file in run.files(per_page=2)]


def _artifacts(_: Api, run: runsapi.Run, __: Path) -> Any:
    return [(artifact.name, artifact.digest) for artifact in run.logged_artifacts()]


def _download(_: Api, file: File, directory: Path) -> Any:
    return file.download(root=directory).read_bytes()


OPERATIONS = {
    "listing": Operation(lambda api: None, _listing),
    "full run": Operation(lambda api: _first_run(api).path_str, _full_run),
    "runs table": Operation(lambda api: None, _lazy_table),
    "sampled history": Operation(_first_run, _sampled),
    "scan": Operation(_first_run, _scan),
    "scan of parquet exports": Operation(_finished_run, _exported_scan),
    "multi-run histories": Operation(lambda api: None, _histories),
    "files": Operation(_first_run, _files),
    "artifacts": Operation(_first_run, _artifacts),
    "download": Operation(lambda api: next(iter(_first_run(api).files())), _download),
}

# fault keyword arguments for LocalServer.inject_fault -> None (the same answer) or the
# typed error the operation must raise
FAULTS: dict[str, tuple[dict[str, Any], type[Exception] | None]] = {
    "503 once": ({"mode": "status", "status": 503, "retry_after": "0"}, None),
    "429 with Retry-After": ({"mode": "status", "status": 429, "retry_after": "0"}, None),
    "hang": ({"mode": "hang", "seconds": HANG}, None),
    "drop": ({"mode": "drop"}, None),
    "500 always": ({"mode": "status", "status": 500, "count": 100}, runsapi.InternalServerError),
    "truncated body": ({"mode": "truncate"}, runsapi.ResponseValidationError),
}


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(seed=SEED, faults=True) as running:
        yield running


@pytest.fixture
def transport() -> CountingTransport:
    return CountingTransport()


@pytest.fixture
def api(server: LocalServer, transport: CountingTransport) -> Iterator[Api]:
    server.clear_faults()
    with fast_api(server, transport, timeout=TIMEOUT) as client:
        yield client
    server.clear_faults()


def _baseline(
    name: str, server: LocalServer, tmp_path: Path
) -> tuple[Any, int]:  # the answer and its request count, without faults
    transport = CountingTransport()
    with Api(
        {"base_url": server.base_url, "entity": "demo"},
        api_key=server.api_key,
        transport=transport,
    ) as api:
        operation = OPERATIONS[name]
        handle = operation.prepare(api)
        transport.reset()
        return operation.answer(api, handle, tmp_path / "baseline"), transport.requests


@pytest.mark.parametrize(("operation", "fault"), list(itertools.product(OPERATIONS, FAULTS)))
def test_same_answer_or_typed_error_in_bounded_requests(
    operation: str,
    fault: str,
    api: Api,
    server: LocalServer,
    transport: CountingTransport,
    tmp_path: Path,
) -> None:
    expected, baseline_requests = _baseline(operation, server, tmp_path)
    assert len(expected) > 100, "the baseline must have something to lose"
    handle = OPERATIONS[operation].prepare(api)
    transport.reset()
    options, error = FAULTS[fault]
    server.inject_fault(**options)
    if error is None:
        assert OPERATIONS[operation].answer(api, handle, tmp_path / "faulted") == expected
        assert transport.requests == baseline_requests + 1  # the faulted request, once more
    else:
        with pytest.raises(error):
            OPERATIONS[operation].act(api, handle, tmp_path / "faulted")
        assert transport.requests <= baseline_requests + FAST_RETRIES.max_retries
    assert not list((tmp_path / "faulted").glob("**/*.part")), "no partial download is left"


def test_a_scan_resumes_after_a_failed_page_without_repeating_or_losing_rows(
    api: Api, server: LocalServer
) -> None:
    run = _first_run(api)
    expected = list(run.scan_history(page_size=64))
    scan = run.scan_history(page_size=64)
    rows = list(itertools.islice(scan, 100))  # into the second page
    server.inject_fault("status", status=500, count=100)
    with pytest.raises(runsapi.InternalServerError):
        rows.extend(scan)
    server.clear_faults()
    rows.extend(scan)  # the failed page again, then the rest
    assert json.dumps(rows) == json.dumps(expected)  # NaN equals NaN in JSON text
    assert len({row["_step"] for row in rows}) == len(rows)
