"""The official client's teams, users and API keys on a LocalServer, and runsapi's, agree:
each sees what the other did, and a user who is no admin is refused by both.

The server lists keys by a public name, and answers `generateApiKey` with the key itself
as the new key's `name` (what the official client returns as the key).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from runsapi import Api, Member, PermissionDeniedError, Team, UserAccount
from runsapi.server import LocalServer, SeedSpec
from tests.compat.conftest import official_api, server_for_the_official_client

SEED = SeedSpec(runs=1, steps=5, events=1, files=1, artifacts=False, seed=41)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with server_for_the_official_client(tmp_path_factory.mktemp("wandb-home"), SEED) as running:
        yield running


def key_name(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def their_members(team: Any) -> list[tuple[Any, ...]]:
    return [
        (m.id, m.username, m.name, m.email, m.admin, m.pending, m.account_type)
        for m in team.members
    ]


def our_members(team: Team) -> list[tuple[Any, ...]]:
    return [
        (m.id, m.username, m.name, m.email, m.admin, m.pending, m.account_type)
        for m in team.members
    ]


def same_user(theirs: Any, mine: UserAccount) -> None:
    assert (theirs.id, theirs.username, theirs.email, theirs.admin) == (
        mine.id,
        mine.username,
        mine.email,
        mine.admin,
    )
    assert (theirs.api_keys, theirs.teams) == (mine.api_keys, mine.teams)


def test_teams_agree(official: Any, ours: Api, server: LocalServer) -> None:
    server.create_user("bob")
    server.create_user("carol")
    theirs = official.create_team("lab")
    mine = ours.team("lab")
    assert (theirs.name, theirs.id, theirs.is_team) == (mine.name, mine.id, True)
    assert their_members(theirs) == our_members(mine) and mine.members[0].admin

    assert theirs.invite("bob") is True
    assert theirs.invite("bob") is False  # a member already: both say False
    assert mine.invite("bob") is False
    assert mine.invite("carol@example.com", admin=True) is True
    assert their_members(official.team("lab")) == our_members(mine)

    service = official.team("lab").create_service_account("CI bot")
    assert service is not None and service.account_type == "SERVICE"
    mine.load(force=True)
    assert isinstance(mine.members[-1], Member) and mine.members[-1].id == service.id

    bob = next(member for member in official.team("lab").members if member.username == "bob")
    assert bob.delete() is True
    mine.load(force=True)
    assert "bob" not in [member.username for member in mine.members]
    carol = next(member for member in mine.members if member.username == "carol")
    assert carol.delete() is True
    assert their_members(official.team("lab")) == our_members(mine)


def test_users_agree(official: Any, ours: Api, server: LocalServer) -> None:
    server.create_user("dora", teams=("dora-lab",))
    mine = ours.user("dora")
    assert mine is not None
    same_user(official.user("dora"), mine)
    same_user(official.user("dora@example.com"), mine)
    assert [user.id for user in official.users("example.com")] == [
        user.id for user in ours.users("example.com")
    ]
    assert official.user("nobody-at-all") is None and ours.user("nobody-at-all") is None

    created = official.create_user("erin@example.org", admin=True)
    found = ours.user("erin@example.org")
    assert found is not None and (found.id, found.username, found.admin) == (
        created.id,
        "erin",
        True,
    )
    made = ours.create_user("fay@example.org")
    same_user(official.user("fay@example.org"), made)


def test_api_keys_agree(official: Any, ours: Api, server: LocalServer) -> None:
    # The official client makes the key for the Api's own user, whatever User it is called on.
    secret = official.viewer.generate_api_key("from the official client")
    demo = ours.user("demo")
    assert demo is not None and key_name(secret) in demo.api_keys
    with Api({"base_url": server.base_url}, api_key=secret) as as_demo:
        assert as_demo.viewer.username == "demo"

    ours_secret = demo.generate_api_key("from runsapi")
    theirs = official.user("demo")
    assert key_name(ours_secret) in theirs.api_keys
    assert theirs.delete_api_key(key_name(ours_secret)) is True
    assert ours.user("demo").api_keys == [  # type: ignore[union-attr]
        name for name in demo.api_keys if name != key_name(ours_secret)
    ]
    assert demo.delete_api_key(key_name(secret)) is True
    assert key_name(secret) not in official.user("demo").api_keys


def test_a_user_who_is_no_admin_is_refused_by_both(
    official: Any, ours: Api, server: LocalServer
) -> None:
    key = server.create_user("gus")
    theirs = official_api(server, key)
    with Api({"base_url": server.base_url}, api_key=key) as mine:
        calls: list[Callable[[Any], object]] = [
            lambda api: api.users("demo"),
            lambda api: api.create_user("h@x.org"),
        ]
        for call in calls:
            with pytest.raises(Exception, match="permission denied"):
                call(theirs)
            with pytest.raises(PermissionDeniedError, match="permission denied"):
                call(mine)
        official.create_team("gus-lab").invite("gus")
        server.create_user("ida")
        assert theirs.team("gus-lab").invite("ida") is False
        with pytest.raises(PermissionDeniedError):
            mine.team("gus-lab").invite("ida")
    assert [member.username for member in ours.team("gus-lab").members] == ["demo", "gus"]
    assert ours.user("h@x.org") is None


def test_a_team_nobody_may_see_is_missing_for_both(official: Any, ours: Api) -> None:
    with pytest.raises(KeyError, match="members"):
        official.team("no-such-team")
    with pytest.raises(LookupError):
        ours.team("no-such-team")
