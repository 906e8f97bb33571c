"""The shop's policy rules and reason codes, as stored and as the domain needs them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise.transactions import in_transaction

from domain.errors import NotFound, PermissionDenied, ValidationError
from domain.policy import DEFAULT_REASONS, Policy, PolicyBook, ReasonClass, apply_overrides
from domain.returns import Actor, Role
from models import PolicyRule, ReasonCode

SCOPES = ("default", "channel", "category", "sku")


async def load_policy_book() -> PolicyBook:
    """Read every policy rule into a PolicyBook."""
    layers: dict[str, dict[str, Mapping[str, Any]]] = {scope: {} for scope in SCOPES}
    for rule in await PolicyRule.all():
        layers[rule.scope][rule.key] = rule.settings
    return PolicyBook(
        default=layers["default"].get("", {}),
        channels=layers["channel"],
        categories=layers["category"],
        skus=layers["sku"],
    )


async def save_policy_rule(
    scope: str, key: str, settings: Mapping[str, Any], *, actor: Actor
) -> None:
    """Create or replace the settings of one scope; refuse unknown fields or bad values."""
    if Role.ADMIN not in actor.roles:
        raise PermissionDenied(action="edit_policy")
    if scope not in SCOPES or (scope == "default") != (key == ""):
        raise ValidationError("invalid_policy_scope", scope=scope)
    apply_overrides(Policy(), settings)
    async with in_transaction():
        await PolicyRule.update_or_create(
            scope=scope, key=key, defaults={"settings": dict(settings), "updated_by": actor.label}
        )


async def ensure_default_reasons() -> None:
    """Create the default reason codes that do not exist yet."""
    for position, (code, policy_class) in enumerate(DEFAULT_REASONS.items()):
        await ReasonCode.get_or_create(
            code=code, defaults={"policy_class": policy_class, "position": position}
        )


async def active_reason_class(code: str) -> ReasonClass:
    """Return the policy class of an active reason code, or raise NotFound."""
    reason = await ReasonCode.get_or_none(code=code, active=True)
    if reason is None:
        raise NotFound("unknown_reason", reason=code)
    return ReasonClass(reason.policy_class)
