"""Entities as the GraphQL Entity type reads them, and teams: their members, admins and
service accounts.

An entity is a user's own or a team. A member is named by its user's id (what
`deleteInvite` takes, with the team's name). Server admins manage every team, a team's
admins theirs. An invite adds an existing user at once (this server sends no e-mail), so
no member is ever pending. A service account is a user of the team's own (its entity is
the team) that signs in with API keys only.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from runsapi._shared.account_names import check_team_name
from runsapi.server import _accounts
from runsapi.server._accounts import SERVICE_ACCOUNT, PermissionDenied, Viewer
from runsapi.server._ids import encode_id

Record = dict[str, Any]

# Entity fields W&B's clients ask for that mean nothing on this server: one value for all.
_ENTITY_CONSTANTS: Record = {
    "available": False,  # whether the name is free: an entity's is not
    "photoUrl": None,
    "readOnly": False,
    "readOnlyAdmin": False,
    "privateOnly": False,
    "storageBytes": 0,
    "codeSavingEnabled": True,
    "defaultAccess": "PRIVATE",
    "isPaid": False,
    "limits": "{}",
}


def find_entity(conn: sqlite3.Connection, name: str) -> int | None:
    row = conn.execute("SELECT id FROM entities WHERE name = ?", (name,)).fetchone()
    return None if row is None else int(row[0])


def entity_record(conn: sqlite3.Connection, entity_row: int) -> Record | None:
    """An entity as the GraphQL Entity type reads it (`members` has its own resolver)."""
    row = conn.execute(
        "SELECT id, name, is_team FROM entities WHERE id = ?", (entity_row,)
    ).fetchone()
    return None if row is None else _entity(row)


def _entity(row: tuple[Any, ...]) -> Record:
    return {
        **_ENTITY_CONSTANTS,
        "_row": row[0],
        "id": encode_id("Entity", row[0]),
        "name": row[1],
        "isTeam": bool(row[2]),
        "entityType": "TEAM" if row[2] else "USER",
    }


def entities_of(conn: sqlite3.Connection, user_id: int) -> list[Record]:
    """The entities the user belongs to (its own and its teams), oldest first."""
    rows = conn.execute(
        "SELECT entities.id, entities.name, entities.is_team FROM memberships"
        " JOIN entities ON entities.id = memberships.entity_id"
        " WHERE memberships.user_id = ? ORDER BY entities.id",
        (user_id,),
    )
    return [_entity(row) for row in rows]


def member_records(conn: sqlite3.Connection, entity_row: int) -> list[Record]:
    """The entity's members as Member records, oldest user first (so a new service
    account comes last)."""
    rows = conn.execute(
        "SELECT users.id, users.username, users.name, users.email, memberships.admin,"
        " users.account_type FROM memberships JOIN users ON users.id = memberships.user_id"
        " WHERE memberships.entity_id = ? ORDER BY users.id",
        (entity_row,),
    )
    return [
        {
            "id": encode_id("User", row[0]),
            "username": row[1],
            "name": row[2],
            "email": row[3],
            "admin": bool(row[4]),
            "pending": False,
            "photoUrl": None,
            "accountType": row[5],
            "apiKey": None,  # keys are stored hashed: there is none to show
        }
        for row in rows
    ]


def is_member(conn: sqlite3.Connection, user_id: int, entity_row: int) -> bool:
    found = conn.execute(
        "SELECT 1 FROM memberships WHERE user_id = ? AND entity_id = ?", (user_id, entity_row)
    ).fetchone()
    return found is not None


def may_see(conn: sqlite3.Connection, viewer: Viewer, entity_row: int) -> bool:
    """Members see their entities, server admins every one."""
    return is_member(conn, viewer.user_id, entity_row) or _accounts.is_admin(conn, viewer.user_id)


def managed_team(conn: sqlite3.Connection, viewer: Viewer, name: str) -> int:
    """The team named `name`, if the viewer may change its members: PermissionDenied
    unless the viewer is a server admin or one of the team's admins; ValueError for no
    such team or a user's entity."""
    row = conn.execute("SELECT id, is_team FROM entities WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise ValueError(f"no team named {name!r}")
    team, is_team = int(row[0]), bool(row[1])
    team_admin = conn.execute(
        "SELECT admin FROM memberships WHERE user_id = ? AND entity_id = ?",
        (viewer.user_id, team),
    ).fetchone()
    if not (team_admin and team_admin[0]) and not _accounts.is_admin(conn, viewer.user_id):
        raise PermissionDenied(f"only admins of team {name!r} may change its members")
    if not is_team:
        raise ValueError(f"{name!r} is a user's entity, not a team")
    return team


def create_team(conn: sqlite3.Connection, name: str, admin_user: int) -> int:
    """A new team, with `admin_user` its one member and admin. ValueError for a name that
    breaks the rules (_shared/account_names.py) or is taken by a user or team."""
    check_team_name(name)
    if find_entity(conn, name) is not None:
        raise ValueError(f"the name {name!r} is taken by another user or team")
    cursor = conn.execute("INSERT INTO entities (name, is_team) VALUES (?, 1)", (name,))
    team = int(cursor.lastrowid or 0)
    conn.execute(
        "INSERT INTO memberships (user_id, entity_id, admin) VALUES (?, ?, 1)", (admin_user, team)
    )
    return team


def invitee(conn: sqlite3.Connection, *, email: str | None, username: str | None) -> int:
    """The user an invite names, by e-mail address or username (one of them)."""
    if (email is None) == (username is None):
        raise ValueError("an invite names its user by e-mail address or by username (one)")
    found = (
        _accounts.user_by_email(conn, email)
        if email is not None
        else _accounts.user_by_username(conn, str(username))
    )
    if found is None:
        what = f"e-mail address {email!r}" if email is not None else f"username {username!r}"
        raise ValueError(f"no user with the {what}")
    return found


def add_member(conn: sqlite3.Connection, team: int, user_id: int, *, admin: bool) -> None:
    """Make the user a member (an admin, with `admin`); ValueError if it is one already."""
    if is_member(conn, user_id, team):
        raise ValueError("the user is a member of the team already")
    conn.execute(
        "INSERT INTO memberships (user_id, entity_id, admin) VALUES (?, ?, ?)",
        (user_id, team, int(admin)),
    )


def remove_member(conn: sqlite3.Connection, team: int, user_id: int) -> bool:
    """Remove the user from the team, deleting it (and its keys) if it is one of the
    team's service accounts; whether it was a member."""
    if not is_member(conn, user_id, team):
        return False
    conn.execute(
        "DELETE FROM users WHERE id = ? AND entity_id = ? AND account_type = ?",
        (user_id, team, SERVICE_ACCOUNT),
    )
    conn.execute("DELETE FROM memberships WHERE user_id = ? AND entity_id = ?", (user_id, team))
    return True


def create_service_account(conn: sqlite3.Connection, team: int, description: str) -> int:
    """A new service account of the team, named by `description`; returns its user id."""
    if not description.strip():
        raise ValueError("a service account needs a description (its name in the team)")
    (team_name,) = conn.execute("SELECT name FROM entities WHERE id = ?", (team,)).fetchone()
    username = _accounts.free_username(conn, f"{team_name}-service")
    return _accounts.insert_user(
        conn, username, name=description, email=None, account_type=SERVICE_ACCOUNT, team=team
    )
