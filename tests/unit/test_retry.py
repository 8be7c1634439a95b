"""RetryPolicy: the retry decision and the retry delay."""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from runsapi import NO_RETRIES, RetryPolicy, UsageError
from runsapi._responses import parse_retry_after

GRAPHQL_ERROR_BODY = {"errors": [{"message": "invalid filter"}], "data": None}


def response(
    status: int, headers: dict[str, str] | None = None, json: object = None
) -> httpx.Response:
    return httpx.Response(status, headers=headers, json=json if json is not None else {})


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 599])
def test_queries_retry_transient_statuses(status: int) -> None:
    assert RetryPolicy().should_retry(response(status), retries_done=0, idempotent=True)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 501, 505])
def test_client_errors_are_never_retried(status: int) -> None:
    assert not RetryPolicy().should_retry(response(status), retries_done=0, idempotent=True)


def test_error_status_carrying_graphql_errors_is_not_retried() -> None:
    assert not RetryPolicy().should_retry(
        response(500, json=GRAPHQL_ERROR_BODY), retries_done=0, idempotent=True
    )


def test_non_graphql_errors_list_stays_retryable() -> None:
    # W&B's gateway answers `{"errors": ["Server down"]}`: not a GraphQL error object.
    assert RetryPolicy().should_retry(
        response(500, json={"errors": ["Server down"]}), retries_done=0, idempotent=True
    )


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow connect"),
        httpx.ReadTimeout("slow read"),
        httpx.RemoteProtocolError("dropped"),
        httpx.ReadError("reset"),
        httpx.PoolTimeout("pool"),
    ],
)
def test_queries_retry_transport_errors(error: Exception) -> None:
    assert RetryPolicy().should_retry(error, retries_done=0, idempotent=True)


@pytest.mark.parametrize(
    ("outcome", "retried"),
    [
        (httpx.ConnectError("refused"), True),
        (httpx.ConnectTimeout("slow connect"), True),
        (httpx.ReadTimeout("slow read"), False),
        (httpx.RemoteProtocolError("dropped"), False),
        (response(429), True),
        (response(503), False),
        (response(500), False),
    ],
)
def test_mutations_retry_only_when_surely_not_applied(outcome: object, retried: bool) -> None:
    assert (
        RetryPolicy().should_retry(outcome, retries_done=0, idempotent=False)  # type: ignore[arg-type]
        is retried
    )


def test_attempts_are_bounded() -> None:
    policy = RetryPolicy(max_retries=2)
    assert policy.should_retry(response(503), retries_done=1, idempotent=True)
    assert not policy.should_retry(response(503), retries_done=2, idempotent=True)
    assert not NO_RETRIES.should_retry(response(503), retries_done=0, idempotent=True)


def test_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    policy = RetryPolicy(max_retry_after=10)
    assert policy.should_retry(
        response(429, {"Retry-After": "10"}), retries_done=0, idempotent=True
    )
    assert not policy.should_retry(
        response(429, {"Retry-After": "11"}), retries_done=0, idempotent=True
    )


def test_delay_backs_off_exponentially_with_jitter_below_the_cap() -> None:
    policy = RetryPolicy(initial_delay=1.0, max_delay=5.0, jitter=0.25)
    for retries_done, base in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 5.0), (10, 5.0)]:
        for _ in range(50):
            assert base * 0.75 <= policy.delay(retries_done) <= base


def test_delay_follows_retry_after() -> None:
    policy = RetryPolicy(max_retry_after=30)
    assert policy.delay(0, retry_after=7.5) == 7.5
    assert policy.delay(3, retry_after=0.0) == 0.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"Retry-After": "2.5"}, 2.5),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"Retry-After": "1e300"}, 1e300),  # too long to wait for: RetryPolicy raises it
        ({"Retry-After": "-4"}, None),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "inf"}, None),
        ({"Retry-After": "-Infinity"}, None),
        ({"Retry-After": "1e400"}, None),
        ({"retry-after-ms": "nan", "Retry-After": "2"}, 2.0),
        ({"retry-after-ms": "-1"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(httpx.Headers(headers)) == expected


@given(st.text(), st.sampled_from(["retry-after", "retry-after-ms"]))
def test_parse_retry_after_never_raises(value: str, header: str) -> None:
    seconds = parse_retry_after({header: value})
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)


@pytest.mark.parametrize(
    "date",
    ["Mon, 01 Jan 99999 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 +2359", "Thu, 32 Jan 2025 x"],
)
def test_parse_retry_after_refuses_impossible_dates(date: str) -> None:
    seconds = parse_retry_after({"retry-after": date})
    assert seconds is None or seconds > 60, "unreadable, or far off: raised at once"


def test_parse_retry_after_http_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    parsed = parse_retry_after(httpx.Headers({"Retry-After": when}))
    assert parsed is not None
    assert 25 <= parsed <= 31
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert parse_retry_after(httpx.Headers({"Retry-After": past})) == 0.0


@pytest.fixture
def local_time_14_hours_ahead(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC-14")  # POSIX spelling of UTC+14
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_time_14_hours_ahead")
def test_parse_retry_after_http_date_without_a_zone_is_gmt() -> None:
    # email.utils gives a naive datetime for "-0000"; read as local time it is 14 h off.
    gmt = email.utils.formatdate(time.time() + 30, usegmt=True)
    unzoned = gmt.replace("GMT", "-0000")
    parsed = parse_retry_after({"retry-after": unzoned})
    assert parsed is not None
    assert 25 <= parsed <= 31


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_retries": -1},
        {"max_retries": "3"},
        {"max_retries": 2.0},
        {"max_retries": True},
        {"max_retries": 2**31},
        {"deadline": 0},
        {"deadline": -1.0},
        {"deadline": math.nan},
        {"deadline": math.inf},
        {"deadline": "120"},
        {"initial_delay": -0.5},
        {"initial_delay": math.nan},
        {"max_delay": math.inf},
        {"max_delay": "8"},
        {"max_retry_after": math.nan},
        {"max_retry_after": -1},
        {"max_retry_after": 10**400},
        {"jitter": 1.0},
        {"jitter": -0.1},
        {"jitter": math.nan},
        {"jitter": "0.25"},
        {"jitter": False},
    ],
)
def test_invalid_policies_are_refused(kwargs: dict[str, object]) -> None:
    name = next(iter(kwargs))
    with pytest.raises(UsageError, match=rf"^{name} must be a") as caught:
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
    assert repr(kwargs[name])[:20] in str(caught.value), "the message quotes the value"


def test_zero_delays_and_no_deadline_are_valid() -> None:
    policy = RetryPolicy(max_retries=0, deadline=None, initial_delay=0, max_delay=0, jitter=0)
    assert policy.delay(0) == 0.0


def test_backoff_after_very_many_retries_stays_at_the_cap() -> None:
    policy = RetryPolicy(max_retries=5000, deadline=None, max_delay=8.0, jitter=0.0)
    assert policy.delay(4999) == 8.0
