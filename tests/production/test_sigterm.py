"""SIGTERM an instance while it is busy: customers mid-conversation, a staff member taking
requests through the back-office, and the outbox delivering a backlog.

Instance *a* runs everything; instance *b* takes webhooks and pages but runs no scheduler,
so the outbox is *a*'s alone. The emulator slows the bot's messages down, so when *a* gets
SIGTERM it holds updates it has taken but not answered, and outbox messages it has handed
to Telegram but not recorded. It must exit 0 within the shutdown timeout, having answered
the updates in hand and recorded every message it sent (nothing left 'sending'); the
updates it had not taken go to *b*; after *a* starts again, everyone finishes. Then nothing
is lost, doubled or half-written: every request whole with its events, the ledger balanced,
each chat at rest, each notification delivered once.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime

from emulator import Emulator
from models import Customer, Notification
from returndesk.runtime import SHUTDOWN_SECONDS
from tests.production.harness import (
    CHAT_REPLIES,
    REFUND_WALK,
    STAFF_STEPS,
    Instance,
    Shopper,
    Staff,
    action_fields,
    add_staff,
    assert_each_notification_once,
    assert_submitted_refund,
    cluster,
    events_by_request,
    eventually,
    notifications_of,
    outbox_settled,
    phone,
    seed_shop,
    signed_in,
    submitted_by,
    trial_balance,
)

TALKERS, FOLLOWERS, LISTENERS = 6, 3, 3
BACKLOG = 10  # outbox messages per listener, put in while the customers chat
SLOW_REPLY, SLOW_NOTICE = 0.8, 2.0  # seconds the emulator holds each bot message
WEB_ONLY = ("backoffice", "api", "webhook", "bot")


async def act_anywhere(staff: Staff, instances: list[Instance], request_id: int, action: str):
    """Post the action to *a*, or to *b* while *a* is away (as a load balancer would)."""

    async def posted() -> bool:
        fields = await action_fields(request_id, action)
        for instance in instances:
            if await staff.act(instance.url, request_id, action, fields) == 303:
                return True
        return False

    await eventually(posted, within=60, what=f"{action} on request {request_id}")


async def fill_outbox(listeners: list[Shopper]) -> None:
    now = datetime.now(UTC)
    rows = []
    for listener in listeners:
        customer = await Customer.get(phone=phone(listener.n))
        for k in range(BACKLOG):
            rows.append(
                Notification(
                    customer_id=customer.id,
                    template="staff_message",
                    params={"number": f"N-{listener.n}", "text": f"Update {k}"},
                    dedupe_key=f"sigterm:{listener.n}:{k}",
                    due_at=now,
                    created_at=now,
                )
            )
    await Notification.bulk_create(rows)


@dataclass
class Load:
    """Customers chatting, a staff member acting and the outbox busy, on *a* and *b*."""

    emulator: Emulator
    a: Instance
    b: Instance
    talkers: list[Shopper]
    followers: list[Shopper]
    listeners: list[Shopper]
    ids: list[int]
    halfway: asyncio.Event = field(default_factory=asyncio.Event)

    def slow_down(self) -> None:
        for talker in self.talkers:
            self.emulator.inject(
                "latency", method="sendMessage", chat_id=talker.user_id, delay=SLOW_REPLY, count=99
            )
        for listener in self.listeners:
            self.emulator.inject(
                "latency",
                method="sendMessage",
                chat_id=listener.user_id,
                delay=SLOW_NOTICE,
                count=BACKLOG,
            )

    async def chat(self) -> list[str]:
        steps, total = itertools.count(1), len(self.talkers) * len(REFUND_WALK)

        async def walk(talker: Shopper) -> str:
            for action, argument, replies in REFUND_WALK:
                await talker.step(action, argument, replies)
                if next(steps) >= total // 2:
                    self.halfway.set()
            return talker.rma()

        return await asyncio.gather(*(walk(t) for t in self.talkers))

    async def staff_work(self) -> None:
        async with signed_in(self.a.url) as staff:
            for action in STAFF_STEPS:
                for request_id in self.ids:
                    await act_anywhere(staff, [self.a, self.b], request_id, action)

    async def sigterm(self) -> None:
        """SIGTERM *a* while outbox messages are with Telegram: exit 0, in time, all recorded."""

        async def notices_in_flight() -> bool:
            return await Notification.filter(status="sending").exists()

        await eventually(notices_in_flight, within=30, what="outbox messages being sent")
        code, seconds = await self.a.terminate(within=SHUTDOWN_SECONDS + 30)
        assert code == 0, self.a.tail()
        assert seconds < SHUTDOWN_SECONDS, f"took {seconds:.1f} s to stop"
        assert "stopping: no new requests or updates" in self.a.log()
        # every message it handed to Telegram is recorded: none waits for its lease to run out
        assert not await Notification.filter(status="sending").exists(), self.a.tail()

    async def check(self, numbers: list[str]) -> None:
        await eventually(outbox_settled, within=90, what="the outbox to drain")
        for talker, number in zip(self.talkers, numbers, strict=True):
            await assert_submitted_refund(talker, number)
            assert self.emulator.delivered[talker.user_id] == CHAT_REPLIES
        events = await events_by_request()
        assert [events[n] for n in numbers] == [["submit"]] * TALKERS
        others = [actions for n, actions in events.items() if n not in numbers]
        assert others == [["submit", *STAFF_STEPS]] * FOLLOWERS
        assert await trial_balance() == 0
        for listener in self.listeners:
            notes = await notifications_of(phone(listener.n))
            assert [n.status for n in notes] == ["sent"] * BACKLOG
            assert_each_notification_once(self.emulator, listener, notes, 0)
        for follower in self.followers:
            notes = await notifications_of(phone(follower.n))
            assert_each_notification_once(self.emulator, follower, notes, 0)


async def test_sigterm_during_load_finishes_what_it_took(db_url, emulator, http, tmp_path):
    await seed_shop(TALKERS + FOLLOWERS + LISTENERS)
    await add_staff()
    people = [Shopper(emulator, n) for n in range(TALKERS + FOLLOWERS + LISTENERS)]
    talkers, followers = people[:TALKERS], people[TALKERS : TALKERS + FOLLOWERS]
    listeners = people[TALKERS + FOLLOWERS :]
    ids = [await submitted_by(follower) for follower in followers]
    for listener in listeners:
        await Customer.filter(phone=phone(listener.n)).update(telegram_user_id=listener.user_id)
    a = Instance("a", db_url, emulator, tmp_path)
    b = Instance("b", db_url, emulator, tmp_path, parts=WEB_ONLY)
    async with cluster([a, b], emulator, http):
        load = Load(emulator, a, b, talkers, followers, listeners, ids)
        load.slow_down()
        chatting = asyncio.create_task(load.chat())
        await asyncio.wait_for(load.halfway.wait(), 120)
        staffing = asyncio.create_task(load.staff_work())
        await fill_outbox(listeners)
        await load.sigterm()
        await a.start()
        await a.ready(http)
        numbers = await chatting
        await staffing
        await load.check(numbers)
