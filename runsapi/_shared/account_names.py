"""What new team names and users' e-mail addresses may be: the client checks them before
sending, the server before writing, with the same rules and messages (ValueError)."""

from __future__ import annotations

import re

TEAM_NAME_MAX_LENGTH = 64
# A team's name is an entity name, part of every path and URL of its projects: kept to
# characters that need no quoting there.
_TEAM_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def check_team_name(name: str) -> str:
    if not _TEAM_NAME.fullmatch(name) or len(name) > TEAM_NAME_MAX_LENGTH:
        raise ValueError(
            f"invalid team name {name!r}: team names have at most {TEAM_NAME_MAX_LENGTH}"
            " lowercase letters, digits, '-' and '_', and start with a letter or digit"
        )
    return name


def check_email(email: str) -> str:
    if not _EMAIL.fullmatch(email):
        raise ValueError(
            f"invalid e-mail address {email!r}: expected name@domain.tld, without spaces"
        )
    return email
