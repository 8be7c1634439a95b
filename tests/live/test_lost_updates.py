"""Concurrent writers lose nothing when the server merges change sets (MERGE_RUN_CHANGES),
and the client falls back to replaying them onto a fresh read when it does not."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from runsapi._sync.api import Api
from runsapi.server import MERGE_RUN_CHANGES, SERVER_FEATURES, LocalServer
from tests.live.conftest import FAST_RETRIES, PROJECT, SCRATCH, second_api
from tests.support.counting import CountingTransport
from tests.support.writers import Workload


def test_concurrent_writers_on_two_apis_lose_no_set_and_no_deletion(
    api: Api, server: LocalServer, transport: CountingTransport
) -> None:
    workload = Workload(threads=8, iterations=25)
    path = api.create_run(project=SCRATCH).path_str
    workload.prepare(api, path)
    with second_api(server) as other:
        workload.write([api, other], path)
    assert workload.lost(api, path) == 0
    # Asked once for all of this Api's threads and writes; every write was a merge.
    assert transport.operations["ServerFeaturesQuery"] == 1
    assert transport.operations["MergeRunChanges"] == 1 + 4 * 25
    assert transport.operations["UpdateRun"] == 0


def test_concurrent_summary_updates_from_held_runs_keep_every_key(
    api: Api, server: LocalServer
) -> None:
    """Each thread keeps one Run object (so its copy is stale) and saves through
    `summary.update()`, top-level and nested keys alike."""
    threads, iterations = 8, 10
    path = api.create_run(project=SCRATCH).path_str
    api.run(path).summary.update({"nested": {}})
    barrier = threading.Barrier(threads)

    def writer(t: int) -> None:
        run = api.run(path)
        barrier.wait()
        for i in range(iterations):
            run.summary["nested"][f"{t}_{i}"] = i
            run.summary.update({f"top{t}_{i}": i})

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(writer, range(threads)))
    keys = [f"{t}_{i}" for t in range(threads) for i in range(iterations)]
    expected = {f"top{key}": int(key.split("_")[1]) for key in keys}
    expected["nested"] = {key: int(key.split("_")[1]) for key in keys}
    assert api.run(path).summary.to_dict() == expected


def test_reading_asks_nothing_and_copies_share_the_answer(
    api: Api, transport: CountingTransport
) -> None:
    run = api.run(api.create_run(project=SCRATCH).path_str)
    for listed in api.runs(PROJECT):
        listed.summary.get("loss")
    run.notes = "text fields need no merge"
    run.update()
    assert "ServerFeaturesQuery" not in transport.operations
    run.summary.update({"a": 1})
    api.with_options(timeout=30).run(run.path_str).summary.update({"b": 2})
    assert transport.operations["ServerFeaturesQuery"] == 1
    assert transport.operations["MergeRunChanges"] == 2


def test_a_failed_feature_query_means_replaying(
    api: Api, server: LocalServer, transport: CountingTransport
) -> None:
    run = api.run(api.create_run(project=SCRATCH).path_str)
    server.inject_fault(
        "status", count=FAST_RETRIES.max_retries + 1, status=500, operation="ServerFeaturesQuery"
    )
    run.summary.update({"a": 1})
    run.config["c"] = 1
    run.update()
    assert api.run(run.path_str).summary["a"] == 1 and api.run(run.path_str).config["c"] == 1
    assert transport.operations["ServerFeaturesQuery"] == FAST_RETRIES.max_retries + 1
    assert transport.operations["UpdateRun"] == 2
    assert "MergeRunChanges" not in transport.operations


@pytest.fixture(scope="module")
def without_merge() -> Iterator[LocalServer]:
    with LocalServer(features=SERVER_FEATURES - {MERGE_RUN_CHANGES}) as running:
        yield running


def test_without_the_feature_changes_are_replayed_with_the_old_mutation(
    without_merge: LocalServer,
) -> None:
    without_merge.reset_request_counts()
    with second_api(without_merge) as mine, second_api(without_merge) as theirs:
        path = mine.create_run(project=SCRATCH, config={"a": 0, "b": 0}).path_str
        mine.run(path).summary.update({"shared": 1, "nested": {"x": 1}})
        first, second = mine.run(path), theirs.run(path)
        first.summary["nested"]["y"] = 2
        first.config["a"] = 1
        second.summary["theirs"] = "b"
        del second.summary["shared"]
        del second.config["b"]
        first.update()
        second.update()
        stored = mine.run(path)
        assert stored.summary.to_dict() == {"theirs": "b", "nested": {"x": 1, "y": 2}}
        assert stored.config.to_dict() == {"a": 1}
    counts = without_merge.request_counts
    # Each Api asked once; each of the 3 saves re-read the run, then wrote it whole.
    assert counts["ServerFeaturesQuery"] == 2
    assert counts["UpdateRun"] == 3
    assert counts["GetRunFull"] == 3 + 4  # the re-reads, and the 4 runs read above
    assert "MergeRunChanges" not in counts
