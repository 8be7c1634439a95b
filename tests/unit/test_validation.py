"""Bad arguments to the public API raise a typed UsageError naming them, before any request."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from runsapi import (
    Api,
    F,
    InvalidFilterError,
    InvalidPathError,
    UsageError,
)
from runsapi._filters import MAX_FILTER_DEPTH
from tests.support.offline import API_KEY, offline_api, refuse_requests


@pytest.fixture
def api() -> Iterator[Api]:
    with offline_api() as client:
        yield client


def nested_not(levels: int) -> dict[str, Any]:
    """`{"$not": {"$not": ... {"state": "finished"}}}`: `levels` + 1 dicts deep."""
    document: dict[str, Any] = {"state": "finished"}
    for _ in range(levels):
        document = {"$not": document}
    return document


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": "10"}, "^timeout must be a positive number of seconds"),
        ({"timeout": math.nan}, "^timeout must be a positive number of seconds"),
        ({"timeout": -5}, "^timeout must be a positive number of seconds"),
        ({"api_key": 12345}, "^api_key must be a string or None"),
        ({"max_retries": "3"}, "^max_retries must be a non-negative integer"),
        ({"max_retries": -1}, "^max_retries must be a non-negative integer"),
        ({"overrides": {"base_url": "http://[::1"}}, "^base_url must be an http"),
        ({"overrides": {"base_url": "ws://127.0.0.1:1"}}, "^base_url must be an http"),
    ],
)
def test_api_refuses_bad_settings(kwargs: dict[str, Any], message: str) -> None:
    kwargs = {"api_key": API_KEY, **kwargs}
    with pytest.raises(UsageError, match=message):
        Api(transport=httpx.MockTransport(refuse_requests), **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": "10"}, "^timeout must be a positive number of seconds"),
        ({"timeout": math.inf}, "^timeout must be a positive number of seconds"),
        ({"max_retries": "3"}, "^max_retries must be a non-negative integer"),
        ({"max_retries": -2}, "^max_retries must be a non-negative integer"),
    ],
)
def test_with_options_applies_the_same_checks(
    api: Api, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        api.with_options(**kwargs)


@pytest.mark.parametrize("path", [None, 42, b"e/p"])
def test_from_path_needs_a_string(api: Api, path: object) -> None:
    with pytest.raises(InvalidPathError, match="path must be a string"):
        api.from_path(path)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("e/p/sweeps/", "invalid sweep path"),
        ("e/p/reports/My-Report", "invalid report path"),
        ("e/p/runs/", "invalid run path"),
        ("e/p/x/r", "invalid run path"),
    ],
)
def test_from_path_refuses_malformed_paths_of_each_kind(api: Api, path: str, message: str) -> None:
    with pytest.raises(InvalidPathError, match=f"^{message}"):
        api.from_path(path)


@pytest.mark.parametrize("run_id", ["a/b", "x:y", " lead", "trail ", "", "e/p/runs/r", 7])
def test_create_run_refuses_ids_no_path_could_name(api: Api, run_id: Any) -> None:
    with pytest.raises(InvalidPathError, match="run_id"):
        api.create_run(run_id)


@pytest.mark.parametrize("per_page", [2**31, 2**63, 0, -1, 1.0, "50", None])
def test_runs_page_size_is_a_graphql_int(api: Api, per_page: Any) -> None:
    with pytest.raises(
        UsageError, match=r"^per_page must be a positive integer, at most 2147483647"
    ):
        api.runs("e/p", per_page=per_page)
    assert api.runs("e/p", per_page=2**31 - 1).per_page == 2**31 - 1


def test_a_filter_nested_a_thousand_deep_is_refused(api: Api) -> None:
    with pytest.raises(InvalidFilterError, match=f"at most {MAX_FILTER_DEPTH} deep"):
        api.runs("e/p", filters=nested_not(1000))


def test_a_filter_at_the_maximum_depth_is_accepted(api: Api) -> None:
    deepest = nested_not(MAX_FILTER_DEPTH - 1)
    assert api.runs("e/p", filters=deepest).filters == deepest
    with pytest.raises(InvalidFilterError, match=f"at most {MAX_FILTER_DEPTH} deep"):
        api.runs("e/p", filters=nested_not(MAX_FILTER_DEPTH))


def test_a_filter_containing_itself_is_refused(api: Api) -> None:
    looped: dict[str, Any] = {"state": "finished"}
    looped["$and"] = [looped]
    with pytest.raises(InvalidFilterError, match="deep"):
        api.runs("e/p", filters=looped)


def test_deep_values_count_too(api: Api) -> None:
    value: list[Any] = []
    for _ in range(1000):
        value = [value]
    with pytest.raises(InvalidFilterError, match="deep"):
        api.runs("e/p", filters={"config.x": {"$in": value}})


def test_built_filters_too_deep_are_refused_as_they_are_built() -> None:
    built = F.state == "finished"
    with pytest.raises(InvalidFilterError, match="deep"):
        for index in range(1000):
            built = (built | (F.config("i") == index)) & (F.config("j") == index)
