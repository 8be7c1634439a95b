"""Teams, users and API keys through runsapi, against a LocalServer: as its admin ("demo"),
as a user who is no admin (PermissionDeniedError, before any change), and with bad
arguments (UsageError, before any request)."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from runsapi import (
    APIStatusError,
    AuthenticationError,
    GraphQLError,
    GraphQLPermissionDeniedError,
    HTTPPermissionDeniedError,
    Member,
    NotFoundError,
    PermissionDeniedError,
    Team,
    UsageError,
    UserAccount,
)
from runsapi._sync.api import Api
from runsapi.server import LocalServer
from tests.live.conftest import fast_api
from tests.support.counting import CountingTransport
from tests.support.offline import API_KEY, offline_api


def unique(prefix: str) -> str:
    """A name no other test of the shared server uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def key_name(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@pytest.fixture
def outsider(server: LocalServer) -> Iterator[tuple[str, Api]]:
    """A user who is no server admin, and an Api acting as that user."""
    username = unique("user")
    with Api({"base_url": server.base_url}, api_key=server.create_user(username)) as api:
        yield username, api


def usernames(team: Team) -> list[tuple[str | None, bool]]:
    return [(member.username, member.admin) for member in team.members]


def test_a_team_is_created_with_its_creator_as_admin(api: Api) -> None:
    name = unique("team")
    team = api.create_team(name)
    assert (team.name, team.is_team, usernames(team)) == (name, True, [("demo", True)])
    (demo,) = team.members
    assert (demo.team, demo.pending, demo.account_type, demo.email) == (
        name,
        False,
        "USER",
        "demo@example.com",
    )
    assert api.team(name) == team and repr(team) == f"<Team {name} (1 members)>"
    with pytest.raises(GraphQLError, match="is taken"):
        api.create_team(name)


def test_invited_members_join_and_leave(api: Api, server: LocalServer) -> None:
    team = api.create_team(unique("team"))
    bob, carol = unique("bob"), unique("carol")
    server.create_user(bob)
    server.create_user(carol)
    assert team.invite(bob) is True
    assert team.invite(f"{carol}@example.com", admin=True) is True
    assert usernames(team) == [("demo", True), (bob, False), (carol, True)]
    assert team.invite(bob) is False  # a member already
    assert team.invite(unique("nobody")) is False
    assert team.invite(f"{unique('nobody')}@example.com") is False
    member = team.members[1]
    assert isinstance(member, Member) and member.name == bob.title()
    assert member.delete() is True
    assert usernames(team) == [("demo", True), (carol, True)]
    assert member.delete() is False
    assert usernames(api.team(team.name)) == [("demo", True), (carol, True)]


def test_a_service_account_is_the_teams_newest_member(api: Api) -> None:
    team = api.create_team(unique("team"))
    account = team.create_service_account("CI bot")
    assert account is team.members[-1]
    assert (account.name, account.account_type, account.email) == ("CI bot", "SERVICE", None)
    assert account.username is not None and account.username.startswith(f"{team.name}-service")
    assert account.delete() is True and len(team.members) == 1


def test_a_team_the_user_may_not_see_is_not_found(api: Api, outsider: tuple[str, Api]) -> None:
    _, theirs = outsider
    team = api.create_team(unique("team"))
    with pytest.raises(NotFoundError, match=f"team {team.name} not found"):
        theirs.team(team.name)
    with pytest.raises(NotFoundError):
        api.team(unique("nothing"))
    own = api.team("demo")
    assert own.is_team is False and usernames(own) == [("demo", False)]


def test_users_are_found_by_username_email_prefix_or_suffix(api: Api, server: LocalServer) -> None:
    name = unique("finder")
    server.create_user(name)
    account = api.user(name)
    assert isinstance(account, UserAccount)
    assert (account.username, account.email, account.admin, account.entity) == (
        name,
        f"{name}@example.com",
        False,
        name,
    )
    assert account.teams == [name]
    assert api.user(f"{name}@EXAMPLE.com") == account
    assert api.users(name[: len("finder-") + 4]) == [account]
    assert api.users(name[-5:]) == [account]
    assert api.user(unique("nobody")) is None
    assert api.users(unique("nobody")) == []
    assert repr(account) == f"<UserAccount {name} ({name}@example.com)>"


def test_a_user_that_matches_partly_among_several_comes_with_a_warning(
    api: Api, server: LocalServer
) -> None:
    stem = unique("twin")
    server.create_user(f"{stem}-a")
    server.create_user(f"{stem}-b")
    with pytest.warns(UserWarning, match="2 users match"):
        first = api.user(stem)
    assert first is not None and first.username == f"{stem}-a"
    exact = api.user(f"{stem}-b")
    assert exact is not None and exact.username == f"{stem}-b"


def test_admins_create_users(api: Api) -> None:
    local = unique("new")
    created = api.create_user(f"{local}@example.org")
    assert (created.username, created.email, created.admin, created.api_keys) == (
        local,
        f"{local}@example.org",
        False,
        [],
    )
    assert api.user(f"{local}@example.org") == created
    assert api.create_user(f"{unique('boss')}@example.org", admin=True).admin is True
    with pytest.raises(GraphQLError, match="exists already"):
        api.create_user(f"{local}@example.org")


def test_a_generated_key_works_until_it_is_deleted(
    api: Api, server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    name = unique("keyed")
    first_key = server.create_user(name)
    account = api.user(name)
    assert account is not None and account.api_keys == [key_name(first_key)]
    with caplog.at_level(logging.DEBUG):
        secret = account.generate_api_key("laptop")
    assert len(secret) == 40 and account.api_keys == [key_name(first_key), key_name(secret)]
    assert secret not in caplog.text and secret not in repr(account)
    assert secret not in str(vars(account))
    with Api({"base_url": server.base_url}, api_key=secret) as theirs:
        assert theirs.viewer.username == name
        assert account.delete_api_key(key_name(secret)) is True
        assert account.api_keys == [key_name(first_key)]
        with pytest.raises(AuthenticationError):
            theirs.viewer  # noqa: B018 (the request is the point)
    assert api.user(name) is not None
    assert api.user(name).api_keys == [key_name(first_key)]  # type: ignore[union-attr]


def test_admins_generate_keys_for_new_users(api: Api, server: LocalServer) -> None:
    created = api.create_user(f"{unique('fresh')}@example.org")
    secret = created.generate_api_key()
    with Api({"base_url": server.base_url}, api_key=secret) as theirs:
        assert theirs.viewer.username == created.username


def test_a_user_who_is_no_admin_is_denied_before_any_change(
    api: Api, outsider: tuple[str, Api], server: LocalServer
) -> None:
    username, theirs = outsider
    address = f"{unique('never')}@example.org"
    for attempt in (
        lambda: theirs.users("demo"),
        lambda: theirs.user("demo"),
        lambda: theirs.create_user(address),
    ):
        with pytest.raises(PermissionDeniedError, match="only server admins") as caught:
            attempt()
        assert isinstance(caught.value, GraphQLPermissionDeniedError)
        assert isinstance(caught.value, GraphQLError)
        assert caught.value.errors[0].extensions == {"code": "PERMISSION_ERROR"}
    assert api.user(address) is None

    team = api.create_team(unique("team"))
    assert team.invite(username)
    bystander = unique("bystander")
    server.create_user(bystander)
    seen_by_member = theirs.team(team.name)
    with pytest.raises(PermissionDeniedError, match=f"only admins of team '{team.name}'"):
        seen_by_member.invite(bystander)
    with pytest.raises(PermissionDeniedError):
        seen_by_member.members[0].delete()
    with pytest.raises(PermissionDeniedError):
        seen_by_member.create_service_account("sneaky")
    assert usernames(api.team(team.name)) == [("demo", True), (username, False)]

    other_team = unique("team")
    with pytest.raises(PermissionDeniedError):
        theirs.create_team(other_team, admin_username="demo")
    with pytest.raises(NotFoundError):
        api.team(other_team)
    assert theirs.create_team(other_team, admin_username=username).members[0].admin


def test_permission_errors_of_both_kinds_are_one_type() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if b"SearchUsers" in request.content:
            return httpx.Response(403, json={"errors": [{"message": "forbidden"}]})
        body = {
            "data": {"createUser": None},
            "errors": [{"message": "admins only", "extensions": {"code": "PERMISSION_ERROR"}}],
        }
        return httpx.Response(200, json=body)

    overrides = {"base_url": "http://127.0.0.1:1", "entity": "e"}
    with Api(overrides, api_key=API_KEY, transport=httpx.MockTransport(answer)) as api:
        with pytest.raises(PermissionDeniedError) as by_status:
            api.users("x")
        with pytest.raises(PermissionDeniedError) as by_graphql:
            api.create_user("x@example.org")
    assert isinstance(by_status.value, HTTPPermissionDeniedError)
    assert isinstance(by_status.value, APIStatusError) and by_status.value.status_code == 403
    assert isinstance(by_graphql.value, GraphQLPermissionDeniedError)
    assert str(by_graphql.value) == "CreateUser failed: admins only"


CHECKS: list[tuple[Callable[[Api], Any], str]] = [
    (lambda api: api.team(""), "^team must be a non-empty string"),
    (lambda api: api.team(3), "^team must be a non-empty string"),  # type: ignore[arg-type]
    (lambda api: api.create_team("Bad Name"), "^invalid team name 'Bad Name'"),
    (lambda api: api.create_team("x" * 65), "^invalid team name"),
    (lambda api: api.create_team(None), "^team must be a string"),  # type: ignore[arg-type]
    (lambda api: api.create_team("ok", admin_username=""), "^admin_username must be"),
    (lambda api: api.user(""), "^username_or_email must be a non-empty string"),
    (lambda api: api.user(" bob"), "surrounding spaces"),
    (lambda api: api.users(None), "^username_or_email must be"),  # type: ignore[arg-type]
    (lambda api: api.create_user("not-an-address"), "^invalid e-mail address"),
    (lambda api: api.create_user("a@b.io", admin="yes"), "^admin must be True or False"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("call", "message"), CHECKS)
def test_bad_arguments_are_refused_before_any_request(
    call: Callable[[Api], Any], message: str
) -> None:
    with offline_api() as api, pytest.raises(UsageError, match=message):
        call(api)


def test_bad_arguments_to_teams_and_accounts_are_refused_before_any_request(
    server: LocalServer, transport: CountingTransport
) -> None:
    with fast_api(server, transport) as api:
        team = api.create_team(unique("team"))
        account = api.user("demo")
        assert account is not None
        transport.reset()
        checks: list[tuple[Callable[[], object], str]] = [
            (lambda: team.invite(""), "^username_or_email must be"),
            (lambda: team.invite("bob", admin=1), "^admin must be True or False"),  # type: ignore[arg-type]
            (lambda: team.create_service_account(""), "^description must be"),
            (lambda: account.generate_api_key(3), "^description must be a string"),  # type: ignore[arg-type]
            (lambda: account.delete_api_key("missing"), "has no API key named 'missing'"),
        ]
        for call, message in checks:
            with pytest.raises(UsageError, match=message):
                call()
    assert transport.requests == 0
