"""The demo's returns: real requests driven through the real services, in every status."""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta

from domain.clock import FakeClock
from domain.returns import Actor, ReturnType, Status
from models import Order, OrderLine, Product, ReturnLine
from services.followup import add_tracking_number, reply_to_question, submit_survey
from services.refunds import exchange_due, record_exchange_payment, refund_return, ship_replacement
from services.review import approve_return, ask_customer, cancel_return, close_return, reject_return
from services.submission import LineRequest, ReturnDraft, submit_return
from services.views import ReturnView
from services.warehouse import Grades, inspect_return, receive_return

Progress = Callable[[int], object]
RETURNS = 45
PATHS: dict[Status, list[str]] = {
    Status.SUBMITTED: [],
    Status.NEEDS_INFO: ["ask"],
    Status.REJECTED: ["reject"],
    Status.APPROVED: ["ask", "reply", "approve", "tracking"],
    Status.CANCELLED: ["approve", "cancel"],
    Status.RECEIVED: ["approve", "tracking", "receive"],
    Status.INSPECTED: ["approve", "tracking", "receive", "inspect"],
    Status.REFUNDED: ["approve", "tracking", "receive", "inspect", "refund"],
    Status.EXCHANGED: ["approve", "tracking", "receive", "inspect", "pay", "ship"],
    Status.CLOSED: ["approve", "tracking", "receive", "inspect", "refund", "close", "survey"],
}
QUESTIONS = ["Could you send a photo of the label?", "Is the original packaging complete?"]
# The Telegram file ids of the demo customers' photos (the demo's emulator holds them).
OPENING_PHOTO, REPLY_PHOTO = "demo-photo", "demo-photo-reply"
# What customers wrote with each survey score ("" : no comment), in their own words
SURVEY_COMMENTS = {
    5: ["Quick and polite, thank you!", "退款很快，客服很耐心。", "", "Всё быстро, спасибо."],
    4: ["Fine, but the courier took a while.", "", "整体不错，就是等了几天才审核。"],
    3: ["It worked, but I had to ask twice.", "Долго ждал ответа.", ""],
    2: ["Slow refund; nobody told me what was happening.", "退款太慢了。"],
}


class _Demo:
    """One demo return being walked along its path with a moving clock."""

    def __init__(
        self, rng: random.Random, staff: dict[str, Actor], view: ReturnView, clock: FakeClock
    ):
        self.rng, self.staff, self.view, self.clock = rng, staff, view, clock
        self.customer = Actor.customer(view.customer_id)

    async def walk(self, path: list[str]) -> None:
        for step in path:
            self.clock.advance(timedelta(hours=self.rng.randint(2, 30)))
            self.view = await getattr(self, f"_{step}")() or self.view

    async def _ask(self) -> ReturnView:
        question = self.rng.choice(QUESTIONS)
        return await ask_customer(
            self.view.id, question, actor=self.staff["reviewer"], clock=self.clock
        )

    async def _reply(self) -> ReturnView:
        return await reply_to_question(
            self.view.id,
            "Here it is, thank you.",
            (REPLY_PHOTO,),
            actor=self.customer,
            clock=self.clock,
        )

    async def _approve(self) -> ReturnView:
        return await approve_return(self.view.id, actor=self.staff["reviewer"], clock=self.clock)

    async def _reject(self) -> ReturnView:
        reason = "The item shows signs of use beyond trying it on."
        return await reject_return(
            self.view.id, reason, actor=self.staff["reviewer"], clock=self.clock
        )

    async def _cancel(self) -> ReturnView:
        return await cancel_return(self.view.id, actor=self.customer, clock=self.clock)

    async def _tracking(self) -> ReturnView:
        number = f"SF{self.rng.randint(10**9, 10**10 - 1)}"
        return await add_tracking_number(
            self.view.id, number, actor=self.customer, clock=self.clock
        )

    async def _receive(self) -> ReturnView:
        lines = await ReturnLine.filter(request_id=self.view.id)
        counts = {line.id: line.quantity for line in lines}
        return await receive_return(
            self.view.id, counts, actor=self.staff["warehouse"], clock=self.clock
        )

    async def _inspect(self) -> ReturnView:
        grades = {}
        for line in await ReturnLine.filter(request_id=self.view.id):
            defective = self.rng.randint(0, line.received_quantity)
            grades[line.id] = Grades(line.received_quantity - defective, defective, 0)
        return await inspect_return(
            self.view.id, grades, actor=self.staff["warehouse"], clock=self.clock
        )

    async def _refund(self) -> ReturnView:
        return await refund_return(self.view.id, actor=self.staff["finance"], clock=self.clock)

    async def _pay(self) -> None:
        due = await exchange_due(self.view.id)
        if due > 0:
            await record_exchange_payment(
                self.view.id, due, actor=self.staff["finance"], clock=self.clock
            )

    async def _ship(self) -> ReturnView:
        number = f"YT{self.rng.randint(10**9, 10**10 - 1)}"
        return await ship_replacement(
            self.view.id, number, actor=self.staff["warehouse"], clock=self.clock
        )

    async def _close(self) -> ReturnView:
        return await close_return(self.view.id, actor=self.staff["admin"], clock=self.clock)

    async def _survey(self) -> None:
        score = self.rng.choice([5, 5, 4, 4, 3, 2])
        comment = self.rng.choice(SURVEY_COMMENTS[score])
        await submit_survey(self.view.id, score, comment, actor=self.customer, clock=self.clock)


async def _candidates(now: datetime) -> list[Order]:
    window = (now - timedelta(days=50), now - timedelta(days=10))
    orders = await Order.filter(
        delivered_at__gte=window[0], delivered_at__lte=window[1]
    ).prefetch_related("lines__product")
    return [
        o
        for o in orders
        if any(line.product.returnable and line.product.category != "beauty" for line in o.lines)
    ]


async def _draft(rng: random.Random, order: Order, kind: ReturnType) -> ReturnDraft:
    line: OrderLine = next(o for o in order.lines if o.product.category != "beauty")
    replacement = None
    if kind is ReturnType.EXCHANGE:
        options = await Product.filter(category=line.product.category).exclude(id=line.product_id)
        replacement = rng.choice(options).id
    reason = rng.choice(["quality_defect", "wrong_item", "damaged_in_transit", "not_as_described"])
    return ReturnDraft(
        order.id, kind, reason, (LineRequest(line.id, 1, replacement),), (OPENING_PHOTO,), ""
    )


async def seed_returns(
    rng: random.Random, now: datetime, staff: dict[str, Actor], progress: Progress | None = None
) -> int:
    """Open and walk the demo's returns; return how many were made."""
    orders = rng.sample(await _candidates(now), RETURNS)
    for index, order in enumerate(orders):
        target = list(PATHS)[index % len(PATHS)]
        kind = (
            ReturnType.EXCHANGE
            if target is Status.EXCHANGED or index % 7 == 3
            else ReturnType.REFUND
        )
        if target in (Status.REFUNDED, Status.CLOSED):
            kind = ReturnType.REFUND
        assert order.delivered_at is not None  # candidates are delivered orders
        clock = FakeClock(order.delivered_at + timedelta(days=rng.randint(1, 5)))
        draft = await _draft(rng, order, kind)
        view = await submit_return(draft, actor=Actor.customer(order.customer_id), clock=clock)
        path = PATHS[target]
        if kind is ReturnType.EXCHANGE and "refund" in path:
            path = [s for s in path if s not in ("refund", "close", "survey")] + ["pay", "ship"]
        await _Demo(rng, staff, view, clock).walk(path)
        if progress:
            progress(1)
    return len(orders)


def demo_photos() -> dict[str, bytes]:
    """The demo customers' photos by file id: a parcel on a table, as a PNG."""
    return {OPENING_PHOTO: _parcel_picture(), REPLY_PHOTO: _parcel_picture(label=True)}


def _parcel_picture(width: int = 320, height: int = 240, *, label: bool = False) -> bytes:
    def pixel(x: int, y: int) -> bytes:
        if label and 200 <= x < 232 and 90 <= y < 112:
            return b"\xf4\xf1\xe8"  # the shipping label
        if 80 <= x < 240 and 70 <= y < 190:
            return b"\xc4\x96\x60"  # cardboard
        return bytes((236 - y // 8, 232 - y // 8, 224 - y // 8))  # the table, darker below

    rows = b"".join(b"\x00" + b"".join(pixel(x, y) for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        _png_chunk(kind, data)
        for kind, data in ((b"IHDR", header), (b"IDAT", zlib.compress(rows)), (b"IEND", b""))
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
