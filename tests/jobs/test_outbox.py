"""Outbox delivery: once, in the recipient's language, through Telegram's faults."""

import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest

from jobs.outbox import _deliver
from models import Customer, Notification
from services.chat import Incoming, handle_incoming
from services.effects import enqueue
from services.followup import send_message_to_customer
from services.outbox import (
    LEASE,
    MAX_ATTEMPTS,
    Status,
    claim_due,
    defer,
    finish,
    mark_failed,
    mark_sent,
    mark_unreachable,
)
from services.review import approve_return, ask_customer
from tests.factories import REVIEWER, open_return
from tests.jobs.steps import drain, open_staff_chat, texts

ROOT = Path(__file__).parents[2]


async def approved_request(outbox):
    view = await open_return(outbox.shop)
    return await approve_return(view.id, actor=REVIEWER, clock=outbox.shop.clock)


async def customer_rows(outbox):
    return await Notification.filter(customer_id=outbox.shop.customer.id).order_by("id")


async def test_due_messages_are_delivered_once_in_the_customers_language(outbox):
    view = await approved_request(outbox)
    sent = await outbox.deliver()
    assert sent == 1  # return_approved; the staff notification has a staff chat too
    assert await outbox.deliver() == 0
    message = await outbox.emu.next_bot_message(outbox.chat_id)
    assert view.number in message["text"]
    assert "已通过" in message["text"]
    row = (await customer_rows(outbox))[0]
    assert (row.status, row.attempts, row.sent_at is not None) == ("sent", 0, True)
    assert outbox.emu.delivered[outbox.chat_id] == 1


async def test_question_carries_an_answer_button_for_its_request(outbox):
    view = await open_return(outbox.shop)
    await ask_customer(
        view.id, "Is the <b>box</b> intact?", actor=REVIEWER, clock=outbox.shop.clock
    )
    await outbox.deliver()
    message = await outbox.emu.next_bot_message(outbox.chat_id)
    assert "Is the &lt;b&gt;box&lt;/b&gt; intact?" in message["text"]  # sent escaped
    assert "Is the <b>box</b> intact?" in message["message"]["text"]  # shown literally
    buttons = message["reply_markup"]["inline_keyboard"]
    assert buttons[0][0]["callback_data"] == f"rp:{view.id}"


async def test_retry_after_is_honoured_and_delivers_once(outbox):
    await approved_request(outbox)
    outbox.emu.inject(
        "retry_after", count=1, method="sendMessage", chat_id=outbox.chat_id, retry_after=1
    )
    assert await outbox.deliver() == 1
    assert outbox.emu.delivered[outbox.chat_id] == 1
    assert outbox.emu.calls["sendMessage"] >= 2


async def test_server_errors_are_retried_with_backoff_then_marked_dead(outbox):
    await approved_request(outbox)
    outbox.emu.inject(
        "server_error", count=100, method="sendMessage", chat_id=outbox.chat_id, status=502
    )
    for _attempt in range(MAX_ATTEMPTS):
        assert await outbox.deliver() == 0
        row = (await customer_rows(outbox))[0]
        outbox.shop.clock.set(row.due_at)
    row = (await customer_rows(outbox))[0]
    assert row.status == "dead"
    assert row.attempts == MAX_ATTEMPTS
    assert "Bad Gateway" in row.last_error or "502" in row.last_error
    outbox.shop.clock.advance(timedelta(days=1))
    calls = outbox.emu.calls["sendMessage"]
    await outbox.deliver()
    assert outbox.emu.calls["sendMessage"] == calls  # dead stays dead


async def test_a_retry_waits_for_its_backoff(outbox):
    await approved_request(outbox)
    outbox.emu.inject("server_error", count=1, method="sendMessage", chat_id=outbox.chat_id)
    assert await outbox.deliver() == 0
    assert await outbox.deliver() == 0  # not due yet: the clock has not moved
    row = (await customer_rows(outbox))[0]
    assert (row.status, row.attempts) == ("pending", 1)
    outbox.shop.clock.set(row.due_at)
    assert await outbox.deliver() == 1
    assert outbox.emu.delivered[outbox.chat_id] == 1


async def test_a_customer_who_blocked_the_bot_is_marked_unreachable_and_not_retried(outbox):
    view = await approved_request(outbox)
    outbox.emu.faults.block(outbox.chat_id)
    assert await outbox.deliver() == 0
    assert (await Customer.get(id=outbox.shop.customer.id)).unreachable
    row = (await customer_rows(outbox))[0]
    assert row.status == "unreachable"
    calls = outbox.emu.calls["sendMessage"]
    outbox.shop.clock.advance(timedelta(hours=1))
    await outbox.deliver()
    assert outbox.emu.calls["sendMessage"] == calls
    assert view.number


async def test_a_customer_who_unblocks_the_bot_and_writes_again_is_reachable_again(outbox):
    clock = outbox.shop.clock
    view = await approved_request(outbox)
    outbox.emu.faults.block(outbox.chat_id)
    assert await outbox.deliver() == 0
    outbox.emu.faults.unblock(outbox.chat_id)
    customer = await Customer.get(id=outbox.shop.customer.id)
    chat = {"chat_id": outbox.chat_id, "user_id": outbox.chat_id, "language_code": "zh-hans"}
    await handle_incoming(Incoming(update_id=1, command="start", **chat), clock=clock)
    shared = {"contact_phone": customer.phone, "contact_user_id": outbox.chat_id}
    await handle_incoming(Incoming(update_id=2, **shared, **chat), clock=clock)
    assert not (await Customer.get(id=customer.id)).unreachable
    await send_message_to_customer(view.id, "Parcel label?", actor=REVIEWER, clock=clock)
    assert await outbox.deliver() == 1

    # Blocked again, then Telegram's "Restart" (a /start from the linked chat), or any
    # other message: whoever writes to the bot has not blocked it.
    for update_id, command in ((3, "start"), (4, "my")):
        await Customer.filter(id=customer.id).update(unreachable=True)
        await handle_incoming(Incoming(update_id=update_id, command=command, **chat), clock=clock)
        assert not (await Customer.get(id=customer.id)).unreachable, command
    await send_message_to_customer(view.id, "Still there?", actor=REVIEWER, clock=clock)
    assert await outbox.deliver() == 1


def enqueued_templates() -> set[str]:
    """Every template name the services put in the outbox."""
    pattern = re.compile(r'(?:notify_customer|notify_staff|enqueue)\(\s*(?:step,\s*)?"([a-z_]+)"')
    found = set()
    for path in (ROOT / "services").rglob("*.py"):
        found |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_enqueued_template_has_a_message_in_the_catalog():
    pot = (ROOT / "locales" / "returndesk.pot").read_text(encoding="utf-8")
    templates = enqueued_templates()
    assert {"return_approved", "survey", "low_stock", "staff_message"} <= templates
    missing = [t for t in templates if f'msgid "notify.{t}"' not in pot]
    assert not missing


async def test_a_burst_of_staff_alerts_goes_out_one_per_claim_beside_customers_messages(outbox):
    """The staff group takes 20 messages a minute: a batch waiting on many of them would hold
    customers' messages back and could outlast its lease."""
    staff = open_staff_chat(outbox)
    now = outbox.shop.clock.now()
    for n in range(4):
        params = {"number": f"RMA-{n}", "stage": "review", "hours": 24}
        await enqueue("sla_overdue", f"staff:burst:{n}", now, params=params)
    await approved_request(outbox)  # return_approved to the customer, and a staff alert

    assert await outbox.deliver() == 2  # the customer's message and one staff alert
    assert outbox.emu.delivered[outbox.chat_id] == 1
    assert len(texts(outbox, staff)) == 1
    assert await drain(outbox) == 4  # the other staff alerts, one per claim
    assert len(texts(outbox, staff)) == 5


# A send that outlasts its lease: instance A claimed a message, its request hung past LEASE,
# instance B re-claimed the message and delivered it. A's answer comes in late.
LATE_ANSWERS = {
    "failed": lambda a, now: mark_failed(a, now, "timed out"),
    "deferred": lambda a, now: defer(a, now + timedelta(seconds=5), "retry after 5"),
    "dead": lambda a, now: finish(a, Status.DEAD, now, "Bad Request: chat not found"),
    "unreachable": lambda a, now: mark_unreachable(a, now, "Forbidden: bot was blocked"),
    "sent": mark_sent,
}


async def claimed_by_a_then_lost(outbox):
    """A's claim of the customer's message, whose lease then runs out."""
    await approved_request(outbox)
    [a] = await claim_due(outbox.shop.clock.now(), staff_chat_id=None)
    outbox.shop.clock.advance(LEASE + timedelta(seconds=1))
    return a


@pytest.mark.parametrize("answer", LATE_ANSWERS)
async def test_a_late_answer_under_a_lost_lease_leaves_the_message_another_instance_sent(
    outbox, answer
):
    a = await claimed_by_a_then_lost(outbox)
    assert await outbox.deliver() == 1  # B re-claims the message and delivers it
    b_sent_at = outbox.shop.clock.now()
    outbox.shop.clock.advance(timedelta(seconds=30))

    assert await LATE_ANSWERS[answer](a, outbox.shop.clock.now()) is False

    row = (await customer_rows(outbox))[0]
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 0, b_sent_at, "")
    assert not (await Customer.get(id=outbox.shop.customer.id)).unreachable
    outbox.shop.clock.advance(timedelta(days=1))
    assert await outbox.deliver() == 0  # never sent a third time
    assert outbox.emu.delivered[outbox.chat_id] == 1


@pytest.mark.parametrize("answer", LATE_ANSWERS)
async def test_a_late_answer_leaves_a_message_another_instance_is_still_sending(outbox, answer):
    a = await claimed_by_a_then_lost(outbox)
    now = outbox.shop.clock.now()
    [b] = await claim_due(now, staff_chat_id=None)  # B's send is under way

    assert await LATE_ANSWERS[answer](a, now) is False

    row = (await customer_rows(outbox))[0]
    assert (row.status, row.claimed_until, row.attempts) == ("sending", b.claimed_until, 0)
    assert await mark_sent(b, now)  # B's own answer is recorded
    row = (await customer_rows(outbox))[0]
    assert (row.status, row.sent_at) == ("sent", now)


async def test_a_late_answer_is_recorded_while_nobody_has_re_claimed_the_message(outbox):
    a = await claimed_by_a_then_lost(outbox)
    assert await mark_failed(a, outbox.shop.clock.now(), "timed out")
    row = (await customer_rows(outbox))[0]
    assert (row.status, row.attempts, row.claimed_until) == ("pending", 1, None)


async def test_the_sender_drops_and_logs_an_answer_that_came_after_its_lease_was_lost(
    outbox, caplog
):
    a = await claimed_by_a_then_lost(outbox)
    assert await outbox.deliver() == 1  # B
    outbox.emu.inject("server_error", method="sendMessage", chat_id=outbox.chat_id, status=502)

    with caplog.at_level(logging.WARNING, logger="jobs.outbox"):
        sent = await _deliver(
            outbox.app.bot, outbox.app.bot_data["renderer"], a, outbox.shop.clock
        )  # A's send, late, fails

    assert not sent
    assert f"outbox message {a.id}: lease ran out" in caplog.text
    assert "mark_failed not recorded" in caplog.text
    assert (await customer_rows(outbox))[0].status == "sent"
    outbox.shop.clock.advance(timedelta(days=1))
    assert await outbox.deliver() == 0
    assert outbox.emu.delivered[outbox.chat_id] == 1
