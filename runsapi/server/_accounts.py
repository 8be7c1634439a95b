"""Entities, users and API keys, and who may see what.

A user belongs to its own entity and to any team entities; an API key acts as its user
and sees the projects of those entities only (_projects.py). Keys are stored as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

from runsapi.server._constants import API_KEY_BYTES, MIN_API_KEY_LENGTH
from runsapi.server._ids import encode_id

_KEY_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{{MIN_API_KEY_LENGTH},}}")


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


def new_api_key() -> str:
    return secrets.token_hex(API_KEY_BYTES)


def entity_id(conn: sqlite3.Connection, name: str, *, is_team: bool = False) -> int:
    """The entity named `name`, created if missing."""
    conn.execute(
        "INSERT OR IGNORE INTO entities (name, is_team) VALUES (?, ?)", (name, int(is_team))
    )
    (found,) = conn.execute("SELECT id FROM entities WHERE name = ?", (name,)).fetchone()
    return int(found)


def create_user(
    conn: sqlite3.Connection,
    username: str,
    *,
    api_key: str | None = None,
    teams: tuple[str, ...] = (),
) -> str:
    """Create a user with its own entity (and team memberships); returns its API key."""
    key = api_key or new_api_key()
    own = entity_id(conn, username)
    cursor = conn.execute(
        "INSERT INTO users (username, name, email, entity_id) VALUES (?, ?, ?, ?)",
        (username, username.title(), f"{username}@example.com", own),
    )
    user = int(cursor.lastrowid or 0)
    memberships = [own, *(entity_id(conn, team, is_team=True) for team in teams)]
    conn.executemany(
        "INSERT OR IGNORE INTO memberships (user_id, entity_id) VALUES (?, ?)",
        [(user, member) for member in memberships],
    )
    add_api_key(conn, user, key)
    return key


def add_api_key(conn: sqlite3.Connection, user_id: int, key: str) -> None:
    """Give the user this key (a no-op if it has it already)."""
    if not _KEY_PATTERN.fullmatch(key):
        raise ValueError(f"API keys need at least {MIN_API_KEY_LENGTH} characters of [A-Za-z0-9_-]")
    owner = conn.execute(
        "SELECT user_id FROM api_keys WHERE key_hash = ?", (_digest(key),)
    ).fetchone()
    if owner is not None:
        if owner[0] != user_id:
            raise ValueError("this API key belongs to another user")
        return
    conn.execute(
        "INSERT INTO api_keys (user_id, key_hash, name) VALUES (?, ?, ?)",
        (user_id, _digest(key), "api-key"),  # no key material in responses
    )


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
    }


def api_key_nodes(conn: sqlite3.Connection, user_id: int) -> list[dict[str, Any]]:
    """The user's API keys as ApiKey nodes: names only, never key material."""
    rows = conn.execute("SELECT id, name FROM api_keys WHERE user_id = ? ORDER BY id", (user_id,))
    return [
        {"id": encode_id("ApiKey", key_id), "name": name, "description": None}
        for key_id, name in rows
    ]


def entity_nodes(conn: sqlite3.Connection, user_id: int) -> list[dict[str, Any]]:
    """The entities the user belongs to (its own and its teams) as Entity nodes."""
    rows = conn.execute(
        "SELECT entities.id, entities.name FROM memberships"
        " JOIN entities ON entities.id = memberships.entity_id"
        " WHERE memberships.user_id = ? ORDER BY entities.id",
        (user_id,),
    )
    return [{"id": encode_id("Entity", row), "name": name} for row, name in rows]


def visible_entity(conn: sqlite3.Connection, viewer: Viewer, name: str | None) -> int | None:
    """The id of entity `name` (default: the viewer's) if the viewer belongs to it."""
    if name is None:
        return viewer.entity_id
    row = conn.execute("SELECT id FROM entities WHERE name = ?", (name,)).fetchone()
    if row is None or row[0] not in viewer.entity_ids:
        return None
    return int(row[0])


def ensure_user(conn: sqlite3.Connection, username: str, *, api_key: str | None = None) -> str:
    """An API key for `username`: the user is created if missing, else the key is added."""
    row = conn.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
    if row is None:
        return create_user(conn, username, api_key=api_key)
    key = api_key or new_api_key()
    add_api_key(conn, int(row[0]), key)
    return key
