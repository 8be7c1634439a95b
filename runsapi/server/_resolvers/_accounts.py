"""Teams, users and API keys: `entity`, `users`, a user's `apiKeys` and `teams`, an
entity's `members`, and the mutations that create teams, invites, service accounts,
users and keys.

Who may do what is decided in _accounts.py and _teams.py (PermissionDenied, before any
change): server admins list and create users and manage every team and key; a team's
admins manage its members; everyone creates teams of their own and keys for themselves.
"""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType

from runsapi._shared.account_names import check_email
from runsapi.server import _accounts, _teams
from runsapi.server._context import (
    Record,
    RequestContext,
    ResolveInfo,
    context_of,
    page_size,
)
from runsapi.server._ids import decode_id, encode_id
from runsapi.server._time import now

query = QueryType()
mutation = MutationType()
user = ObjectType("User")
entity = ObjectType("Entity")


@query.field("entity")
def _entity(_: Any, info: ResolveInfo, name: str) -> Record | None:
    context = context_of(info)
    found = _teams.find_entity(context.conn, name)
    if found is None or not _teams.may_see(context.conn, context.viewer, found):
        return None
    return _teams.entity_record(context.conn, found)


@query.field("users")
def _users(_: Any, info: ResolveInfo, query: str | None = None, first: int | None = None) -> Record:
    context = context_of(info)
    _accounts.require_admin(context.conn, context.viewer, "list users")
    found = _accounts.search_users(context.conn, query)
    shown = found if first is None else found[: page_size(first)]
    return {"edges": [{"node": context.user(row)} for row in shown]}


@entity.field("organization")
def _organization(_record: Record, _info: ResolveInfo) -> Record | None:
    """No organizations here: the SDK's system monitor asks, and takes null."""
    return None


@entity.field("members")
def _members(record: Record, info: ResolveInfo) -> list[Record]:
    return _teams.member_records(context_of(info).conn, decode_id("Entity", record["id"]))


def _may_manage(context: RequestContext, user_record: Record) -> bool:
    """Whether the viewer may see the user's keys and teams: its own, or as an admin."""
    viewer = context.viewer.user_id
    return bool(user_record["_row"] == viewer) or _accounts.is_admin(context.conn, viewer)


@user.field("apiKeys")
def _api_keys(record: Record, info: ResolveInfo) -> Record:
    context = context_of(info)
    if not _may_manage(context, record):
        return {"edges": []}
    nodes = _accounts.api_key_nodes(context.conn, record["_row"])
    return {"edges": [{"node": node} for node in nodes]}


@user.field("teams")
def _teams_of(record: Record, info: ResolveInfo) -> Record:
    context = context_of(info)
    if not _may_manage(context, record):
        return {"edges": []}
    nodes = _teams.entities_of(context.conn, record["_row"])
    return {"edges": [{"node": node} for node in nodes]}


@mutation.field("createTeam")
def _create_team(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    viewer = context.viewer
    admin_name = input.get("teamAdminUserName")
    with context.store.write() as conn:
        admin = viewer.user_id
        if admin_name is not None and admin_name != viewer.username:
            _accounts.require_admin(conn, viewer, "make another user a new team's admin")
            found = _accounts.user_by_username(conn, admin_name)
            if found is None:
                raise ValueError(f"no user named {admin_name!r}")
            admin = found
        team = _teams.create_team(conn, input["teamName"], admin)
    context.accounts_changed()
    return {"entity": _teams.entity_record(context.conn, team)}


@mutation.field("createInvite")
def _create_invite(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    email, username = input.get("email"), input.get("username")
    with context.store.write() as conn:
        team = _teams.managed_team(conn, context.viewer, input["entityName"])
        invitee = _teams.invitee(conn, email=email, username=username)
        _teams.add_member(conn, team, invitee, admin=bool(input.get("admin")))
    context.accounts_changed()
    invited = context.user(invitee)
    assert invited is not None
    return {
        "invite": {
            "id": encode_id("User", invitee),
            "name": invited["username"],
            "email": invited["email"],
            "createdAt": now(),
            "toUser": invited,
        }
    }


@mutation.field("deleteInvite")
def _delete_invite(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    member, team_name = input.get("id"), input.get("entityName")
    if member is None or team_name is None:
        raise ValueError("deleteInvite needs the member's id and the team's name (entityName)")
    with context.store.write() as conn:
        team = _teams.managed_team(conn, context.viewer, team_name)
        removed = _teams.remove_member(conn, team, decode_id("User", member))
    context.accounts_changed()
    return {"success": removed}


@mutation.field("createServiceAccount")
def _create_service_account(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    with context.store.write() as conn:
        team = _teams.managed_team(conn, context.viewer, input["entityName"])
        account = _teams.create_service_account(conn, team, input["description"])
    return {"user": context.user(account)}


@mutation.field("createUser")
def _create_user(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    with context.store.write() as conn:
        _accounts.require_admin(conn, context.viewer, "create users")
        email = check_email(input["email"])
        created = _accounts.create_user_from_email(conn, email, admin=bool(input.get("admin")))
    return {"user": context.user(created)}


@mutation.field("generateApiKey")
def _generate_api_key(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    viewer = context.viewer
    target = input.get("userId")
    owner = viewer.user_id if target is None else decode_id("User", target)
    with context.store.write() as conn:
        if owner != viewer.user_id:
            _accounts.require_admin(conn, viewer, "make API keys for other users")
            if _accounts.user_record(conn, owner) is None:
                raise ValueError(f"no user with id {target!r}")
        key = _accounts.generate_api_key(conn, owner, input.get("description"))
    return {"apiKey": key}


@mutation.field("deleteApiKey")
def _delete_api_key(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    viewer = context.viewer
    with context.store.write() as conn:
        owner = None if _accounts.is_admin(conn, viewer.user_id) else viewer.user_id
        deleted = _accounts.delete_api_key(conn, input["id"], owner=owner)
    context.accounts_changed()
    return {"success": deleted}


BINDABLES = (query, mutation, user, entity)
