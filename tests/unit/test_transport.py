"""RetryingSender: the retry loop, its deadline, and API-key auth."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import httpx
import pytest

from runsapi import RetryPolicy
from runsapi._sync._transport import ApiKeyAuth, DeadlineExceeded, RetryingSender, build_http_client

API_KEY = "k" * 40
Outcome = httpx.Response | Exception


class FakeClock:
    """A clock that only moves when the sender sleeps (or a test advances it)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def scripted(outcomes: list[Outcome], seen: list[httpx.Request]) -> httpx.MockTransport:
    remaining: Iterator[Outcome] = iter(outcomes)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        outcome = next(remaining)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return httpx.MockTransport(handler)


def make_sender(
    outcomes: list[Outcome], policy: RetryPolicy | None = None
) -> tuple[RetryingSender, list[httpx.Request], FakeClock]:
    seen: list[httpx.Request] = []
    clock = FakeClock()
    client = build_http_client(
        base_url="http://127.0.0.1:1", api_key=API_KEY, transport=scripted(outcomes, seen)
    )
    sender = RetryingSender(
        client,
        policy or RetryPolicy(initial_delay=1.0, max_delay=8.0, jitter=0.0),
        sleep=clock.sleep,
        clock=clock,
    )
    return sender, seen, clock


def post() -> httpx.Request:
    return httpx.Request("POST", "http://127.0.0.1:1/graphql", json={"query": "{ viewer { id } }"})


@pytest.mark.parametrize("failures", [0, 1, 2, 4])
@pytest.mark.parametrize(
    "failure",
    [
        lambda: httpx.Response(503),
        lambda: httpx.Response(429),
        lambda: httpx.Response(408),
        lambda: httpx.ConnectError("refused"),
        lambda: httpx.ReadTimeout("slow"),
        lambda: httpx.RemoteProtocolError("dropped"),
    ],
)
def test_retries_then_succeeds(failures: int, failure: Callable[[], Outcome]) -> None:
    outcomes = [failure() for _ in range(failures)] + [httpx.Response(200, json={"data": {}})]
    sender, seen, clock = make_sender(outcomes)
    response = sender.send(post(), idempotent=True)
    assert response.status_code == 200
    assert len(seen) == failures + 1
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0][:failures]


def test_gives_up_after_max_retries_and_returns_the_last_response() -> None:
    sender, seen, _ = make_sender([httpx.Response(502)] * 10, RetryPolicy(max_retries=3))
    assert sender.send(post(), idempotent=True).status_code == 502
    assert len(seen) == 4


def test_gives_up_after_max_retries_and_raises_the_last_error() -> None:
    sender, seen, _ = make_sender([httpx.ConnectError("refused")] * 10, RetryPolicy(max_retries=2))
    with pytest.raises(httpx.ConnectError):
        sender.send(post(), idempotent=True)
    assert len(seen) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_sent_once(status: int) -> None:
    sender, seen, clock = make_sender([httpx.Response(status)] * 3)
    assert sender.send(post(), idempotent=True).status_code == status
    assert len(seen) == 1
    assert clock.sleeps == []


def test_graphql_errors_in_an_error_response_are_not_retried() -> None:
    body = {"errors": [{"message": "bad filter"}], "data": None}
    sender, seen, _ = make_sender([httpx.Response(500, json=body)] * 3)
    assert sender.send(post(), idempotent=True).status_code == 500
    assert len(seen) == 1


def test_retry_after_seconds_is_honoured() -> None:
    sender, _, clock = make_sender(
        [httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={})]
    )
    sender.send(post(), idempotent=True)
    assert clock.sleeps == [7.0]


def test_retry_after_longer_than_the_cap_is_raised_at_once() -> None:
    sender, seen, clock = make_sender(
        [httpx.Response(429, headers={"Retry-After": "3600"}), httpx.Response(200, json={})]
    )
    assert sender.send(post(), idempotent=True).status_code == 429
    assert len(seen) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize("value", ["3600", "1e300", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_any_retry_after_longer_than_the_cap_is_raised_at_once(value: str) -> None:
    sender, seen, clock = make_sender(
        [httpx.Response(429, headers={"Retry-After": value}), httpx.Response(200, json={})]
    )
    assert sender.send(post(), idempotent=True).status_code == 429
    assert len(seen) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "1e400", "soon", ""])
def test_an_unusable_retry_after_falls_back_to_the_backoff(value: str) -> None:
    sender, seen, clock = make_sender(
        [httpx.Response(429, headers={"Retry-After": value}), httpx.Response(200, json={})]
    )
    assert sender.send(post(), idempotent=True).status_code == 200
    assert len(seen) == 2
    assert clock.sleeps == [1.0]


def test_retry_after_nan_does_not_reach_time_sleep() -> None:
    # The real time.sleep raises ValueError for NaN; zero delays keep the test instant.
    seen: list[httpx.Request] = []
    outcomes: list[Outcome] = [
        httpx.Response(429, headers={"Retry-After": "nan"}),
        httpx.Response(200, json={}),
    ]
    client = build_http_client(
        base_url="http://127.0.0.1:1", api_key=API_KEY, transport=scripted(outcomes, seen)
    )
    sender = RetryingSender(client, RetryPolicy(initial_delay=0.0, max_delay=0.0, jitter=0.0))
    assert sender.send(post(), idempotent=True).status_code == 200
    assert len(seen) == 2


def test_deadline_stops_retrying_before_it_would_be_passed() -> None:
    policy = RetryPolicy(max_retries=100, deadline=10.0, initial_delay=1.0, jitter=0.0)
    sender, seen, clock = make_sender([httpx.Response(503)] * 100, policy)
    assert sender.send(post(), idempotent=True).status_code == 503
    # Sleeps 1 + 2 + 4 = 7 s; the next (8 s) would end past the 10 s deadline.
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert len(seen) == 4
    assert clock.now < 10.0


def test_deadline_caps_each_attempts_timeouts() -> None:
    timeouts: list[dict[str, float]] = []
    statuses = iter([503, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(dict(request.extensions["timeout"]))
        return httpx.Response(next(statuses), json={})

    clock = FakeClock()
    client = build_http_client(
        base_url="http://127.0.0.1:1", api_key=API_KEY, transport=httpx.MockTransport(handler)
    )
    policy = RetryPolicy(deadline=5.0, initial_delay=1.0, jitter=0.0)
    RetryingSender(client, policy, sleep=clock.sleep, clock=clock).send(post(), idempotent=True)
    assert [t["read"] for t in timeouts] == [5.0, 4.0]
    assert [t["connect"] for t in timeouts] == [5.0, 4.0]


def test_deadline_already_passed_raises() -> None:
    sender, _, clock = make_sender([httpx.Response(200)], RetryPolicy(deadline=1.0))

    class LateClock:
        calls = 0

        def __call__(self) -> float:
            LateClock.calls += 1
            return 0.0 if LateClock.calls == 1 else 2.0

    late = RetryingSender(sender.client, sender.policy, sleep=clock.sleep, clock=LateClock())
    with pytest.raises(DeadlineExceeded):
        late.send(post(), idempotent=True)


def test_mutations_are_not_retried_after_the_request_may_have_arrived() -> None:
    sender, seen, _ = make_sender([httpx.ReadTimeout("slow"), httpx.Response(200, json={})])
    with pytest.raises(httpx.ReadTimeout):
        sender.send(post(), idempotent=False)
    assert len(seen) == 1


def test_mutations_are_retried_when_the_connection_was_refused() -> None:
    sender, seen, _ = make_sender([httpx.ConnectError("refused"), httpx.Response(200, json={})])
    assert sender.send(post(), idempotent=False).status_code == 200
    assert len(seen) == 2


def test_retries_are_logged_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    sender, _, _ = make_sender([httpx.Response(503), httpx.Response(200, json={})])
    with caplog.at_level("WARNING", logger="runsapi"):
        sender.send(post(), idempotent=True)
    assert "HTTP 503; retry 1 of 4" in caplog.text
    assert API_KEY not in caplog.text


def test_auth_is_sent_only_under_the_base_url() -> None:
    auth = ApiKeyAuth(API_KEY, "http://127.0.0.1:8080/wandb")
    assert auth.covers(httpx.URL("http://127.0.0.1:8080/wandb/graphql"))
    assert auth.covers(httpx.URL("http://127.0.0.1:8080/wandb"))
    assert not auth.covers(httpx.URL("http://127.0.0.1:8080/wandbx/graphql"))
    assert not auth.covers(httpx.URL("http://127.0.0.1:9090/wandb/graphql"))
    assert not auth.covers(httpx.URL("https://127.0.0.1:8080/wandb/graphql"))
    assert not auth.covers(httpx.URL("http://storage.example/bucket/file"))


def test_client_sends_basic_auth_and_user_agent() -> None:
    seen: list[httpx.Request] = []
    client = build_http_client(
        base_url="http://127.0.0.1:1",
        api_key=API_KEY,
        transport=scripted([httpx.Response(200), httpx.Response(200)], seen),
    )
    client.post("http://127.0.0.1:1/graphql", json={})
    client.get("http://elsewhere.example/file")
    assert seen[0].headers["authorization"] == httpx.BasicAuth("api", API_KEY)._auth_header
    assert "authorization" not in seen[1].headers
    assert seen[0].headers["user-agent"].startswith("runsapi/")


def test_the_key_is_not_in_reprs() -> None:
    client = build_http_client(base_url="http://127.0.0.1:1", api_key=API_KEY)
    sender = RetryingSender(client)
    request = client.build_request("POST", "http://127.0.0.1:1/graphql")
    for text in (repr(client), repr(client.auth), repr(sender), repr(request.headers)):
        assert API_KEY not in text


def test_a_rate_limit_pauses_sibling_requests_too() -> None:
    sender, seen, clock = make_sender(
        [
            httpx.Response(429, headers={"Retry-After": "5"}),
            httpx.Response(200, json={}),
            httpx.Response(200, json={}),
            httpx.Response(200, json={}),
        ]
    )
    sibling = dataclasses.replace(sender, policy=RetryPolicy(max_retries=0))
    sender.send(post(), idempotent=True)
    assert clock.sleeps == [5.0]
    # The gate is open again once the pause is over: the sibling sends at once.
    sibling.send(post(), idempotent=True)
    assert clock.sleeps == [5.0]
    assert len(seen) == 3

    sender.gate.close_for(3.0, clock)
    sibling.send(post(), idempotent=True)
    assert clock.sleeps == [5.0, 3.0]


def test_a_pause_longer_than_the_deadline_is_not_waited_for() -> None:
    sender, seen, clock = make_sender([httpx.Response(200, json={})], RetryPolicy(deadline=2.0))
    sender.gate.close_for(30.0, clock)
    with pytest.raises(DeadlineExceeded):
        sender.send(post(), idempotent=True)
    assert seen == []
