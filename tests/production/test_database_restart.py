"""PostgreSQL goes away and comes back while customers chat and staff act.

Two instances take webhooks in turn. Some customers are mid-conversation; staff have just
approved other customers' requests, and the approval messages are on their way to Telegram
(slowed down by the emulator) when PostgreSQL stops. While it is down:

* both instances' /readyz answer 503 (a load balancer would take them out);
* each chatting customer sends their next message: the instance takes it, and answers it
  once the database is back;
* the staff member posts the next action (receive) and gets an error page;
* the approval messages reach their chats, and must be recorded as sent once the database
  is back (not sent again when their lease runs out).

After PostgreSQL starts again, /readyz turns 200 by itself, the customers finish, the staff
member posts the same forms again and carries on. Then every row and every chat is counted:
no update, action or notification lost or doubled.

The PostgreSQL that goes away is one of the test's own (``harness.PrivatePostgres``: the
same server binaries, a throwaway cluster on a free port), stopped with ``pg_ctl stop -m
fast`` and started again: stopping the shared server would wait on a checkpoint of every
other database on it and cut every other test run off.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import aiohttp
import pytest

from models import ReturnRequest
from returndesk.database import connected, migrate
from tests.conftest import REQUIRE_POSTGRES
from tests.production.harness import (
    CHAT_REPLIES,
    REFUND_WALK,
    STAFF_STEPS,
    Instance,
    PrivatePostgres,
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
    postgres_bin,
    seed_shop,
    signed_in,
    submitted_by,
    trial_balance,
)

FOLLOWERS, TALKERS = 3, 4  # customers with requests staff act on / customers chatting
BEFORE = 6  # steps each talker takes before the outage
SLOW_SEND = 4.0  # seconds the emulator holds each approval message (PTB waits 5)


@pytest.fixture
async def private_db_url() -> AsyncIterator[tuple[PrivatePostgres, str]]:
    """A migrated database on a PostgreSQL of this test's own; this process connected."""
    binaries = postgres_bin()
    if binaries is None:
        if REQUIRE_POSTGRES:
            pytest.fail("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    server = PrivatePostgres(binaries)
    try:
        await server.create()
        url = await server.create_database("returndesk")
        await migrate(url)
        async with connected(url):
            yield server, url
    finally:
        await server.destroy()


@dataclass
class Outage:
    """The people, the instances and what they are in the middle of."""

    instances: Sequence[Instance]
    followers: list[Shopper]
    talkers: list[Shopper]
    ids: list[int]
    http: aiohttp.ClientSession
    receive: dict[int, dict[str, str]] = field(default_factory=dict)
    waiting: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.turns = itertools.cycle(self.instances)

    def next_url(self) -> str:
        return next(self.turns).url

    async def readiness(self, status: int) -> bool:
        return all([await i.readiness(self.http) == status for i in self.instances])

    async def before(self, staff: Staff, emulator) -> None:
        """Talkers part-way through; approvals sent slowly; the receive forms at hand."""
        await asyncio.gather(*(t.take(REFUND_WALK[:BEFORE]) for t in self.talkers))
        for follower in self.followers:
            emulator.inject(
                "latency", method="sendMessage", chat_id=follower.user_id, delay=SLOW_SEND
            )
        for request_id in self.ids:
            assert await staff.act(self.next_url(), request_id, "approve", {}) == 303
        for request_id in self.ids:
            hidden = await staff.form(self.next_url(), request_id)
            assert hidden is not None
            self.receive[request_id] = hidden | await action_fields(request_id, "receive")

        async def sending() -> bool:  # every approval message is with "Telegram" now
            return not emulator.faults.rules

        await eventually(sending, within=30, what="the approval messages to be sent")

    async def during(self, staff: Staff, emulator) -> None:
        """Not ready; customers' messages taken; staff refused; approvals delivered."""
        await eventually(
            lambda: self.readiness(503), within=30, what="/readyz 503 on both instances"
        )
        self.waiting = {t.n: t.replies for t in self.talkers}
        for talker in self.talkers:
            await talker.send(*REFUND_WALK[BEFORE][:2])
        for request_id, form in self.receive.items():
            status = await staff.post(self.next_url(), request_id, "receive", form)
            assert status == 0 or status >= 500, f"receive during the outage: {status}"
        for follower in self.followers:
            assert "RMA-" in (await follower.reply())["text"]

        async def taken() -> bool:
            return not emulator.hub.updates.pending

        await eventually(taken, within=30, what="the webhooks to be accepted")
        for talker in self.talkers:  # not answered yet
            assert len(emulator.messages(talker.user_id)) == self.waiting[talker.n]
        assert await self.readiness(503)

    async def after(self, staff: Staff) -> list[str]:
        """Ready again by itself; talkers answered and finish; the same forms again."""
        await eventually(lambda: self.readiness(200), within=60, what="/readyz 200, by itself")

        async def finish(talker: Shopper) -> str:
            for _ in range(REFUND_WALK[BEFORE][2]):
                await talker.reply()
            await talker.take(REFUND_WALK[BEFORE + 1 :])
            return talker.rma()

        chatting = asyncio.gather(*(finish(t) for t in self.talkers))
        for request_id, form in self.receive.items():

            async def posted(request_id: int = request_id, form: dict = form) -> bool:
                return await staff.post(self.next_url(), request_id, "receive", form) == 303

            await eventually(posted, within=30, what=f"receive {request_id} to go through")
        for action in STAFF_STEPS[2:]:
            for request_id in self.ids:
                fields = await action_fields(request_id, action)
                assert await staff.act(self.next_url(), request_id, action, fields) == 303
        return await chatting

    async def check(self, emulator, numbers: list[str]) -> None:
        await eventually(outbox_settled, within=60, what="the outbox to drain")
        for talker, number in zip(self.talkers, numbers, strict=True):
            await assert_submitted_refund(talker, number)
        events = await events_by_request()
        requests = dict(await ReturnRequest.all().values_list("id", "number"))
        assert [events[requests[i]] for i in self.ids] == [["submit", *STAFF_STEPS]] * FOLLOWERS
        assert [events[number] for number in numbers] == [["submit"]] * TALKERS
        assert await trial_balance() == 0
        for shopper in self.followers + self.talkers:
            notes = await notifications_of(phone(shopper.n))
            sent = [n.template for n in notes if n.status == "sent"]
            assert len(set(sent)) == len(sent), sent
            chat = 0 if shopper in self.followers else CHAT_REPLIES
            assert_each_notification_once(emulator, shopper, notes, chat)
        assert all(i.process.returncode is None for i in self.instances), "an instance died"


async def test_a_database_restart_loses_and_doubles_nothing(
    private_db_url, emulator, http, tmp_path
):
    server, db_url = private_db_url
    await seed_shop(FOLLOWERS + TALKERS)
    await add_staff()
    followers = [Shopper(emulator, n) for n in range(FOLLOWERS)]
    talkers = [Shopper(emulator, n) for n in range(FOLLOWERS, FOLLOWERS + TALKERS)]
    ids = [await submitted_by(follower) for follower in followers]
    instances = [Instance(name, db_url, emulator, tmp_path) for name in ("a", "b")]
    async with cluster(instances, emulator, http), signed_in(instances[0].url) as staff:
        outage = Outage(instances, followers, talkers, ids, http)
        await outage.before(staff, emulator)
        await server.stop()
        await outage.during(staff, emulator)
        await server.start()
        numbers = await outage.after(staff)
        await outage.check(emulator, numbers)
