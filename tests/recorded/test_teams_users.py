"""Every team, user and API key member of the Api, replayed from cassettes.

The recording server's default user ("demo") is its admin; the users the tests need are
created by the tests, with names of their own (cassettes match on the variables).
"""

from __future__ import annotations

import pytest

from runsapi import GraphQLPermissionDeniedError, NotFoundError, PermissionDeniedError
from runsapi._sync.api import Api
from tests.support.counting import CountingTransport

pytestmark = pytest.mark.vcr


def test_teams_and_members(api: Api, transport: CountingTransport) -> None:
    member = api.create_user("rec-bob@example.org")
    team = api.create_team("recorded-lab")
    assert [(m.username, m.admin) for m in team.members] == [("demo", True)]
    assert api.team("recorded-lab") == team
    assert team.invite(member.username or "") is True
    assert team.invite("rec-bob@example.org") is False
    assert [(m.username, m.admin, m.account_type) for m in team.members] == [
        ("demo", True, "USER"),
        ("rec-bob", False, "USER"),
    ]
    service = team.create_service_account("recorded bot")
    assert (service.name, service.account_type) == ("recorded bot", "SERVICE")
    assert team.members[1].delete() is True and service.delete() is True
    assert [m.username for m in api.team("recorded-lab").members] == ["demo"]
    with pytest.raises(NotFoundError):
        api.team("recorded-nothing")
    # Each change is followed by one reload of the team, and nothing else.
    assert transport.operations["GetTeam"] == 7


def test_users_and_api_keys(api: Api) -> None:
    created = api.create_user("rec-carol@example.org")
    assert (created.username, created.admin, created.api_keys) == ("rec-carol", False, [])
    assert api.user("rec-carol") == created
    assert [user.username for user in api.users("carol@example.org")] == ["rec-carol"]
    assert api.user("rec-nobody") is None
    secret = created.generate_api_key("recorded")
    assert len(created.api_keys) == 1 and secret not in created.api_keys
    with Api({"base_url": api.settings.base_url}, api_key=secret) as as_carol:
        assert as_carol.viewer.username == "rec-carol"
        with pytest.raises(PermissionDeniedError) as caught:
            as_carol.users("rec-")
        assert isinstance(caught.value, GraphQLPermissionDeniedError)
        with pytest.raises(PermissionDeniedError):
            as_carol.create_user("rec-never@example.org")
    assert created.delete_api_key(created.api_keys[0]) is True
    assert created.api_keys == []
    assert api.user("rec-never@example.org") is None
