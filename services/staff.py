"""Staff accounts: creating them and checking their passwords (argon2)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import ValidationError
from domain.returns import STAFF, Actor, Role
from models import StaffUser

USERNAME = re.compile(r"[a-z][a-z0-9_.-]{2,31}")
MIN_PASSWORD = 10
LANGUAGES = ("en", "zh_Hans", "ru")
_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")


def _roles(names: Iterable[str]) -> list[str]:
    roles = sorted(set(names))
    if not roles or not set(roles) <= {str(r) for r in STAFF}:
        raise ValidationError("invalid_roles", roles=",".join(roles))
    return roles


async def add_staff_user(
    username: str, password: str, roles: Iterable[str], *, language: str = "en"
) -> StaffUser:
    """Create a staff account; the password is kept only as an argon2 hash."""
    if not USERNAME.fullmatch(username):
        raise ValidationError("invalid_username", username=username)
    if len(password) < MIN_PASSWORD:
        raise ValidationError("password_too_short", minimum=MIN_PASSWORD)
    if language not in LANGUAGES:
        raise ValidationError("invalid_language", value=language)
    if await StaffUser.exists(username=username):
        raise ValidationError("username_taken", username=username)
    return await StaffUser.create(
        username=username,
        password_hash=_hasher.hash(password),
        roles=_roles(roles),
        language=language,
    )


async def authenticate(username: str, password: str) -> Actor | None:
    """Return the staff member's Actor if the password matches an active account."""
    user = await StaffUser.get_or_none(username=username, active=True)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        await user.save(update_fields=["password_hash"])
    return Actor.staff(user.id, user.username, {Role(r) for r in user.roles})


async def set_language(staff_id: int, language: str) -> None:
    """Remember the staff member's page language."""
    if language not in LANGUAGES:
        raise ValidationError("invalid_language", value=language)
    await StaffUser.filter(id=staff_id).update(language=language)
