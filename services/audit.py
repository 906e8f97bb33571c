"""The audit log: every request's events, the changes made outside a request (scrapping,
staff accounts, policy rules and reasons, API tokens, imports) and who last changed staff
accounts and policy rules; and writing those changes to it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.returns import Actor, Status
from models import AuditEntry, PolicyRule, ReturnEvent, StaffUser

PAGE_SIZE = 50
__all__ = [
    "AuditEntryRow",
    "AuditPage",
    "AuditRow",
    "Change",
    "list_audit_entries",
    "list_audit_events",
    "recent_changes",
    "record_audit_entry",
    "rule_name",
]


async def record_audit_entry(
    actor: Actor,
    action: str,
    subject: str,
    now: datetime,
    *,
    note: str = "",
    details: Mapping[str, Any] | None = None,
) -> None:
    """Append one change made outside a request to the audit trail (in the caller's
    transaction, so the change and its entry land together)."""
    await AuditEntry.create(
        actor=actor.label,
        action=action,
        subject=subject,
        details=dict(details or {}),
        note=note,
        created_at=now,
    )


def rule_name(scope: str, key: str) -> str:
    """A policy rule as the audit log names it: ``default``, ``channel:web``."""
    return f"{scope}:{key}" if key else scope


@dataclass(frozen=True)
class AuditRow:
    id: int
    created_at: datetime
    actor: str
    action: str
    from_status: Status | None
    to_status: Status
    note: str
    return_id: int
    return_number: str


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    next_cursor: int | None


def _actor_label(actor: str) -> str:
    """An actor as the records name them: ``rita`` is the staff member ``staff:rita``."""
    return actor if ":" in actor else f"staff:{actor}"


async def list_audit_events(
    *, actor: str = "", action: str = "", before: int | None = None, size: int = PAGE_SIZE
) -> AuditPage:
    """Events across all requests, newest first, paged by id; filtered by exact actor or action.

    An actor without a kind (``rita``) matches the staff member ``staff:rita``.
    """
    found = ReturnEvent.all()
    if actor:
        found = found.filter(actor=_actor_label(actor))
    if action:
        found = found.filter(action=action)
    if before is not None:
        found = found.filter(id__lt=before)
    events = await found.order_by("-id").limit(size + 1).select_related("request")
    rows = [
        AuditRow(
            id=e.id,
            created_at=e.created_at,
            actor=e.actor,
            action=e.action,
            from_status=Status(e.from_status) if e.from_status else None,
            to_status=Status(e.to_status),
            note=e.note,
            return_id=e.request.id,
            return_number=e.request.number,
        )
        for e in events[:size]
    ]
    return AuditPage(rows, rows[-1].id if len(events) > size and rows else None)


@dataclass(frozen=True)
class AuditEntryRow:
    """A change made outside a request: scrapped stock, a staff member's new roles."""

    id: int
    created_at: datetime
    actor: str
    action: str
    subject: str
    details: Mapping[str, Any]
    note: str


async def list_audit_entries(
    *, actor: str = "", action: str = "", size: int = PAGE_SIZE
) -> list[AuditEntryRow]:
    """The latest changes made outside a request, newest first, filtered like the events."""
    found = AuditEntry.all()
    if actor:
        found = found.filter(actor=_actor_label(actor))
    if action:
        found = found.filter(action=action)
    entries = await found.order_by("-id").limit(size)
    return [
        AuditEntryRow(e.id, e.created_at, e.actor, e.action, e.subject, e.details, e.note)
        for e in entries
    ]


@dataclass(frozen=True)
class Change:
    """The last change to a staff account or a policy rule: what, by whom, when."""

    kind: str
    subject: str
    updated_by: str
    updated_at: datetime


async def recent_changes(limit: int = 20) -> list[Change]:
    """The most recently changed staff accounts and policy rules (their last change only:
    these records keep who and when, not a history)."""
    staff = await StaffUser.exclude(updated_by="").order_by("-updated_at").limit(limit)
    rules = await PolicyRule.all().order_by("-updated_at").limit(limit)
    changes = [Change("staff_user", s.username, s.updated_by, s.updated_at) for s in staff]
    changes += [
        Change("policy_rule", rule_name(r.scope, r.key), r.updated_by, r.updated_at) for r in rules
    ]
    return sorted(changes, key=lambda c: c.updated_at, reverse=True)[:limit]
