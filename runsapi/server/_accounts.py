"""Users, their API keys and admin rights, and which entities a key's user may see.

A user belongs to its own entity and to any team entities (_teams.py); an API key acts as
its user and sees the projects of those entities only (_projects.py). The server's default
user (DEFAULT_USERNAME) is its admin: it may list and create users, manage every team and
every user's keys.

Keys are stored as SHA-256 digests, and listed under a public name: the first 16 hex
digits of that digest. The name tells nothing of the key, and whoever holds a key can tell
which listed name is theirs (`hashlib.sha256(key.encode()).hexdigest()[:16]`). The one
answer that carries a key is `generateApiKey`'s, once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

from runsapi.server._constants import API_KEY_BYTES, DEFAULT_USERNAME, MIN_API_KEY_LENGTH
from runsapi.server._ids import encode_id

_KEY_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{{MIN_API_KEY_LENGTH},}}")
KEY_NAME_LENGTH = 16
USER_ACCOUNT = "USER"
SERVICE_ACCOUNT = "SERVICE"
PERMISSION_ERROR = "PERMISSION_ERROR"
_USERNAME_MAX_LENGTH = 60
_NOT_IN_USERNAME = re.compile(r"[^a-z0-9_-]+")


class PermissionDenied(ValueError):
    """The viewer may not do this (a server admin's or a team admin's operation); nothing
    was changed. The GraphQL error carries `extensions.code` PERMISSION_ERROR, as W&B's do,
    which clients map to their permission error."""

    def __init__(self, message: str) -> None:
        super().__init__(f"permission denied: {message}")
        self.extensions = {"code": PERMISSION_ERROR}  # read by graphql-core's error


@dataclass(frozen=True)
class Viewer:
    """The user an API key acts as."""

    user_id: int
    username: str
    entity_id: int
    entity_name: str
    entity_ids: frozenset[int]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_name(key: str) -> str:
    """The public name an API key is listed under."""
    return _digest(key)[:KEY_NAME_LENGTH]


def new_api_key() -> str:
    return secrets.token_hex(API_KEY_BYTES)


def entity_id(conn: sqlite3.Connection, name: str, *, is_team: bool = False) -> int:
    """The entity named `name`, created if missing."""
    conn.execute(
        "INSERT OR IGNORE INTO entities (name, is_team) VALUES (?, ?)", (name, int(is_team))
    )
    (found,) = conn.execute("SELECT id FROM entities WHERE name = ?", (name,)).fetchone()
    return int(found)


def insert_user(
    conn: sqlite3.Connection,
    username: str,
    *,
    name: str,
    email: str | None,
    admin: bool = False,
    account_type: str = USER_ACCOUNT,
    team: int | None = None,
) -> int:
    """A new user, member of its own new entity, or of `team` for a service account."""
    own = entity_id(conn, username) if team is None else team
    cursor = conn.execute(
        "INSERT INTO users (username, name, email, admin, entity_id, account_type)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (username, name, email, int(admin), own, account_type),
    )
    user = int(cursor.lastrowid or 0)
    conn.execute("INSERT INTO memberships (user_id, entity_id) VALUES (?, ?)", (user, own))
    return user


def create_user(
    conn: sqlite3.Connection,
    username: str,
    *,
    api_key: str | None = None,
    teams: tuple[str, ...] = (),
    admin: bool = False,
) -> str:
    """Create a user with its own entity (and team memberships); returns its API key."""
    key = api_key or new_api_key()
    user = insert_user(
        conn, username, name=username.title(), email=f"{username}@example.com", admin=admin
    )
    conn.executemany(
        "INSERT OR IGNORE INTO memberships (user_id, entity_id) VALUES (?, ?)",
        [(user, entity_id(conn, team, is_team=True)) for team in teams],
    )
    add_api_key(conn, user, key)
    return key


def ensure_user(conn: sqlite3.Connection, username: str, *, api_key: str | None = None) -> str:
    """An API key for `username`: the user is created if missing, else the key is added.
    DEFAULT_USERNAME is made the server's admin."""
    admin = username == DEFAULT_USERNAME
    row = conn.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
    if row is None:
        return create_user(conn, username, api_key=api_key, admin=admin)
    key = api_key or new_api_key()
    add_api_key(conn, int(row[0]), key)
    if admin:
        conn.execute("UPDATE users SET admin = 1 WHERE id = ?", (row[0],))
    return key


def free_username(conn: sqlite3.Connection, wanted: str) -> str:
    """`wanted` made a username (lowercase letters, digits, '-', '_') that no user or
    entity has yet, by a numbered suffix if needed: `alice`, `alice-2`, ..."""
    base = _NOT_IN_USERNAME.sub("-", wanted.lower()).strip("-_")[:_USERNAME_MAX_LENGTH] or "user"
    candidate, number = base, 1
    while conn.execute(
        "SELECT 1 FROM users WHERE username = ? UNION SELECT 1 FROM entities WHERE name = ?",
        (candidate, candidate),
    ).fetchone():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def create_user_from_email(conn: sqlite3.Connection, email: str, *, admin: bool) -> int:
    """A new user (what an admin's `createUser` makes), named after the address's local
    part; no key yet. ValueError if a user has this address already."""
    if user_by_email(conn, email) is not None:
        raise ValueError(f"a user with the e-mail address {email!r} exists already")
    local = email.partition("@")[0]
    return insert_user(conn, free_username(conn, local), name=local, email=email, admin=admin)


def user_by_username(conn: sqlite3.Connection, username: str) -> int | None:
    row = conn.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
    return None if row is None else int(row[0])


def user_by_email(conn: sqlite3.Connection, email: str) -> int | None:
    row = conn.execute(
        "SELECT id FROM users WHERE lower(email) = lower(?) ORDER BY id", (email,)
    ).fetchone()
    return None if row is None else int(row[0])


def search_users(conn: sqlite3.Connection, query: str | None) -> list[int]:
    """Users whose username or e-mail address starts or ends with `query` (ignoring
    case), oldest first; every user for no query."""
    if not query:
        return [row for (row,) in conn.execute("SELECT id FROM users ORDER BY id")]
    text = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    prefix, suffix = f"{text}%", f"%{text}"
    rows = conn.execute(
        "SELECT id FROM users WHERE lower(username) LIKE ? ESCAPE '\\'"
        " OR lower(username) LIKE ? ESCAPE '\\' OR lower(email) LIKE ? ESCAPE '\\'"
        " OR lower(email) LIKE ? ESCAPE '\\' ORDER BY id",
        (prefix, suffix, prefix, suffix),
    )
    return [row for (row,) in rows]


def is_admin(conn: sqlite3.Connection, user_id: int) -> bool:
    row = conn.execute("SELECT admin FROM users WHERE id = ?", (user_id,)).fetchone()
    return row is not None and bool(row[0])


def require_admin(conn: sqlite3.Connection, viewer: Viewer, what: str) -> None:
    """PermissionDenied unless the viewer is a server admin; `what` completes "only
    server admins may ..."."""
    if not is_admin(conn, viewer.user_id):
        raise PermissionDenied(f"only server admins may {what}")


def add_api_key(
    conn: sqlite3.Connection, user_id: int, key: str, *, description: str | None = None
) -> str:
    """Give the user this key (a no-op if it has it already); returns the key's name."""
    if not _KEY_PATTERN.fullmatch(key):
        raise ValueError(f"API keys need at least {MIN_API_KEY_LENGTH} characters of [A-Za-z0-9_-]")
    digest = _digest(key)
    owner = conn.execute("SELECT user_id FROM api_keys WHERE key_hash = ?", (digest,)).fetchone()
    if owner is not None:
        if owner[0] != user_id:
            raise ValueError("this API key belongs to another user")
        return key_name(key)
    conn.execute(
        "INSERT INTO api_keys (user_id, key_hash, name, description) VALUES (?, ?, ?, ?)",
        (user_id, digest, key_name(key), description),
    )
    return key_name(key)


def generate_api_key(
    conn: sqlite3.Connection, user_id: int, description: str | None
) -> dict[str, Any]:
    """A new key of the user, as the ApiKey node `generateApiKey` answers: its `id` is the
    key's public name, its `name` the key itself (what W&B's clients read as the secret)."""
    key = new_api_key()
    name = add_api_key(conn, user_id, key, description=description)
    return {"id": name, "name": key, "description": description}


def delete_api_key(conn: sqlite3.Connection, name: str, *, owner: int | None) -> bool:
    """Delete the key listed as `name` (of `owner` only, unless None); whether one was."""
    if owner is None:
        cursor = conn.execute("DELETE FROM api_keys WHERE name = ?", (name,))
    else:
        cursor = conn.execute("DELETE FROM api_keys WHERE name = ? AND user_id = ?", (name, owner))
    return cursor.rowcount > 0


def api_key_nodes(conn: sqlite3.Connection, user_id: int) -> list[dict[str, Any]]:
    """The user's API keys as ApiKey nodes, by public name (also their id), oldest first."""
    rows = conn.execute(
        "SELECT name, description FROM api_keys WHERE user_id = ? ORDER BY id", (user_id,)
    )
    return [{"id": name, "name": name, "description": description} for name, description in rows]


def viewer_for_key(conn: sqlite3.Connection, key: str) -> Viewer | None:
    row = conn.execute(
        "SELECT users.id, users.username, users.entity_id, entities.name FROM api_keys"
        " JOIN users ON users.id = api_keys.user_id"
        " JOIN entities ON entities.id = users.entity_id WHERE api_keys.key_hash = ?",
        (_digest(key),),
    ).fetchone()
    if row is None:
        return None
    members = conn.execute("SELECT entity_id FROM memberships WHERE user_id = ?", (row[0],))
    return Viewer(
        user_id=row[0],
        username=row[1],
        entity_id=row[2],
        entity_name=row[3],
        entity_ids=frozenset(member for (member,) in members),
    )


def user_record(conn: sqlite3.Connection, user_id: int) -> dict[str, Any] | None:
    """A user as the GraphQL User type reads it; keys starting with `_` are internal."""
    row = conn.execute(
        "SELECT users.id, users.username, users.name, users.email, users.admin, entities.name"
        " FROM users JOIN entities ON entities.id = users.entity_id WHERE users.id = ?",
        (user_id,),
    ).fetchone()
    if row is None:
        return None
    return {
        "_row": row[0],
        "id": encode_id("User", row[0]),
        "username": row[1],
        "name": row[2],
        "email": row[3],
        "admin": bool(row[4]),
        "entity": row[5],
        "flags": "{}",
        "deletedAt": None,
        "photoUrl": None,
    }


def visible_entity(conn: sqlite3.Connection, viewer: Viewer, name: str | None) -> int | None:
    """The id of entity `name` (default: the viewer's) if the viewer belongs to it."""
    if name is None:
        return viewer.entity_id
    row = conn.execute("SELECT id FROM entities WHERE name = ?", (name,)).fetchone()
    if row is None or row[0] not in viewer.entity_ids:
        return None
    return int(row[0])
