"""The outbox (SPEC §7): claiming due messages, and recording how their delivery went.

Several instances may deliver at once: on PostgreSQL a claim takes due rows with
``FOR UPDATE SKIP LOCKED`` and leases them for a while, so each row goes to one instance;
a lease that runs out (the instance died) makes the row due again. SQLite serializes
transactions, so one instance delivers there.

A lease can also run out under an instance that is still sending (a slow or stalled
request). Every record of how a delivery went therefore names the claim it was made under
(:attr:`Delivery.claimed_until`) and only changes a row still ``sending`` under that claim:
once another instance has re-claimed the message, the late answer is not recorded, so it
cannot put back in the queue (or undo) a message the other instance delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models import Customer, Notification, ReturnRequest
from services.chat.messages import Button, Reply
from services.reminders import is_still_wanted

LEASE = timedelta(minutes=2)
# Staff messages claimed at once: the staff chat is a group, which Telegram (and PTB's
# limiter) holds to 20 messages a minute, and a batch is done when its slowest message is;
# a burst of alerts (escalations after an outage) must not hold customers' messages back
# for minutes, nor outlast the lease and be sent twice.
STAFF_PER_CLAIM = 1
MAX_ATTEMPTS = 5
BACKOFF = (timedelta(seconds=5), timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10))
MONEY_PARAMS = {"amount", "due", "refunded"}
TIME_PARAMS = {"deadline"}


class Status:
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    UNREACHABLE = "unreachable"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Delivery:
    """One claimed message, ready to render in the recipient's language and send."""

    id: int
    template: str
    params: dict[str, Any]
    chat_id: int
    language: str
    attempts: int
    customer_id: int | None
    request_id: int | None
    claimed_until: datetime  # the lease this instance holds it under


def _due(now: datetime) -> Q:
    pending = Q(status=Status.PENDING, due_at__lte=now)
    abandoned = Q(status=Status.SENDING, claimed_until__lt=now)
    return pending | abandoned


async def _lock_due(now: datetime, *, staff_chat: bool, limit: int) -> list[Notification]:
    due = Notification.filter(_due(now), staff_chat=staff_chat).order_by("due_at", "id")
    return await due.limit(limit).select_for_update(skip_locked=True)


async def claim_due(
    now: datetime, *, staff_chat_id: int | None, staff_language: str = "en", limit: int = 50
) -> list[Delivery]:
    """Lease up to ``limit`` due messages to customers and ``STAFF_PER_CLAIM`` to the staff
    chat to this instance; skip those with nowhere to go."""
    until = now + LEASE
    async with in_transaction():
        rows = [
            *await _lock_due(now, staff_chat=False, limit=limit),
            *await _lock_due(now, staff_chat=True, limit=STAFF_PER_CLAIM),
        ]
        await Notification.filter(id__in=[r.id for r in rows]).update(
            status=Status.SENDING, claimed_until=until
        )
    recipients = await _Recipients.of(rows)
    deliveries = []
    for row in rows:
        delivery = recipients.delivery(row, until, staff_chat_id, staff_language)
        if delivery is None:
            await _settle(row.id, until, _finished(Status.SKIPPED, now, "no chat to deliver to"))
        elif not await is_still_wanted(delivery.template, delivery.request_id):
            await finish(delivery, Status.SKIPPED, now, "no longer applies")
        else:
            deliveries.append(delivery)
    return deliveries


@dataclass(frozen=True)
class _Recipients:
    """The customers and requests of a claimed batch, read in two queries instead of 2 × N."""

    customers: dict[int, Customer]
    requests: dict[str, int]

    @classmethod
    async def of(cls, rows: list[Notification]) -> _Recipients:
        customer_ids = {r.customer_id for r in rows if r.customer_id is not None}
        numbers = {r.params["number"] for r in rows if r.params.get("number")}
        customers = await Customer.filter(id__in=customer_ids) if customer_ids else []
        requests = await ReturnRequest.filter(number__in=numbers) if numbers else []
        return cls({c.id: c for c in customers}, {r.number: r.id for r in requests})

    def delivery(
        self, row: Notification, until: datetime, staff_chat: int | None, staff_language: str
    ) -> Delivery | None:
        if row.staff_chat:
            chat_id, language = staff_chat, staff_language
        else:
            customer = self.customers[row.customer_id] if row.customer_id else None
            if customer is None or customer.unreachable:
                return None
            chat_id, language = customer.telegram_user_id, customer.language
        if chat_id is None:
            return None
        return Delivery(
            id=row.id,
            template=row.template,
            params=_typed(row.params),
            chat_id=chat_id,
            language=language,
            attempts=row.attempts,
            customer_id=row.customer_id,
            request_id=self.requests.get(row.params.get("number", "")),
            claimed_until=until,
        )


def _typed(params: dict[str, Any]) -> dict[str, Any]:
    """Give stored JSON parameters back their types: money as Decimal, times as datetime."""
    typed = dict(params)
    for name in MONEY_PARAMS & typed.keys():
        typed[name] = Decimal(typed[name])
    for name in TIME_PARAMS & typed.keys():
        typed[name] = datetime.fromisoformat(typed[name])
    return typed


async def _settle(notification_id: int, claimed_until: datetime, changes: dict[str, Any]) -> bool:
    """Apply ``changes`` to a message still being sent under the claim ``claimed_until``;
    tell whether it was (False: the lease ran out and another instance claimed it since)."""
    held = Notification.filter(
        id=notification_id, status=Status.SENDING, claimed_until=claimed_until
    )
    return await held.update(**changes) == 1


def _finished(status: str, now: datetime, error: str) -> dict[str, Any]:
    return {
        "status": status,
        "last_error": error[:500],
        "claimed_until": None,
        "sent_at": now if status == Status.SENT else None,
    }


async def finish(delivery: Delivery, status: str, now: datetime, error: str = "") -> bool:
    """End a claimed message's delivery with ``status`` (sent, dead, skipped...).

    Returns False, changing nothing, if the claim was lost: another instance has it now.
    """
    return await _settle(delivery.id, delivery.claimed_until, _finished(status, now, error))


async def mark_sent(delivery: Delivery, now: datetime) -> bool:
    """The message reached Telegram. False if the claim was lost meanwhile: the instance
    that re-claimed it records its own delivery, and this one is not recorded over it."""
    return await finish(delivery, Status.SENT, now)


async def mark_unreachable(delivery: Delivery, now: datetime, error: str) -> bool:
    """The customer blocked the bot: remember it and stop trying (False, changing nothing,
    if the claim was lost: the instance that holds it now sees for itself)."""
    if not await finish(delivery, Status.UNREACHABLE, now, error):
        return False
    if delivery.customer_id is not None:
        await Customer.filter(id=delivery.customer_id).update(unreachable=True)
    return True


async def mark_failed(delivery: Delivery, now: datetime, error: str) -> bool:
    """A transient failure: try again after a backoff, or give up after the last attempt.

    False, changing nothing, if the claim was lost: the message is another instance's now,
    and may well have been delivered by it.
    """
    attempts = delivery.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        changes = _finished(Status.DEAD, now, error) | {"attempts": attempts}
        return await _settle(delivery.id, delivery.claimed_until, changes)
    return await _settle(
        delivery.id,
        delivery.claimed_until,
        {
            "status": Status.PENDING,
            "attempts": attempts,
            "due_at": now + BACKOFF[min(attempts - 1, len(BACKOFF) - 1)],
            "last_error": error[:500],
            "claimed_until": None,
        },
    )


async def defer(delivery: Delivery, until: datetime, error: str) -> bool:
    """Telegram asked us to wait (429): try again then, without counting an attempt
    (False, changing nothing, if the claim was lost)."""
    return await _settle(
        delivery.id,
        delivery.claimed_until,
        {
            "status": Status.PENDING,
            "due_at": until,
            "last_error": error[:500],
            "claimed_until": None,
        },
    )


def notification_reply(delivery: Delivery) -> Reply:
    """What to say for a claimed message: its catalog key, parameters and buttons."""
    params = dict(delivery.params)
    if "shipping_paid_by" in params:
        params["shipping_paid_by"] = Reply(f"shipping.{params['shipping_paid_by']}")
    if "method" in params:
        params["method"] = Reply(f"refund_method.{params['method']}")
    if "stage" in params:
        params["stage"] = Reply(f"sla_stage.{params['stage']}")
    return Reply(f"notify.{delivery.template}", params, _buttons(delivery))


def _buttons(delivery: Delivery) -> tuple[tuple[Button, ...], ...]:
    request = delivery.request_id
    if request is None:
        return ()
    if delivery.template in ("survey", "survey_reminder"):
        return (tuple(Button("", f"sv:{request}:{n}", label="⭐" * n) for n in range(1, 6)),)
    if delivery.template == "question_asked":
        return ((Button("button.reply", f"rp:{request}"),),)
    return ()
