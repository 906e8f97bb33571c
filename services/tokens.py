"""API tokens for the JSON API: made by an admin, shown once, kept only as a hash.

A token is ``secrets.token_urlsafe(32)``: 256 random bits. It is stored as its SHA-256 hex
digest and nothing else, so a leaked table does not let anyone call the API.

A fast hash is the right choice here, unlike for passwords: argon2 and friends exist to make
guessing a *low-entropy* secret expensive. Nobody can enumerate 2**256 candidates however
cheap each guess is, so a slow hash would only cost every API call time and buy nothing. A
deterministic hash also lets ``verify_api_token`` find the row by an index lookup instead of
trying every stored hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from domain.clock import Clock, SystemClock
from domain.errors import NotFound, PermissionDenied, ValidationError
from domain.returns import Actor, Role
from models import ApiToken
from services.audit import record_audit_entry

__all__ = [
    "ApiTokenView",
    "create_api_token",
    "list_api_tokens",
    "revoke_api_token",
    "verify_api_token",
]

NAME_LIMIT = 100
# token_urlsafe(32) is 43 characters; anything much longer is not one of ours.
PLAIN_LIMIT = 200


@dataclass(frozen=True)
class ApiTokenView:
    """One token as the admin page lists it (never the token itself)."""

    id: int
    name: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def _require_admin(actor: Actor, action: str) -> None:
    if Role.ADMIN not in actor.roles:
        raise PermissionDenied(action=action)


async def create_api_token(name: str, *, actor: Actor, clock: Clock | None = None) -> str:
    """Make a token called ``name`` and return it in plain text: the only time it is seen.

    Only admins may. The name is what the token's calls are recorded under
    (``api:<name>``); it need not be unique, revoked and live tokens may share one. The
    audit trail keeps who made it. Raises ``PermissionDenied`` for anyone else and
    ``ValidationError`` for an empty or over-long name.
    """
    _require_admin(actor, "create_api_token")
    name = name.strip()
    if not name or len(name) > NAME_LIMIT:
        raise ValidationError("invalid_token_name", max=NAME_LIMIT)
    plain = secrets.token_urlsafe(32)
    async with in_transaction():
        token = await ApiToken.create(name=name, token_hash=_digest(plain), created_by=actor.label)
        await _audit(actor, (clock or SystemClock()).now(), "create_token", token)
    return plain


async def _audit(actor: Actor, now: datetime, action: str, token: ApiToken) -> None:
    await record_audit_entry(actor, action, token.name, now, details={"token_id": token.id})


async def revoke_api_token(
    token_id: int, *, actor: Actor, clock: Clock | None = None
) -> ApiTokenView:
    """Refuse the token from now on; revoking a revoked token keeps its first revocation time.

    Only admins may (``PermissionDenied``); an unknown id raises ``NotFound``. The audit
    trail keeps who revoked it (once).
    """
    _require_admin(actor, "revoke_api_token")
    async with in_transaction():
        # held until the end (PostgreSQL): of two revocations at once, the second waits and
        # finds the token revoked
        token = await ApiToken.filter(id=token_id).select_for_update().first()
        if token is None:
            raise NotFound("token_not_found", token_id=token_id)
        if token.revoked_at is None:
            token.revoked_at = (clock or SystemClock()).now()
            await token.save(update_fields=["revoked_at"])
            await _audit(actor, token.revoked_at, "revoke_token", token)
    return _view(token)


async def list_api_tokens(*, actor: Actor) -> list[ApiTokenView]:
    """Every token, newest first, live or revoked; only admins may see them."""
    _require_admin(actor, "list_api_tokens")
    return [_view(token) for token in await ApiToken.all().order_by("-created_at", "-id")]


async def verify_api_token(plain: str) -> str | None:
    """Return the name of the live token ``plain`` is, or None (unknown, revoked, garbage).

    The lookup is by the SHA-256 of what was sent, so any timing it leaks is about a hash the
    caller cannot steer, never about the stored token; the final compare is constant-time too.
    """
    if not plain or len(plain) > PLAIN_LIMIT:
        return None
    digest = _digest(plain)
    token = await ApiToken.get_or_none(token_hash=digest, revoked_at=None)
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    return str(token.name)


def _view(token: ApiToken) -> ApiTokenView:
    return ApiTokenView(
        id=token.id,
        name=token.name,
        created_by=token.created_by,
        created_at=token.created_at,
        revoked_at=token.revoked_at,
    )
