"""Staff accounts: creating them, their roles, and checking their passwords (argon2)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.errors import NotFound, PermissionDenied, ValidationError
from domain.returns import STAFF, Actor, Role
from models import StaffUser
from services.audit import record_audit_entry

USERNAME = re.compile(r"[a-z][a-z0-9_.-]{2,31}")
MIN_PASSWORD = 10
LANGUAGES = ("en", "zh_Hans", "ru")
# Who made an account with `returndesk user add`, in the audit trail.
CONSOLE = Actor.system("cli")
_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")


def _roles(names: Iterable[str]) -> list[str]:
    roles = sorted(set(names))
    if not roles or not set(roles) <= {str(r) for r in STAFF}:
        raise ValidationError("invalid_roles", roles=",".join(roles))
    return roles


@dataclass(frozen=True)
class _NewAccount:
    """A new account's checked fields, its password already hashed."""

    username: str
    password_hash: str
    roles: list[str]
    language: str


def _new_account(username: str, password: str, roles: Iterable[str], language: str) -> _NewAccount:
    """Check a new account's fields and hash its password (slow on purpose: call it before
    any transaction opens)."""
    if not USERNAME.fullmatch(username):
        raise ValidationError("invalid_username", username=username)
    if len(password) < MIN_PASSWORD:
        raise ValidationError("password_too_short", minimum=MIN_PASSWORD)
    if language not in LANGUAGES:
        raise ValidationError("invalid_language", value=language)
    chosen = _roles(roles)
    return _NewAccount(username, _hasher.hash(password), chosen, language)


async def _insert(account: _NewAccount) -> StaffUser:
    """Create the account; ``username_taken`` if the name is taken, even by an account made
    at the same moment (the unique index refuses the second)."""
    if await StaffUser.exists(username=account.username):
        raise ValidationError("username_taken", username=account.username)
    try:
        return await StaffUser.create(
            username=account.username,
            password_hash=account.password_hash,
            roles=account.roles,
            language=account.language,
        )
    except IntegrityError:
        raise ValidationError("username_taken", username=account.username) from None


async def add_staff_user(
    username: str, password: str, roles: Iterable[str], *, language: str = "en"
) -> StaffUser:
    """Create a staff account; the password is kept only as an argon2 hash."""
    return await _insert(_new_account(username, password, roles, language))


async def authenticate(username: str, password: str) -> StaffView | None:
    """Return the account if the password matches an active one; its ``session_epoch`` is
    what the new session holds (see ``signed_in_staff``)."""
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
    return _staff_view(user)


async def set_language(staff_id: int, language: str) -> None:
    """Remember the staff member's page language."""
    if language not in LANGUAGES:
        raise ValidationError("invalid_language", value=language)
    await StaffUser.filter(id=staff_id).update(language=language)


# Staff accounts in the back-office (admins only) ------------------------------------------


@dataclass(frozen=True)
class StaffView:
    id: int
    username: str
    roles: tuple[str, ...]
    language: str
    active: bool
    updated_by: str
    updated_at: datetime
    session_epoch: int


def _staff_view(user: StaffUser) -> StaffView:
    return StaffView(
        user.id,
        user.username,
        tuple(user.roles),
        user.language,
        user.active,
        user.updated_by,
        user.updated_at,
        user.session_epoch,
    )


def _admin(actor: Actor) -> None:
    if Role.ADMIN not in actor.roles:
        raise PermissionDenied(action="manage_staff")


async def list_staff_users() -> list[StaffView]:
    """Every staff account, active ones first, by name."""
    users = await StaffUser.all().order_by("-active", "username")
    return [_staff_view(u) for u in users]


async def signed_in_staff(staff_id: int, session_epoch: int) -> StaffView | None:
    """The active account behind a session begun in ``session_epoch``; None once the
    account is deactivated or gone, or its sessions have ended since (``end_sessions``)."""
    user = await StaffUser.get_or_none(id=staff_id, active=True, session_epoch=session_epoch)
    return _staff_view(user) if user else None


async def end_sessions(staff_id: int) -> int:
    """End every session of the account, on every device (signing out does: a copied
    session cookie stops working with it); return the account's new session epoch."""
    # F(): two ends at once both move the epoch on, so no session begun between them lives.
    await StaffUser.filter(id=staff_id).update(session_epoch=F("session_epoch") + 1)
    return (await StaffUser.get(id=staff_id).only("id", "session_epoch")).session_epoch


async def staff_user(staff_id: int) -> StaffView:
    """One staff account; NotFound if there is none."""
    user = await StaffUser.get_or_none(id=staff_id)
    if user is None:
        raise NotFound("staff_not_found", staff_id=staff_id)
    return _staff_view(user)


async def create_staff_user(
    username: str,
    password: str,
    roles: Iterable[str],
    *,
    language: str,
    actor: Actor,
    clock: Clock,
) -> StaffView:
    """``add_staff_user`` on an admin's behalf: the same checks, and who did it is kept (on
    the account and in the audit trail)."""
    _admin(actor)
    return await _create_audited(
        username, password, roles, language=language, actor=actor, clock=clock
    )


async def create_staff_user_from_console(
    username: str, password: str, roles: Iterable[str], *, language: str, clock: Clock
) -> StaffView:
    """``add_staff_user`` for whoever runs ``returndesk user add`` on the server (the
    first admin is made this way): audited as the command line."""
    return await _create_audited(
        username, password, roles, language=language, actor=CONSOLE, clock=clock
    )


async def _create_audited(
    username: str, password: str, roles: Iterable[str], *, language: str, actor: Actor, clock: Clock
) -> StaffView:
    account = _new_account(username, password, roles, language)  # hashed outside the transaction
    async with in_transaction():
        user = await _insert(account)
        user.updated_by = actor.label
        await user.save(update_fields=["updated_by", "updated_at"])
        await _audit(actor, clock, "create_staff", user, roles=sorted(user.roles))
    return _staff_view(user)


async def _audit(actor: Actor, clock: Clock, action: str, user: StaffUser, **details: Any) -> None:
    details = {"staff_id": user.id, **details}
    await record_audit_entry(actor, action, user.username, clock.now(), details=details)


async def _active_admins_besides(staff_id: int) -> int:
    """Count the other active admins, locking every active account until the transaction
    ends (PostgreSQL; in one order, so two admins demoting themselves at once take turns)."""
    users = await StaffUser.filter(active=True).order_by("id").select_for_update()
    return sum(1 for u in users if u.id != staff_id and str(Role.ADMIN) in u.roles)


async def _locked_user(staff_id: int) -> StaffUser:
    """The account, held until the transaction ends (PostgreSQL): two admins changing it at
    once take turns, and the second sees what the first did. Taken after the active
    accounts (``_active_admins_besides``), in the same order everywhere."""
    user = await StaffUser.filter(id=staff_id).select_for_update().first()
    if user is None:
        raise NotFound("staff_not_found", staff_id=staff_id)
    return user


async def set_staff_active(staff_id: int, active: bool, *, actor: Actor, clock: Clock) -> StaffView:
    """Deactivate an account (its sessions end at once, and stay ended after a
    reactivation) or reactivate it; the change is audited, the same state again changes
    nothing.

    Refused for one's own account and for the last active admin, so nobody locks the
    shop out of its back-office.
    """
    _admin(actor)
    async with in_transaction():
        other_admins = await _active_admins_besides(staff_id)  # first: it takes the locks
        user = await _locked_user(staff_id)
        if not active and staff_id == actor.id:
            raise ValidationError("cannot_deactivate_self")
        admin = str(Role.ADMIN) in user.roles
        if not active and admin and other_admins == 0:
            raise ValidationError("last_admin")
        if user.active != active:
            user.active, user.updated_by = active, actor.label
            await user.save(update_fields=["active", "updated_by", "updated_at"])
            if not active:
                user.session_epoch = await end_sessions(staff_id)
            await _audit(actor, clock, "reactivate_staff" if active else "deactivate_staff", user)
    return _staff_view(user)


async def reset_password(staff_id: int, password: str, *, actor: Actor, clock: Clock) -> StaffView:
    """Give an account a new password (kept only as an argon2 hash) and end its sessions;
    the reset is audited."""
    _admin(actor)
    if len(password) < MIN_PASSWORD:
        raise ValidationError("password_too_short", field="password", minimum=MIN_PASSWORD)
    password_hash = _hasher.hash(password)  # slow on purpose: not while holding a transaction
    async with in_transaction():
        user = await StaffUser.get_or_none(id=staff_id)
        if user is None:
            raise NotFound("staff_not_found", staff_id=staff_id)
        user.password_hash, user.updated_by = password_hash, actor.label
        await user.save(update_fields=["password_hash", "updated_by", "updated_at"])
        user.session_epoch = await end_sessions(staff_id)
        await _audit(actor, clock, "reset_password", user)
    return _staff_view(user)


async def change_staff_roles(
    staff_id: int, roles: Iterable[str], *, actor: Actor, clock: Clock
) -> StaffView:
    """Give an account a new set of roles; its sessions hold them from their next page.

    The change is kept in the audit trail with the roles before and after; the same set
    again changes nothing. Refused for no roles or an unknown one, and for taking the admin
    role from the last active admin, so the shop keeps someone who can manage staff.
    """
    _admin(actor)
    chosen = _roles(roles)
    async with in_transaction():
        other_admins = await _active_admins_besides(staff_id)  # first: it takes the locks
        user = await _locked_user(staff_id)  # an inactive account is not among them
        before = sorted(user.roles)
        if chosen == before:
            return _staff_view(user)
        admin = str(Role.ADMIN)
        if admin in before and admin not in chosen and not other_admins:
            raise ValidationError("last_admin")
        user.roles, user.updated_by = chosen, actor.label
        await user.save(update_fields=["roles", "updated_by", "updated_at"])
        await _audit(actor, clock, "change_roles", user, before=before, after=chosen)
    return _staff_view(user)
