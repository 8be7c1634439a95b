"""Teams and their members: looking teams up, creating them, inviting and removing
members, and adding service accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runsapi._account_checks import check_flag, check_optional_text, check_rule, check_text
from runsapi._async import _backend
from runsapi._exceptions import (
    GraphQLError,
    NotFoundError,
    PermissionDeniedError,
    ResponseValidationError,
)
from runsapi._shared.account_names import check_team_name

if TYPE_CHECKING:
    from runsapi._async._gql import MemberData, TeamData
    from runsapi._async._session import AsyncSession as _Session


class AsyncMember:
    """A member of a team: a user, or one of the team's service accounts."""

    def __init__(self, session: _Session, team: AsyncTeam, data: MemberData) -> None:
        self._session = session
        self._team = team
        self.team: str = team.name
        """The team's name."""
        self.id: str = data.id or ""
        """The member's id: its user's id."""
        self.username: str | None = data.username
        self.name: str = data.name
        self.email: str | None = data.email
        self.admin: bool = bool(data.admin)
        """Whether the member is one of the team's admins."""
        self.pending: bool = bool(data.pending)
        """Whether the member was invited and has not joined yet."""
        self.account_type: str | None = data.account_type
        """`USER`, or `SERVICE` for a service account."""

    async def delete(self) -> bool:
        """Remove the member from the team (a service account is deleted, with its keys),
        then reload the team; whether it was a member still. Takes a server admin or one
        of the team's admins (else PermissionDeniedError, and nothing changes)."""
        result = await self._session.gql.delete_invite(id=self.id, entity=self.team)
        removed = bool(result.delete_invite and result.delete_invite.success)
        if removed:
            await self._team.load(force=True)
        return removed

    def __repr__(self) -> str:
        return f"<Member {self.username or self.name} of {self.team} ({self.account_type})>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AsyncMember) and (other.team, other.id) == (self.team, self.id)

    def __hash__(self) -> int:
        return hash((self.team, self.id))


class AsyncTeam:
    """A team and its members, as loaded; `invite`, `create_service_account` and
    `Member.delete` reload it. (`Api.team` of a user's own entity gives a Team too, with
    `is_team` False and that user its one member, as the official client's does.)

    Changing members takes a server admin or one of the team's admins: anyone else gets
    PermissionDeniedError, and nothing changes.
    """

    def __init__(self, session: _Session, data: TeamData) -> None:
        self._session = session
        self._lock = _backend.RLock()
        self._set(data)

    def _set(self, data: TeamData) -> None:
        self.id: str = data.id
        self.name: str = data.name
        self.is_team: bool = data.is_team
        self.members: list[AsyncMember] = [
            AsyncMember(self._session, self, member) for member in data.members
        ]
        """The members, oldest user first."""

    async def load(self, force: bool = False) -> AsyncTeam:
        """Reload the team and its members from the server when `force`."""
        if force:
            async with self._lock:
                self._set(await _team_data(self._session, self.name))
        return self

    async def invite(self, username_or_email: str, admin: bool = False) -> bool:
        """Add an existing user (by username, or by e-mail address when the text has an
        `@`) to the team, one of its admins with `admin`, then reload the team.

        True when added; False when the server refused: no such user, or a member
        already. PermissionDeniedError unless the Api's user may change the team's members.
        """
        check_text(username_or_email, "username_or_email")
        check_flag(admin, "admin")
        by_email = "@" in username_or_email
        try:
            await self._session.gql.create_invite(
                entity=self.name,
                admin=admin,
                email=username_or_email if by_email else None,
                username=None if by_email else username_or_email,
            )
        except PermissionDeniedError:
            raise
        except GraphQLError:
            return False
        await self.load(force=True)
        return True

    async def create_service_account(self, description: str) -> AsyncMember:
        """Add a service account to the team (a user of the team's own that signs in with
        API keys only), named by `description`; returns it as a member, the team reloaded."""
        check_text(description, "description")
        result = await self._session.gql.create_service_account(
            entity=self.name, description=description
        )
        created = result.create_service_account.user if result.create_service_account else None
        if created is None:
            raise ResponseValidationError(
                "CreateServiceAccount returned no user",
                operation="CreateServiceAccount",
                error=None,
            )
        await self.load(force=True)
        for member in self.members:
            if member.id == created.id:
                return member
        raise NotFoundError(
            f"the new service account {created.id} is not a member of {self.name}", path=self.name
        )

    def __repr__(self) -> str:
        return f"<Team {self.name} ({len(self.members)} members)>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AsyncTeam) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


async def _team_data(session: _Session, name: str) -> TeamData:
    found = (await session.gql.get_team(name=name)).entity
    if found is None:
        raise NotFoundError(
            f"team {name} not found (members see their teams, server admins every one)",
            path=name,
        )
    return found


async def find_team(session: _Session, name: str) -> AsyncTeam:
    return AsyncTeam(session, await _team_data(session, check_text(name, "team")))


async def create_team(session: _Session, name: str, admin_username: str | None) -> AsyncTeam:
    """A new team; its one member and admin is the Api's user, or `admin_username` (which
    takes a server admin)."""
    team = check_rule(check_team_name, name, "team")
    admin = check_optional_text(admin_username, "admin_username")
    result = await session.gql.create_team(team_name=team, team_admin_user_name=admin)
    created = result.create_team.entity if result.create_team else None
    if created is None:
        raise ResponseValidationError(
            f"CreateTeam returned no team for {team!r}", operation="CreateTeam", error=None
        )
    return AsyncTeam(session, created)
