"""The shop's policy rules and reason codes, as stored and as the domain needs them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from domain.clock import Clock, SystemClock
from domain.errors import NotFound, PermissionDenied, ValidationError
from domain.policy import DEFAULT_REASONS, Policy, PolicyBook, ReasonClass, apply_overrides
from domain.returns import Actor, Role
from models import PolicyRule, ReasonCode
from services.audit import record_audit_entry, rule_name

SCOPES = ("default", "channel", "category", "sku")
# the book read inside a ``policy_book_once`` block (None: outside any block, read every time)
_book_memo: ContextVar[list[PolicyBook] | None] = ContextVar("policy_book_memo", default=None)


@contextmanager
def policy_book_once() -> Iterator[None]:
    """Within the block, ``load_policy_book`` reads the rules once and then returns that book.

    For one short unit of work (a chat update and its transaction) in which several services
    each need the book: it saves a query per extra reader, and a rule saved meanwhile is seen
    by the next unit of work, as if this one had begun a moment earlier. Not for blocks that
    edit the rules.
    """
    token = _book_memo.set([])
    try:
        yield
    finally:
        _book_memo.reset(token)


async def load_policy_book() -> PolicyBook:
    """Read every policy rule into a PolicyBook (once per ``policy_book_once`` block)."""
    memo = _book_memo.get()
    if memo is None:
        return await _read_policy_book()
    if not memo:
        memo.append(await _read_policy_book())
    return memo[0]


async def _read_policy_book() -> PolicyBook:
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
    scope: str,
    key: str,
    settings: Mapping[str, Any],
    *,
    actor: Actor,
    clock: Clock | None = None,
) -> None:
    """Create or replace the settings of one scope; refuse unknown fields or bad values.

    The audit trail keeps who saved which settings, in the same transaction."""
    if Role.ADMIN not in actor.roles:
        raise PermissionDenied(action="edit_policy")
    if scope not in SCOPES or (scope == "default") != (key == ""):
        raise ValidationError("invalid_policy_scope", scope=scope)
    if not settings:
        raise ValidationError("policy_rule_empty", scope=scope)
    apply_overrides(Policy(), settings)
    book = await load_policy_book()
    book.with_rule(scope, key, settings).check_reminders(before=book)
    await _known_reasons(settings.get("auto_approve_reasons", ()))
    async with in_transaction():
        await PolicyRule.update_or_create(
            scope=scope, key=key, defaults={"settings": dict(settings), "updated_by": actor.label}
        )
        details = {"scope": scope, "key": key, "settings": dict(settings)}
        await _audit(actor, clock, "save_policy_rule", rule_name(scope, key), details)


async def _audit(
    actor: Actor, clock: Clock | None, action: str, subject: str, details: Mapping[str, Any]
) -> None:
    now = (clock or SystemClock()).now()
    await record_audit_entry(actor, action, subject, now, details=details)


async def _known_reasons(codes: Iterable[str]) -> None:
    """Refuse reason codes the shop does not have (retired ones still count)."""
    known = {str(code) for code in await ReasonCode.all().values_list("code", flat=True)}
    unknown = sorted(set(codes) - known)
    if unknown:
        field = "auto_approve_reasons"
        allowed = ", ".join(sorted(known))
        raise ValidationError("policy_reason_list", field=field, value=unknown[0], allowed=allowed)


async def ensure_default_reasons() -> None:
    """Create the default reason codes that do not exist yet."""
    for position, (code, policy_class) in enumerate(DEFAULT_REASONS.items()):
        await ReasonCode.get_or_create(
            code=code, defaults={"policy_class": policy_class, "position": position}
        )


async def active_reasons() -> list[ReasonCode]:
    """The reasons a customer can choose now, in the order customers see them."""
    return await ReasonCode.filter(active=True).order_by("position")


async def active_reason(code: str) -> ReasonCode | None:
    """The reason a customer can choose now under ``code``, if there is one."""
    return await ReasonCode.get_or_none(code=code, active=True)


async def active_reason_class(code: str) -> ReasonClass:
    """Return the policy class of an active reason code, or raise NotFound."""
    reason = await active_reason(code)
    if reason is None:
        raise NotFound("unknown_reason", reason=code)
    return ReasonClass(reason.policy_class)


# The editor's reads and the reason codes' upkeep ------------------------------------------

REASON_CODE = re.compile(r"[a-z][a-z0-9_]{1,39}")
REASON_LABEL_MAX = 60
REASON_LANGUAGES = ("en", "zh_Hans", "ru")


@dataclass(frozen=True)
class RuleView:
    """One stored policy rule: its scope, key, settings and last change."""

    scope: str
    key: str
    settings: dict[str, Any]
    updated_by: str
    updated_at: datetime


def _rule_view(rule: PolicyRule) -> RuleView:
    return RuleView(rule.scope, rule.key, dict(rule.settings), rule.updated_by, rule.updated_at)


async def list_policy_rules() -> list[RuleView]:
    """Every stored rule: the default first, then channels, categories and SKUs by key."""
    rules = [_rule_view(r) for r in await PolicyRule.all()]
    return sorted(rules, key=lambda r: (SCOPES.index(r.scope), r.key))


async def policy_rule(scope: str, key: str) -> RuleView | None:
    """The stored rule of one scope and key, if there is one."""
    rule = await PolicyRule.get_or_none(scope=scope, key=key)
    return _rule_view(rule) if rule else None


async def delete_policy_rule(
    scope: str, key: str, *, actor: Actor, clock: Clock | None = None
) -> None:
    """Remove a channel, category or SKU override (the default cannot be removed)."""
    if Role.ADMIN not in actor.roles:
        raise PermissionDenied(action="edit_policy")
    if scope not in SCOPES[1:]:
        raise ValidationError("invalid_policy_scope", scope=scope)
    async with in_transaction():
        if not await PolicyRule.filter(scope=scope, key=key).delete():
            raise NotFound("policy_rule_not_found", scope=scope, key=key)
        details = {"scope": scope, "key": key}
        await _audit(actor, clock, "delete_policy_rule", rule_name(scope, key), details)


@dataclass(frozen=True)
class ReasonView:
    code: str
    policy_class: ReasonClass
    labels: dict[str, str]
    active: bool
    position: int


def _reason_view(reason: ReasonCode) -> ReasonView:
    return ReasonView(
        reason.code,
        ReasonClass(reason.policy_class),
        dict(reason.labels),
        reason.active,
        reason.position,
    )


async def list_reason_codes() -> list[ReasonView]:
    """Every reason code, retired ones too, in the order customers see them."""
    return [_reason_view(r) for r in await ReasonCode.all().order_by("position", "code")]


def _admin(actor: Actor) -> None:
    if Role.ADMIN not in actor.roles:
        raise PermissionDenied(action="edit_reasons")


async def _reason(code: str) -> ReasonCode:
    reason = await ReasonCode.get_or_none(code=code)
    if reason is None:
        raise NotFound("unknown_reason", reason=code)
    return reason


async def add_reason_code(
    code: str,
    policy_class: str,
    *,
    labels: Mapping[str, str] | None = None,
    actor: Actor,
    clock: Clock | None = None,
) -> ReasonView:
    """Create a reason code tied to a policy class, shown last; refuse bad or taken codes."""
    _admin(actor)
    if not REASON_CODE.fullmatch(code):
        raise ValidationError("invalid_reason_code", field="code", value=code)
    if policy_class not in set(ReasonClass):
        raise ValidationError("invalid_reason_class", field="policy_class", value=policy_class)
    clean = {lang: _reason_label(lang, text) for lang, text in (labels or {}).items() if text}
    _named(code, clean)
    async with in_transaction():
        if await ReasonCode.exists(code=code):
            raise ValidationError("reason_code_taken", field="code", value=code)
        last = await ReasonCode.all().order_by("-position").first()
        reason = await ReasonCode.create(
            code=code,
            policy_class=policy_class,
            labels=clean,
            position=(last.position + 1) if last else 0,
        )
        details = {"policy_class": policy_class, "labels": clean}
        await _audit(actor, clock, "add_reason", code, details)
    return _reason_view(reason)


def _named(code: str, labels: Mapping[str, str]) -> None:
    """Refuse a reason of the shop's own with no label: staff and customers would read its
    code (a built-in reason has its name in the catalogs)."""
    if code not in DEFAULT_REASONS and not labels:
        raise ValidationError("reason_label_required", field="labels", value=code)


def _reason_label(language: str, label: str) -> str:
    if language not in REASON_LANGUAGES:
        raise ValidationError("invalid_language", field="language", value=language)
    label = label.strip()
    if len(label) > REASON_LABEL_MAX:
        raise ValidationError("text_too_long", field=f"label_{language}", max=REASON_LABEL_MAX)
    return label


async def rename_reason_code(
    code: str, labels: Mapping[str, str], *, actor: Actor, clock: Clock | None = None
) -> ReasonView:
    """Set the reason's label in the given languages; an empty label removes that language's
    own label (the chat then falls back to its catalog's wording). A change is audited;
    the same labels again change nothing."""
    _admin(actor)
    clean = {language: _reason_label(language, text) for language, text in labels.items()}
    async with in_transaction():
        reason = await _reason(code)
        before = dict(reason.labels)
        kept = {k: v for k, v in before.items() if k not in clean}
        reason.labels = {**kept, **{k: v for k, v in clean.items() if v}}
        _named(code, reason.labels)
        if reason.labels != before:
            await reason.save(update_fields=["labels"])
            details = {"before": before, "after": reason.labels}
            await _audit(actor, clock, "rename_reason", code, details)
    return _reason_view(reason)


async def set_reason_active(
    code: str, active: bool, *, actor: Actor, clock: Clock | None = None
) -> ReasonView:
    """Retire a reason (customers no longer see it; old requests keep it) or bring it back;
    a change is audited."""
    _admin(actor)
    async with in_transaction():
        reason = await _reason(code)
        others = ReasonCode.filter(active=True).exclude(code=code)
        if active is False and await others.count() == 0:
            raise ValidationError("last_reason_code", field="code", value=code)
        if reason.active != active:
            reason.active = active
            await reason.save(update_fields=["active"])
            action = "restore_reason" if active else "retire_reason"
            await _audit(actor, clock, action, code, {})
    return _reason_view(reason)
