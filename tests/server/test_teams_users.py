"""Teams, users and API keys on the server: who may do what (PERMISSION_ERROR before any
change), what each operation changes, and keys that work at once and stop at once."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from runsapi.__main__ import _parser
from runsapi.server import LocalServer, _cli
from runsapi.server._migrations import MIGRATIONS, migrate
from tests.server.conftest import Client

TEAM = "query($name: String!) { entity(name: $name) { name isTeam members { id username admin pending accountType } } }"
CREATE_TEAM = "mutation($name: String!, $admin: String) { createTeam(input: {teamName: $name, teamAdminUserName: $admin}) { entity { name members { username admin } } } }"
INVITE = "mutation($team: String!, $username: String, $email: String, $admin: Boolean) { createInvite(input: {entityName: $team, username: $username, email: $email, admin: $admin}) { invite { id name email toUser { username } } } }"
REMOVE = "mutation($id: String, $team: String) { deleteInvite(input: {id: $id, entityName: $team}) { success } }"
SERVICE_ACCOUNT = "mutation($team: String!, $description: String!) { createServiceAccount(input: {entityName: $team, description: $description}) { user { id username name } } }"
USERS = "query($query: String) { users(query: $query) { edges { node { username email admin apiKeys { edges { node { id name description } } } teams { edges { node { name } } } } } } }"
CREATE_USER = "mutation($email: String!, $admin: Boolean) { createUser(input: {email: $email, admin: $admin}) { user { id username name email admin } } }"
GENERATE = "mutation($user: ID, $description: String) { generateApiKey(input: {userId: $user, description: $description}) { apiKey { id name description } } }"
DELETE_KEY = "mutation($id: String!) { deleteApiKey(input: {id: $id}) { success } }"
MY_KEYS = "query { viewer { username admin apiKeys { edges { node { id name description } } } teams { edges { node { name isTeam } } } } }"
PROJECTS = "query($entity: String) { models(entityName: $entity) { edges { node { name } } } }"
CREATE_PROJECT = "mutation($entity: String!, $name: String!) { upsertModel(input: {entityName: $entity, name: $name}) { project { name } } }"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """A server of its own with the default admin, "demo", and no data."""
    with LocalServer() as running:
        yield running


@pytest.fixture
def client(server: LocalServer) -> Iterator[Client]:
    with httpx.Client(timeout=30) as http:
        yield Client(server, http)


def denied(client: Client, query: str, variables: dict[str, Any], *, key: str) -> str:
    """The message of the one PERMISSION_ERROR the request is answered with."""
    body = client.post(query, variables, key=key).json()
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "PERMISSION_ERROR"}, error
    assert error["message"].startswith("permission denied: ")
    return str(error["message"])


def members(client: Client, team: str) -> list[tuple[str, bool]]:
    entity = client.data(TEAM, {"name": team})["entity"]
    return [(member["username"], member["admin"]) for member in entity["members"]]


def test_the_default_user_is_the_servers_admin(client: Client) -> None:
    assert client.data(MY_KEYS)["viewer"]["admin"] is True


def test_serve_says_who_the_admin_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    arguments = _parser().parse_args(
        ["serve", "--db", str(tmp_path / "db.sqlite"), "--host", "h", "--port", "1"]
    )
    _cli.serve(arguments)
    out = capsys.readouterr().out
    assert "user demo is the server's admin" in out
    assert "a run whose process is silent for 300 s is stored as crashed" in out


def test_a_new_team_has_its_creator_as_admin_and_a_taken_name_is_refused(
    server: LocalServer, client: Client
) -> None:
    alice = server.create_user("alice")
    created = client.data(CREATE_TEAM, {"name": "lab"}, key=alice)["createTeam"]["entity"]
    assert created == {"name": "lab", "members": [{"username": "alice", "admin": True}]}
    entity = client.data(TEAM, {"name": "lab"}, key=alice)["entity"]
    assert entity["isTeam"] is True and entity["members"][0]["pending"] is False
    for taken in ("lab", "alice"):
        assert "is taken" in client.errors(CREATE_TEAM, {"name": taken})[0]
    assert "invalid team name" in client.errors(CREATE_TEAM, {"name": "Bad Name"})[0]
    # A new team's projects are the creator's at once (no stale cache of its entities).
    client.data(CREATE_PROJECT, {"entity": "lab", "name": "p"}, key=alice)
    assert client.data(PROJECTS, {"entity": "lab"}, key=alice)["models"]["edges"]


def test_naming_another_admin_for_a_new_team_takes_a_server_admin(
    server: LocalServer, client: Client
) -> None:
    alice, _ = server.create_user("alice"), server.create_user("bob")
    assert "only server admins" in denied(
        client, CREATE_TEAM, {"name": "t", "admin": "bob"}, key=alice
    )
    assert client.data(TEAM, {"name": "t"})["entity"] is None
    made = client.data(CREATE_TEAM, {"name": "t", "admin": "bob"})["createTeam"]["entity"]
    assert made["members"] == [{"username": "bob", "admin": True}]
    assert (
        "no user named 'nobody'" in client.errors(CREATE_TEAM, {"name": "u", "admin": "nobody"})[0]
    )


def test_teams_are_seen_by_their_members_and_server_admins_only(
    server: LocalServer, client: Client
) -> None:
    alice, outsider = server.create_user("alice", teams=("lab",)), server.create_user("eve")
    assert client.data(TEAM, {"name": "lab"}, key=alice)["entity"]["name"] == "lab"
    assert client.data(TEAM, {"name": "lab"})["entity"]["name"] == "lab"
    assert client.data(TEAM, {"name": "lab"}, key=outsider)["entity"] is None
    assert client.data(TEAM, {"name": "nothing"})["entity"] is None
    user_entity = client.data(TEAM, {"name": "alice"}, key=alice)["entity"]
    assert user_entity["isTeam"] is False and [m["username"] for m in user_entity["members"]] == [
        "alice"
    ]


def test_team_admins_invite_and_remove_members_and_others_change_nothing(
    server: LocalServer, client: Client
) -> None:
    alice, bob = server.create_user("alice"), server.create_user("bob")
    server.create_user("carol")
    client.data(CREATE_TEAM, {"name": "lab"}, key=alice)
    invited = client.data(INVITE, {"team": "lab", "username": "bob"}, key=alice)
    assert invited["createInvite"]["invite"]["toUser"] == {"username": "bob"}
    assert client.data(
        INVITE, {"team": "lab", "email": "CAROL@example.com", "admin": True}, key=alice
    )
    assert members(client, "lab") == [("alice", True), ("bob", False), ("carol", True)]

    # bob is a member, not an admin: he may neither invite nor remove.
    assert "only admins of team 'lab'" in denied(
        client, INVITE, {"team": "lab", "username": "demo"}, key=bob
    )
    alice_id = client.data(TEAM, {"name": "lab"})["entity"]["members"][0]["id"]
    denied(client, REMOVE, {"id": alice_id, "team": "lab"}, key=bob)
    denied(client, SERVICE_ACCOUNT, {"team": "lab", "description": "bot"}, key=bob)
    assert members(client, "lab") == [("alice", True), ("bob", False), ("carol", True)]

    # The server's admin manages every team; a removed member loses the team at once.
    client.data(CREATE_PROJECT, {"entity": "lab", "name": "p"}, key=bob)
    bob_id = client.data(TEAM, {"name": "lab"})["entity"]["members"][1]["id"]
    assert client.data(REMOVE, {"id": bob_id, "team": "lab"})["deleteInvite"]["success"] is True
    assert client.data(REMOVE, {"id": bob_id, "team": "lab"})["deleteInvite"]["success"] is False
    assert client.data(PROJECTS, {"entity": "lab"}, key=bob)["models"] is None
    assert members(client, "lab") == [("alice", True), ("carol", True)]


def test_invites_that_cannot_be_made_are_errors(server: LocalServer, client: Client) -> None:
    server.create_user("bob", teams=("lab",))
    client.data(CREATE_TEAM, {"name": "own"})
    assert (
        "no user with the username 'nobody'"
        in client.errors(INVITE, {"team": "own", "username": "nobody"})[0]
    )
    assert (
        "no user with the e-mail address"
        in client.errors(INVITE, {"team": "own", "email": "nobody@example.com"})[0]
    )
    client.data(INVITE, {"team": "own", "username": "bob"})
    assert (
        "a member of the team already"
        in client.errors(INVITE, {"team": "own", "username": "bob"})[0]
    )
    assert "one" in client.errors(INVITE, {"team": "own", "username": "bob", "email": "b@x.io"})[0]
    assert "no team named 'none'" in client.errors(INVITE, {"team": "none", "username": "bob"})[0]
    assert "not a team" in client.errors(INVITE, {"team": "bob", "username": "demo"})[0]
    assert "needs the member's id" in client.errors(REMOVE, {"team": "own"})[0]


def test_a_service_account_belongs_to_its_team_and_goes_with_its_removal(
    server: LocalServer, client: Client
) -> None:
    client.data(CREATE_TEAM, {"name": "lab"})
    created = client.data(SERVICE_ACCOUNT, {"team": "lab", "description": "CI bot"})
    account = created["createServiceAccount"]["user"]
    assert (account["username"], account["name"]) == ("lab-service", "CI bot")
    last = client.data(TEAM, {"name": "lab"})["entity"]["members"][-1]
    assert (last["id"], last["accountType"]) == (account["id"], "SERVICE")
    key = client.data(GENERATE, {"user": account["id"]})["generateApiKey"]["apiKey"]["name"]
    assert client.data(PROJECTS, {"entity": "lab"}, key=key)["models"] == {"edges": []}
    assert client.data(REMOVE, {"id": account["id"], "team": "lab"})["deleteInvite"]["success"]
    assert client.post(PROJECTS, {"entity": "lab"}, key=key).status_code == 401
    assert client.data(USERS, {"query": "lab-service"})["users"]["edges"] == []
    assert (
        "needs a description"
        in client.errors(SERVICE_ACCOUNT, {"team": "lab", "description": " "})[0]
    )


def test_users_are_searched_by_prefix_or_suffix_by_admins_only(
    server: LocalServer, client: Client
) -> None:
    alice = server.create_user("alice")
    server.create_user("malice")
    server.create_user("al_x")

    def found(query: str | None) -> list[str]:
        edges = client.data(USERS, {"query": query})["users"]["edges"]
        return [edge["node"]["username"] for edge in edges]

    assert found("ali") == ["alice"]
    assert found("ICE") == ["alice", "malice"]
    assert found("@example.com") == ["demo", "alice", "malice", "al_x"]
    assert found("al_") == ["al_x"]  # `_` and `%` are no wildcards
    assert found("a%") == []
    assert found(None) == ["demo", "alice", "malice", "al_x"]
    assert "only server admins may list users" in denied(client, USERS, {"query": "a"}, key=alice)


def test_keys_and_teams_of_a_user_are_shown_to_itself_and_admins(
    server: LocalServer, client: Client
) -> None:
    alice = server.create_user("alice", teams=("lab",))
    (node,) = [edge["node"] for edge in client.data(USERS, {"query": "alice"})["users"]["edges"]]
    name = hashlib.sha256(alice.encode()).hexdigest()[:16]
    assert node["apiKeys"]["edges"] == [{"node": {"id": name, "name": name, "description": None}}]
    assert [edge["node"]["name"] for edge in node["teams"]["edges"]] == ["alice", "lab"]
    mine = client.data(MY_KEYS, key=alice)["viewer"]
    assert [edge["node"]["name"] for edge in mine["apiKeys"]["edges"]] == [name]
    assert [edge["node"]["isTeam"] for edge in mine["teams"]["edges"]] == [False, True]
    # Another member's keys and teams, reached through a project of their team: hidden.
    bob = server.create_user("bob", teams=("lab",))
    client.data(CREATE_PROJECT, {"entity": "lab", "name": "p"}, key=bob)
    owner = client.data(
        'query { project(name: "p", entityName: "lab") { user { username apiKeys { edges {'
        " node { id } } } teams { edges { node { name } } } } } }",
        key=alice,
    )["project"]["user"]
    assert owner == {"username": "bob", "apiKeys": {"edges": []}, "teams": {"edges": []}}


def test_only_admins_create_users_named_after_their_address(
    server: LocalServer, client: Client
) -> None:
    alice = server.create_user("alice")
    assert "only server admins may create users" in denied(
        client, CREATE_USER, {"email": "new@example.org"}, key=alice
    )
    assert client.data(USERS, {"query": "new@example.org"})["users"]["edges"] == []
    made = client.data(CREATE_USER, {"email": "New.User@example.org", "admin": True})
    assert made["createUser"]["user"] | {"id": None} == {
        "id": None,
        "username": "new-user",
        "name": "New.User",
        "email": "New.User@example.org",
        "admin": True,
    }
    second = client.data(CREATE_USER, {"email": "alice@elsewhere.org"})["createUser"]["user"]
    assert second["username"] == "alice-2"  # "alice" is taken
    assert "exists already" in client.errors(CREATE_USER, {"email": "new.user@EXAMPLE.org"})[0]
    assert "invalid e-mail address" in client.errors(CREATE_USER, {"email": "not-an-address"})[0]


def test_a_generated_key_is_shown_once_works_at_once_and_is_listed_by_name(
    server: LocalServer, client: Client
) -> None:
    alice = server.create_user("alice")
    made = client.data(GENERATE, {"description": "laptop"}, key=alice)["generateApiKey"]["apiKey"]
    key, name = made["name"], made["id"]
    assert len(key) == 40 and name == hashlib.sha256(key.encode()).hexdigest()[:16]
    assert made["description"] == "laptop"
    assert client.data(MY_KEYS, key=key)["viewer"]["username"] == "alice"
    listed = client.data(MY_KEYS, key=alice)["viewer"]["apiKeys"]["edges"]
    assert listed[-1]["node"] == {"id": name, "name": name, "description": "laptop"}
    assert all(key not in str(edge) for edge in listed)


def test_keys_for_another_user_take_a_server_admin(server: LocalServer, client: Client) -> None:
    alice = server.create_user("alice")
    server.create_user("bob")
    (bob,) = client.data('query { users(query: "bob") { edges { node { id } } } }')["users"][
        "edges"
    ]
    bob_id = bob["node"]["id"]
    assert "only server admins" in denied(client, GENERATE, {"user": bob_id}, key=alice)
    keys = client.data(USERS, {"query": "bob"})["users"]["edges"][0]["node"]["apiKeys"]["edges"]
    assert len(keys) == 1
    key = client.data(GENERATE, {"user": bob_id})["generateApiKey"]["apiKey"]["name"]
    assert client.data(MY_KEYS, key=key)["viewer"]["username"] == "bob"


def test_a_deleted_key_stops_working_at_once_and_only_its_owner_or_an_admin_deletes_it(
    server: LocalServer, client: Client
) -> None:
    alice, bob = server.create_user("alice"), server.create_user("bob")
    bob_name = hashlib.sha256(bob.encode()).hexdigest()[:16]
    assert client.data(MY_KEYS, key=bob)["viewer"]["username"] == "bob"  # cached by the server
    assert client.data(DELETE_KEY, {"id": bob_name}, key=alice)["deleteApiKey"]["success"] is False
    assert client.data(MY_KEYS, key=bob)["viewer"]["username"] == "bob"
    assert client.data(DELETE_KEY, {"id": bob_name})["deleteApiKey"]["success"] is True
    assert client.post(MY_KEYS, key=bob).status_code == 401
    spare = client.data(GENERATE, {}, key=alice)["generateApiKey"]["apiKey"]
    assert client.data(DELETE_KEY, {"id": spare["id"]}, key=alice)["deleteApiKey"]["success"]
    assert client.post(MY_KEYS, key=spare["name"]).status_code == 401


def test_keys_of_an_older_database_get_their_public_names(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    conn.executescript(
        "CREATE TABLE schema_version (version INTEGER NOT NULL);"
        f"BEGIN; {' '.join(MIGRATIONS[:3])} INSERT INTO schema_version VALUES (3); COMMIT;"
    )
    digest = hashlib.sha256(b"k" * 40).hexdigest()
    conn.executescript(
        "INSERT INTO entities (id, name) VALUES (1, 'u');"
        "INSERT INTO users (id, username, name, entity_id) VALUES (1, 'u', 'U', 1);"
        f"INSERT INTO api_keys (user_id, key_hash, name) VALUES (1, '{digest}', 'api-key');"
    )
    migrate(conn)
    assert conn.execute("SELECT name FROM api_keys").fetchall() == [(digest[:16],)]
