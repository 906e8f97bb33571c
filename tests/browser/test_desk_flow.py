"""A request's whole life, with the customer in the chat and the staff in the browser.

The customer opens the request through the emulator with the real bot; a reviewer, the
warehouse and finance then work it in Chromium, each signed in with their own account and
cookies. After every step the outbox is delivered once and the customer's chat shows that
step's notification, word for word from the catalog in the customer's language. On the way,
each role's request page offers exactly the actions SPEC §2 gives that role in that status,
and the main pages are saved as screenshots (``screenshots/``, gitignored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest

from domain.returns import Status
from models import Message, Payment, ReturnLine, ReturnRequest
from services.chat import Reply
from tests.browser.conftest import Stack, StaffPage
from tests.e2e.conftest import TOKEN
from tests.e2e.flows import Chat, Draft

REFUND_DRAFT = Draft(
    items=(("TEE-1", 2), ("MUG-1", 3)),
    reason="quality_defect",
    photos=1,
    description="The seam is torn and one mug is chipped",
)
EXCHANGE_DRAFT = Draft(
    items=(("TEE-1", 1),), reason="size_fit", kind="exchange", replacements=("TEE-2",), photos=0
)
# aiohttp-session keeps its session under a plain string request key, which aiohttp 3.14 warns
# about on every request; the project's warnings-as-errors would turn each page into a 500.
on_postgres = pytest.mark.parametrize(
    "db_kind", [pytest.param("postgres", marks=pytest.mark.postgres)]
)
# What each role's request page offers per status (SPEC §2; admins are not shown here).
OFFERED = {
    Status.SUBMITTED: {
        "reviewer": {"approve", "reject", "ask", "cancel"},
        "warehouse": {"cancel"},
        "finance": {"cancel"},
    },
    Status.APPROVED: {
        "reviewer": {"cancel"},
        "warehouse": {"receive", "cancel"},
        "finance": {"cancel"},
    },
    Status.RECEIVED: {"reviewer": set(), "warehouse": {"inspect"}, "finance": set()},
    Status.REFUNDED: {"reviewer": {"close"}, "warehouse": {"close"}, "finance": {"close"}},
}
INSPECTED_OFFERED = {
    "refund": {"reviewer": set(), "warehouse": set(), "finance": {"refund"}},
    # a dearer replacement: the customer pays the difference first; nothing ships before
    "exchange": {"reviewer": set(), "warehouse": set(), "finance": {"record_payment"}},
}


@pytest.fixture
def db_kind() -> str:
    """SQLite by default; ``on_postgres`` runs the main flow on PostgreSQL as well."""
    return "sqlite"


async def opened(stack: Stack, lang: str, draft: Draft) -> tuple[Chat, ReturnRequest]:
    """The customer links the chat and opens ``draft`` up to the RMA number."""
    chat = Chat.open(stack.desk, lang)
    await chat.link()
    summary = await chat.open_until("summary", draft)
    request = await chat.confirm(summary)
    assert await stack.deliver() == 0  # "new request" goes to the staff chat only
    return chat, request


async def notified(stack: Stack, chat: Chat, key: str, **params: object) -> dict:
    """Deliver the outbox once: exactly one message, ``key`` for this request, in the chat."""
    assert await stack.deliver() == 1
    return await chat.expect(key, **params)


async def expect_offered(pages: dict[str, StaffPage], request: ReturnRequest, offered) -> None:
    for role, actions in offered.items():
        page = pages[role]
        await page.goto(f"/returns/{request.id}")
        assert await page.actions() == actions, role


async def test_refund_request_from_chat_to_refund(stack: Stack) -> None:
    await RefundFlow.run(stack)


@on_postgres
async def test_refund_request_on_postgres(stack: Stack) -> None:
    await RefundFlow.run(stack)


@dataclass
class RefundFlow:
    """Li Lei returns two tees and three mugs; each step in the browser, then in the chat."""

    stack: Stack
    chat: Chat
    request: ReturnRequest
    staff: dict[str, StaffPage]
    asked: dict = field(default_factory=dict)

    @classmethod
    async def run(cls, stack: Stack) -> None:
        chat, request = await opened(stack, "en", REFUND_DRAFT)
        staff = {"reviewer": await stack.sign_in("reviewer", shot="login")}
        staff |= {role: await stack.sign_in(role) for role in ("warehouse", "finance")}
        flow = cls(stack, chat, request, staff)
        await flow.review()
        await flow.answer_and_approve()
        await flow.add_tracking()
        await flow.receive_and_grade_on_a_phone()
        await flow.refund()
        await flow.close()

    @property
    def path(self) -> str:
        return f"/returns/{self.request.id}"

    async def offered(self, offered: dict[str, set[str]]) -> None:
        await expect_offered(self.staff, self.request, offered)

    async def review(self) -> None:
        """The reviewer finds the request from the dashboard and the queue, and asks."""
        rita, number = self.staff["reviewer"], self.request.number
        await rita.shot("dashboard")
        tile = rita.page.locator("a.tile[href='/returns?status=submitted'] strong")
        assert await tile.inner_text() == "1"
        await rita.goto("/returns")
        await rita.shot("queue")
        await rita.open_from_queue(number)
        assert await rita.status_key() == Status.SUBMITTED
        body = await rita.page.inner_text("main")
        assert REFUND_DRAFT.description in body
        assert "Li Lei" in body
        await photo_through_the_proxy(rita, b"photo 1")
        await rita.shot("request-submitted")
        await self.offered(OFFERED[Status.SUBMITTED])

        await rita.goto(self.path)
        question = "Are both sides of the seam torn?"
        assert await rita.act("ask", question=question) == "ok"
        assert await rita.status_key() == Status.NEEDS_INFO
        assert question in await rita.page.inner_text("ol.thread")
        await rita.shot("request-needs_info")
        self.asked = await notified(
            self.stack, self.chat, "notify.question_asked", number=number, question=question
        )

    async def answer_and_approve(self) -> None:
        """The customer answers with the question's button; the reviewer reads it, approves."""
        chat, rita, request = self.chat, self.staff["reviewer"], self.request
        [[answer_button]] = self.asked["reply_markup"]["inline_keyboard"]
        assert answer_button["callback_data"] == f"rp:{request.id}"
        await chat.press_data(self.asked, answer_button["callback_data"])
        await chat.expect("reply.ask", plural=0, number=request.number, count=0)
        answer = "Yes, both sides, see the photo."
        await chat.say(answer)
        await chat.expect("reply.done", number=request.number)
        assert await self.stack.deliver() == 0  # "the customer replied" is for the staff chat

        await rita.goto(self.path)
        assert await rita.status_key() == Status.SUBMITTED
        assert answer in await rita.page.inner_text("ol.thread li.customer")
        assert await rita.act("approve") == "ok"
        assert await rita.status_key() == Status.APPROVED
        await request.refresh_from_db()
        await notified(
            self.stack,
            chat,
            "notify.return_approved",
            number=request.number,
            deadline=request.deadline_at,
            shipping_paid_by=Reply("shipping.shop"),
        )

    async def add_tracking(self) -> None:
        """The customer adds the parcel's tracking number from /my; staff see it."""
        chat, request = self.chat, self.request
        detail = await chat.detail(await chat.my(request), request)
        await chat.expect("detail.deadline", deadline=request.deadline_at, tracking="—")
        await chat.press(detail, "tracking", request.id)
        await chat.expect("tracking.ask", number=request.number)
        await chat.say("SF1234567890")
        await chat.expect("tracking.done", number=request.number, tracking="SF1234567890")
        assert await self.stack.deliver() == 0  # "tracking added" is for the staff chat
        await self.offered(OFFERED[Status.APPROVED])
        rita = self.staff["reviewer"]
        await rita.goto(self.path)
        assert "SF1234567890" in await rita.page.inner_text("main")
        await rita.shot("request-approved")
        await slip(self.staff["warehouse"], request)

    async def receive_and_grade_on_a_phone(self) -> None:
        """The warehouse, on a 390×844 phone, receives 2 + 3 units and grades them A/B/R."""
        phone = await self.stack.sign_in("warehouse", phone=True)
        await phone.goto(self.path)
        await no_sideways_scrolling(phone)
        await phone.shot("phone-request-approved")
        lines = await ReturnLine.filter(request_id=self.request.id).prefetch_related(
            "order_line__product"
        )
        tee, mug = sorted(lines, key=lambda line: line.order_line.product.sku != "TEE-1")
        received = {f"received_{tee.id}": "2", f"received_{mug.id}": "3"}
        assert await phone.act("receive", **received) == "ok"
        assert await phone.status_key() == Status.RECEIVED
        await notified(self.stack, self.chat, "notify.return_received", number=self.request.number)
        await self.offered(OFFERED[Status.RECEIVED])
        await phone.goto(self.path)
        await phone.shot("phone-request-received")

        grades = {f"a_{tee.id}": "2", f"b_{tee.id}": "0", f"r_{tee.id}": "0"}
        grades |= {f"a_{mug.id}": "1", f"b_{mug.id}": "1", f"r_{mug.id}": "1"}
        assert await phone.act("inspect", **grades) == "ok"
        assert await phone.status_key() == Status.INSPECTED
        await phone.goto(self.path)
        assert "2/0/0" in await phone.page.inner_text("table.items")
        assert "1/1/1" in await phone.page.inner_text("table.items")
        await no_sideways_scrolling(phone)
        await notified(
            self.stack,
            self.chat,
            "notify.return_inspected_refused",
            number=self.request.number,
            accepted=4,
            refused=1,
            due=Decimal("360.00"),
        )
        await self.offered(INSPECTED_OFFERED["refund"])

    async def refund(self) -> None:
        """Finance refunds what is owed for the accepted units: 2 × 100.00 + 2 × 80.00."""
        fiona, owed = self.staff["finance"], Decimal("360.00")
        await fiona.goto(self.path)
        assert await fiona.page.input_value("form.action-refund [name=amount]") == str(owed)
        await fiona.shot("request-inspected")
        assert await fiona.act("refund", method="store_credit", reference="SC-1") == "ok"
        assert await fiona.status_key() == Status.REFUNDED
        assert "SC-1" in await fiona.page.inner_text("main")
        await fiona.shot("request-refunded")
        await notified(
            self.stack,
            self.chat,
            "notify.refund_issued",
            number=self.request.number,
            amount=owed,
            method=Reply("refund_method.store_credit"),
        )
        await self.offered(OFFERED[Status.REFUNDED])

    async def close(self) -> None:
        """Closing schedules the survey; it reaches the chat two days later."""
        rita = self.staff["reviewer"]
        await rita.goto(self.path)
        assert await rita.act("close") == "ok"
        assert await rita.status_key() == Status.CLOSED
        await rita.shot("request-closed")
        assert await self.stack.deliver() == 0
        self.stack.clock.advance(timedelta(days=2))
        survey = await notified(self.stack, self.chat, "notify.survey", number=self.request.number)
        assert len(survey["reply_markup"]["inline_keyboard"][0]) == 5
        await self.request.refresh_from_db()
        assert self.request.status is Status.CLOSED
        assert await Message.filter(request_id=self.request.id).count() == 2


async def test_exchange_replacement_ships_after_the_difference_is_paid(stack: Stack) -> None:
    chat, request = await opened(stack, "ru", EXCHANGE_DRAFT)
    rita = await stack.sign_in("reviewer")
    wang = await stack.sign_in("warehouse")
    fiona = await stack.sign_in("finance")
    pages = {"reviewer": rita, "warehouse": wang, "finance": fiona}

    await rita.open_from_queue(request.number)
    assert "Product TEE-2" in await rita.page.inner_text("table")
    assert await rita.act("approve") == "ok"
    await request.refresh_from_db()
    await notified(
        stack,
        chat,
        "notify.return_approved",
        number=request.number,
        deadline=request.deadline_at,
        shipping_paid_by=Reply("shipping.customer"),
    )

    line = await ReturnLine.get(request_id=request.id)
    await wang.goto(f"/returns/{request.id}")
    assert await wang.act("receive", **{f"received_{line.id}": "1"}) == "ok"
    await notified(stack, chat, "notify.return_received", number=request.number)
    assert await wang.act("inspect", **{f"a_{line.id}": "1"}) == "ok"
    assert await stack.deliver() == 2
    await chat.expect("notify.return_inspected", number=request.number, accepted=1, refused=0)
    await chat.expect("notify.exchange_payment_due", number=request.number, amount=Decimal("50.00"))
    await expect_offered(pages, request, INSPECTED_OFFERED["exchange"])

    # The warehouse sees what the shipment waits for (the server refuses it meanwhile too:
    # tests/services/test_refunds.py).
    await wang.goto(f"/returns/{request.id}")
    assert "50.00" in await wang.page.inner_text("p.waiting")

    await fiona.goto(f"/returns/{request.id}")
    await fiona.shot("exchange-inspected")
    # An amount that is not money is refused with a message and records nothing.
    assert await fiona.act("record_payment", amount="fifty", reference="PAY-7") == "error"
    assert "Write the amount in plain digits" in await fiona.flash_text()
    assert await fiona.status_key() == Status.INSPECTED
    assert not await Payment.filter(request_id=request.id).exists()
    assert await fiona.act("record_payment", amount="50.00", reference="PAY-7") == "ok"
    await notified(
        stack, chat, "notify.payment_recorded", number=request.number, amount=Decimal("50.00")
    )

    await wang.goto(f"/returns/{request.id}")
    assert await wang.act("ship_replacement", tracking="YT0000000001") == "ok"
    assert await wang.status_key() == Status.EXCHANGED
    await wang.shot("exchange-exchanged")
    await notified(
        stack,
        chat,
        "notify.replacement_shipped",
        number=request.number,
        tracking_number="YT0000000001",
    )
    await request.refresh_from_db()
    assert (request.status, request.replacement_tracking) == (Status.EXCHANGED, "YT0000000001")


async def photo_through_the_proxy(staff: StaffPage, sent: bytes) -> None:
    """The customer's photo is served by the back-office; the bot token never reaches the page."""
    src = await staff.page.get_attribute("div.photos img", "src")
    assert src is not None
    assert src.startswith("/attachments/")
    photo = await staff.page.request.get(src)
    assert (photo.status, await photo.body()) == (200, sent)
    assert TOKEN not in await staff.page.content()
    assert TOKEN.split(":")[1] not in await staff.page.content()


async def slip(staff: StaffPage, request: ReturnRequest) -> None:
    """The printable slip carries the RMA number and its QR code (an inline SVG image)."""
    await staff.goto(f"/returns/{request.id}")
    await staff.submit("a[href$='/slip']")
    assert await staff.page.inner_text("h1") == request.number
    qr = staff.page.locator(f"img[alt='QR {request.number}']")
    assert (await qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    assert await qr.evaluate("img => img.complete && img.naturalWidth > 0")
    await staff.shot("rma-slip")
    # A scanner types the code's text into the queue's search: it finds this request alone.
    await staff.goto("/returns")
    await staff.page.fill("form.filters input[name=q]", request.number)
    await staff.submit("form.filters button[type=submit]")
    assert await staff.page.locator("table.queue tbody a").all_inner_texts() == [request.number]


async def no_sideways_scrolling(staff: StaffPage) -> None:
    """On a phone the page fits the screen's width and every action button is reachable."""
    width = staff.page.viewport_size["width"]
    assert await staff.page.evaluate("document.documentElement.scrollWidth") <= width
    for button in await staff.page.query_selector_all("div.actions button[type=submit]"):
        box = await button.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width
