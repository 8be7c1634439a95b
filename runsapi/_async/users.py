"""Users as a server admin manages them: finding and creating them, and their API keys."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from runsapi._account_checks import check_flag, check_rule, check_text
from runsapi._async import _backend
from runsapi._exceptions import ResponseValidationError, UsageError
from runsapi._shared.account_names import check_email

if TYPE_CHECKING:
    from runsapi._async._gql import UserAccountData
    from runsapi._async._session import AsyncSession as _Session


class AsyncUserAccount:
    """A user of the server, as `Api.user`, `Api.users` and `Api.create_user` (server
    admins only) return it: who it is, its teams, and the names of its API keys, which
    `generate_api_key` and `delete_api_key` change.

    Not a run's `User` (who created the run) nor the `Viewer` (whom the API key belongs
    to), though it names the fields they share alike. `teams` and `api_keys` are as loaded
    (with the keys added and deleted through this object since); look the user up again
    for changes made elsewhere.
    """

    def __init__(self, session: _Session, data: UserAccountData) -> None:
        self._session = session
        self._lock = _backend.RLock()
        self.id: str = data.id
        self.name: str = data.name
        self.username: str | None = data.username
        self.email: str | None = data.email
        self.entity: str | None = data.entity
        """The user's own entity (a service account's: its team)."""
        self.admin: bool = bool(data.admin)
        """Whether the user is a server admin."""
        self.teams: list[str] = [
            edge.node.name for edge in (data.teams.edges if data.teams else []) if edge.node
        ]
        """The entities the user belongs to: its own and its teams."""
        # (id, name) of each key, never the key itself: names are not secret.
        self._keys: list[tuple[str, str]] = [
            (edge.node.id, edge.node.name)
            for edge in (data.api_keys.edges if data.api_keys else [])
            if edge.node
        ]

    @property
    def api_keys(self) -> list[str]:
        """The names of the user's API keys (not the keys: a name cannot be used as one).

        Empty when the server shows them not (only to the user and to server admins).
        """
        with self._lock:
            return [name for _, name in self._keys]

    async def generate_api_key(self, description: str | None = None) -> str:
        """Create an API key for this user and return it: the only time the key is shown.

        Keep it secret; `api_keys` lists it by name. Creating a key for another user than
        the Api's own takes a server admin (else PermissionDeniedError).
        """
        if description is not None and not isinstance(description, str):
            raise UsageError(f"description must be a string or None, got {description!r}")
        result = await self._session.gql.generate_api_key(user_id=self.id, description=description)
        created = result.generate_api_key.api_key if result.generate_api_key else None
        if created is None:
            raise ResponseValidationError(
                "GenerateApiKey returned no key", operation="GenerateApiKey", error=None
            )
        with self._lock:
            # The answer's `name` is the key itself; the key is listed under its id.
            self._keys.append((created.id, created.id))
        return created.name

    async def delete_api_key(self, name: str) -> bool:
        """Delete the API key named `name` (one of `api_keys`); whether the server deleted
        it. A name this user's loaded keys do not have raises UsageError (a ValueError)
        before any request."""
        check_text(name, "name")
        with self._lock:
            ids = [key_id for key_id, key_name in self._keys if key_name == name]
        if not ids:
            raise UsageError(f"{self} has no API key named {name!r}; its keys are {self.api_keys}")
        result = await self._session.gql.delete_api_key(id=ids[0])
        deleted = bool(result.delete_api_key and result.delete_api_key.success)
        if deleted:
            with self._lock:
                self._keys = [key for key in self._keys if key[0] != ids[0]]
        return deleted

    def __repr__(self) -> str:
        email = f" ({self.email})" if self.email else ""
        return f"<UserAccount {self.username or self.name}{email}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AsyncUserAccount) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


async def search_users(session: _Session, username_or_email: str) -> list[AsyncUserAccount]:
    """The users whose username or e-mail address starts or ends with the text."""
    query = check_text(username_or_email, "username_or_email")
    found = (await session.gql.search_users(query=query)).users
    return [
        AsyncUserAccount(session, edge.node) for edge in (found.edges if found else []) if edge.node
    ]


async def find_user(session: _Session, username_or_email: str) -> AsyncUserAccount | None:
    """The user with this username or e-mail address; else the one user whose starts or
    ends with it; else (several) the oldest of them, with a warning; else None."""
    found = await search_users(session, username_or_email)
    wanted = username_or_email.lower()
    for account in found:
        if wanted in {(account.username or "").lower(), (account.email or "").lower()}:
            return account
    if len(found) > 1:
        warnings.warn(
            f"{len(found)} users match {username_or_email!r}, none exactly: returning the"
            f" oldest, {found[0]!r} (Api.users lists them all)",
            UserWarning,
            stacklevel=3,
        )
    return found[0] if found else None


async def create_user(session: _Session, email: str, admin: bool) -> AsyncUserAccount:
    """A new user with this e-mail address (a server admin, with `admin`)."""
    address = check_rule(check_email, email, "email")
    check_flag(admin, "admin")
    result = await session.gql.create_user(email=address, admin=admin)
    created = result.create_user.user if result.create_user else None
    if created is None:
        raise ResponseValidationError(
            f"CreateUser returned no user for {address!r}", operation="CreateUser", error=None
        )
    return AsyncUserAccount(session, created)
