"""Driving requests along and reading what the emulator's chats received."""

from __future__ import annotations

from datetime import timedelta

from models import Notification, ReturnLine
from services.followup import add_tracking_number
from services.refunds import refund_return
from services.review import approve_return
from services.views import ReturnView
from services.warehouse import Grades, inspect_return, receive_return
from tests.factories import FINANCE, REVIEWER, WAREHOUSE, customer_of, open_return
from tests.jobs.conftest import Outbox

STAFF_CHAT = -100500  # the chat Outbox.deliver sends staff messages to
MINUTE = timedelta(minutes=1)
# Five one-unit requests on the shop's order: more than two batches while `small_batches`.
FIVE_REQUESTS = ({"TEE-1": 1}, {"TEE-1": 1}, {"CAP-1": 1}, {"MUG-1": 1}, {"MUG-1": 1})


def open_staff_chat(outbox: Outbox) -> int:
    """Give the staff group a chat in the emulator (a private chat stands in for it)."""
    outbox.emu.create_user("Staff room", user_id=STAFF_CHAT, language_code="en")
    return STAFF_CHAT


async def drain(outbox: Outbox) -> int:
    """Deliver everything due now."""
    total = 0
    while sent := await outbox.deliver():
        total += sent
    return total


def texts(outbox: Outbox, chat_id: int) -> list[str]:
    """The HTML source of every bot message in a chat, oldest first."""
    return [message["text"] for message in outbox.emu.messages(chat_id)]


def containing(outbox: Outbox, chat_id: int, fragment: str) -> list[str]:
    return [text for text in texts(outbox, chat_id) if fragment in text]


async def statuses(template: str) -> list[str]:
    return [n.status for n in await Notification.filter(template=template).order_by("id")]


async def approved(outbox: Outbox, items: dict[str, int] | None = None) -> ReturnView:
    view = await open_return(outbox.shop, items)
    return await approve_return(view.id, actor=REVIEWER, clock=outbox.shop.clock)


async def received(outbox: Outbox, items: dict[str, int] | None = None) -> ReturnView:
    view = await approved(outbox, items)
    lines = await ReturnLine.filter(request_id=view.id)
    counts = {line.id: line.quantity for line in lines}
    return await receive_return(view.id, counts, actor=WAREHOUSE, clock=outbox.shop.clock)


async def inspected(outbox: Outbox, items: dict[str, int] | None = None) -> ReturnView:
    view = await received(outbox, items)
    lines = await ReturnLine.filter(request_id=view.id)
    grades = {line.id: Grades(resellable=line.quantity) for line in lines}
    return await inspect_return(view.id, grades, actor=WAREHOUSE, clock=outbox.shop.clock)


async def refunded(outbox: Outbox, items: dict[str, int] | None = None) -> ReturnView:
    view = await inspected(outbox, items)
    return await refund_return(view.id, actor=FINANCE, clock=outbox.shop.clock)


async def send_parcel(outbox: Outbox, view: ReturnView) -> None:
    actor = customer_of(outbox.shop)
    await add_tracking_number(view.id, "SF1234567890", actor=actor, clock=outbox.shop.clock)
