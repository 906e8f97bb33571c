"""Shared steps of the chat's end-to-end tests.

A :class:`Chat` is one Telegram user talking to the real bot through the emulator in one
language. Every step checks the bot's answer against the catalog: the expected text is the
same catalog key rendered with :mod:`bot.i18n`, and outside English it must differ from the
English text (a missing translation shows). Buttons are pressed by their callback verb and
argument, and their labels are checked where they matter.

Figures come from the factory shop (``tests.factories``): the clock stands at
2026-03-10 12:00 shop time; SO-1 was delivered on 8 March, so its 15-day quality window ends
on 23 March.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.i18n import Renderer
from domain.money import percent_of
from domain.returns import Actor, ReturnType, Status
from models import (
    Attachment,
    ChatState,
    Customer,
    Message,
    Order,
    OrderLine,
    Refund,
    ReturnEvent,
    ReturnLine,
    ReturnRequest,
    Survey,
)
from services.chat import Percent, Reply
from services.chat.following import TIMELINE
from services.refunds import refund_return
from services.review import approve_return, close_return
from services.submission import LineRequest, ReturnDraft, submit_return
from services.warehouse import Grades, inspect_return, receive_return
from tests.e2e.conftest import PHONE, WAIT, Desk
from tests.factories import ADMIN, FINANCE, REVIEWER, WAREHOUSE, open_return, place_order

LANGUAGES = ("en", "zh_Hans", "ru")
TELEGRAM_CODE = {"en": "en", "zh_Hans": "zh-hans", "ru": "ru"}
OTHER_PHONE = "+79000000002"

SO1_LAST_DAY = date(2026, 3, 23)
QUALITY_REASONS = {"quality_defect", "not_as_described", "wrong_item", "damaged_in_transit"}
REASONS = (*QUALITY_REASONS, "size_fit", "changed_mind", "other")
MAX_PHOTOS = 5
MAX_DESCRIPTION = 1000
SHIP_BACK_DAYS = 14

on_both_databases = pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
"""Run a test on SQLite and PostgreSQL where its module pins ``db_kind`` to SQLite."""

by_language = pytest.mark.parametrize("lang", LANGUAGES)
Step = Callable[[Mapping[str, Any]], Awaitable[dict[str, Any]]]


@functools.cache
def catalog() -> Renderer:
    from tests.e2e.conftest import renderer

    return renderer()


def text(lang: str, key: str, *, plural: int | None = None, **params: Any) -> str:
    """The catalog's text for ``key`` in ``lang`` (``plural`` picks the form), as rendered."""
    return catalog().text(Reply(key, params, count=plural), lang)


def labels(message: Mapping[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


def verbs(message: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(verb, argument) of every step button on a message."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    found = []
    for button in (b for row in rows for b in row):
        _nonce, verb, argument = [*button["callback_data"].split(":", 2), "", ""][:3]
        found.append((verb, argument))
    return found


def button(message: Mapping[str, Any], verb: str, argument: object = "") -> dict[str, Any]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    for candidate in (b for row in rows for b in row):
        parts = candidate["callback_data"].split(":", 2)
        if parts[1:] == [verb, str(argument)]:
            return candidate
    raise AssertionError(f"no button {verb}:{argument} in {labels(message)}")


@dataclass(frozen=True)
class Draft:
    """What the customer chooses while opening a request."""

    items: tuple[tuple[str, int], ...] = (("TEE-1", 1),)
    reason: str = "quality_defect"
    kind: str = "refund"
    replacements: tuple[str, ...] = ()
    photos: int = 1
    description: str = "The seam is torn <b>badly</b> & it shows"
    fee: Decimal = Decimal(0)  # the restocking fee % the shop's rule sets for this return

    @property
    def quality(self) -> bool:
        return self.reason in QUALITY_REASONS

    def credit(self, sku: str, quantity: int, desk: Desk) -> Decimal:
        """What ``quantity`` returned units of ``sku`` count for: their price less the fee."""
        value = desk.shop.lines[sku].unit_price * quantity
        return value - percent_of(value, self.fee)


@dataclass
class Chat:
    """One Telegram user in one language, talking to the bot."""

    desk: Desk
    lang: str
    user_id: int = 0

    @classmethod
    def open(cls, desk: Desk, lang: str = "en", name: str = "Li") -> Chat:
        user = desk.emu.create_user(name, language_code=TELEGRAM_CODE[lang])
        return cls(desk, lang, user["id"])

    # --- talking ---------------------------------------------------------------------

    @property
    def emu(self):
        return self.desk.emu

    def t(self, key: str, *, plural: int | None = None, **params: Any) -> str:
        return text(self.lang, key, plural=plural, **params)

    async def say(self, words: str) -> dict[str, Any]:
        return await self.emu.send_text(self.user_id, words)

    async def command(self, name: str, args: str = "") -> dict[str, Any]:
        return await self.emu.send_command(self.user_id, name, args)

    async def photo(self, data: bytes = b"\x89PNG fake photo", caption: str = "") -> dict:
        return await self.emu.send_photo(self.user_id, data, caption or None)

    async def sticker(self) -> dict[str, Any]:
        return await self.emu.send_sticker(self.user_id)

    async def contact(self, phone: str = PHONE, owner: int | None = None) -> dict[str, Any]:
        return await self.emu.share_contact(
            self.user_id, phone, contact_user_id=owner or self.user_id
        )

    async def press(self, message: Mapping[str, Any], verb: str, argument: object = "") -> dict:
        data = button(message, verb, argument)["callback_data"]
        return await self.press_data(message, data)

    async def press_data(self, message: Mapping[str, Any], data: str) -> dict[str, Any]:
        """Press ``data`` on ``message`` (a real button's data, or a forged one)."""
        return await self.emu.press_button(self.user_id, message["message_id"], data=data)

    async def next(self) -> dict[str, Any]:
        return await self.emu.next_bot_message(self.user_id, wait=WAIT)

    async def expect(
        self, key: str, *, plural: int | None = None, translated: bool = True, **params: Any
    ) -> dict[str, Any]:
        """The bot's next message is ``key`` rendered in the chat's language."""
        message = await self.next()
        assert message["text"] == self.t(key, plural=plural, **params)
        if translated and self.lang != "en":
            assert message["text"] != text("en", key, plural=plural, **params), key
        return message

    async def notice(self, update: Mapping[str, Any]) -> str | None:
        """The text the bot answered a button press with (None: answered silently)."""
        await self.emu.wait_until(
            self.user_id, lambda: self.emu.callback_answer(update) is not None, WAIT
        )
        return self.emu.callback_answer(update).get("text")

    async def expect_unavailable(self, update: Mapping[str, Any]) -> None:
        assert await self.notice(update) == self.t("notice.unavailable")

    async def nothing_more(self) -> None:
        """Nothing was sent since the last message read: /help is answered next."""
        await self.command("help")
        await self.expect("help.show")

    # --- identification --------------------------------------------------------------

    async def link(self, deep_link: str = "") -> None:
        """/start, share the own phone number, and be linked to Li Lei's orders."""
        await self.command("start", deep_link)
        welcome = await self.expect("start.welcome")
        [[share]] = welcome["reply_markup"]["keyboard"]
        assert share == {"text": self.t("button.share_contact"), "request_contact": True}
        await self.contact()
        await self.expect("contact.linked", name="Li Lei")
        assert self.emu.hub.user_chat(self.user_id).keyboard is None
        if not deep_link:
            await self.expect("help.show")

    # --- opening a request -------------------------------------------------------------

    def order_line(self, order: Order, last_day: date, refusal: str = "eligible") -> str:
        line = order_reply(order, last_day, refusal)
        return self.t(line.key, **line.params)

    async def new_request(self) -> dict[str, Any]:
        """/new: the order list offers SO-1."""
        await self.command("new")
        return await self.orders_prompt()

    async def orders_prompt(self) -> dict[str, Any]:
        orders = await self.next()
        so1 = self.desk.shop.order
        assert orders["text"].startswith(self.t("orders.pick", orders=()))
        assert self.order_line(so1, SO1_LAST_DAY) in orders["text"].splitlines()
        assert button(orders, "order", so1.id)["text"] == self.t("button.order", number="SO-1")
        return orders

    async def expect_items(self) -> dict[str, Any]:
        """The item step of SO-1, which names its soap as not returnable."""
        soap = Reply("items.not_returnable", {"name": "Product SOAP-1"})
        return await self.expect("items.pick_except", number="SO-1", unavailable=(soap,))

    async def pick_order(self, orders: Mapping[str, Any]) -> dict[str, Any]:
        await self.press(orders, "order", self.desk.shop.order.id)
        items = await self.expect_items()
        lines = self.desk.shop.lines
        offered = [arg for verb, arg in verbs(items) if verb == "item"]
        assert offered == [str(lines[sku].id) for sku in ("TEE-1", "CAP-1", "MUG-1")]
        assert str(lines["SOAP-1"].id) not in offered
        tee = button(items, "item", lines["TEE-1"].id)["text"]
        assert tee == self.t("button.item", name="Product TEE-1", available=2, chosen=0)
        assert {("back", ""), ("cancel", "")} <= set(verbs(items))
        return items

    async def pick_item(
        self, items: Mapping[str, Any], sku: str, quantity: int, available: int | None = None
    ) -> dict[str, Any]:
        line = self.desk.shop.lines[sku]
        available = line.quantity if available is None else available
        await self.press(items, "item", line.id)
        if available > 1:
            prompt = await self.expect("quantity.pick", name=line.product.name, available=available)
            assert labels(prompt)[:available] == [str(n) for n in range(1, available + 1)]
            await self.press(prompt, "qty", quantity)
        items = await self.expect_items()
        chosen = self.t(
            "button.item_chosen", name=line.product.name, chosen=quantity, available=available
        )
        assert button(items, "item", line.id)["text"] == chosen
        return items

    async def items_done(self, items: Mapping[str, Any]) -> dict[str, Any]:
        await self.press(items, "items_done")
        reasons = await self.expect("reason.pick")
        codes = {arg for verb, arg in verbs(reasons) if verb == "reason"}
        assert codes == set(REASONS)
        assert self.t("reason.size_fit") in labels(reasons)
        return reasons

    async def pick_reason(self, reasons: Mapping[str, Any], code: str) -> dict[str, Any]:
        await self.press(reasons, "reason", code)
        kinds = await self.expect("type.pick")
        assert labels(kinds)[:2] == [self.t("button.refund"), self.t("button.exchange")]
        return kinds

    async def pick_refund(self, kinds: Mapping[str, Any], draft: Draft) -> dict[str, Any]:
        await self.press(kinds, "type", "refund")
        return await self.expect_photos(draft, 0)

    async def expect_replacements(
        self, sku: str, quantity: int, draft: Draft = Draft()
    ) -> dict[str, Any]:
        """The replacements for ``sku``, each with the difference the summary will show."""
        line = self.desk.shop.lines[sku]
        credit = draft.credit(sku, quantity, self.desk)
        prompt = await self.expect(
            "replacement.pick_fee" if draft.fee else "replacement.pick",
            name=line.product.name,
            price=line.unit_price,
            fee=Percent(draft.fee),
            credit=credit,
        )
        products = self.desk.shop.products
        same_category = sorted(
            (p for p in products.values() if p.category == line.product.category),
            key=lambda p: p.price,
        )
        offered = [arg for verb, arg in verbs(prompt) if verb == "swap"]
        assert offered == [str(p.id) for p in same_category]
        for product in same_category:
            label = self.t(
                "button.replacement",
                name=product.name,
                price=product.price,
                difference=expected_difference(product.price * quantity - credit),
            )
            assert button(prompt, "swap", product.id)["text"] == label
        return prompt

    async def pick_replacement(self, prompt: Mapping[str, Any], sku: str) -> None:
        await self.press(prompt, "swap", self.desk.shop.products[sku].id)

    async def expect_photos(self, draft: Draft, count: int) -> dict[str, Any]:
        key = "photos.required" if draft.quality else "photos.optional"
        if count >= MAX_PHOTOS:
            key = "photos.full"  # only the button goes on
        prompt = await self.expect(key, plural=count, max=MAX_PHOTOS, count=count)
        if count or not draft.quality:
            done = "button.photos_done" if count else "button.skip"
            assert button(prompt, "photos_done")["text"] == self.t(done)
        else:
            assert ("photos_done", "") not in verbs(prompt)
        return prompt

    async def send_photos(self, draft: Draft, count: int, already: int = 0) -> dict[str, Any]:
        prompt: dict[str, Any] = {}
        for n in range(already + 1, already + count + 1):
            await self.photo(f"photo {n}".encode())
            prompt = await self.expect_photos(draft, n)
        return prompt

    async def photos_done(self, prompt: Mapping[str, Any]) -> dict[str, Any]:
        await self.press(prompt, "photos_done")
        return await self.expect("description.ask", max=MAX_DESCRIPTION)

    async def describe(self, prompt: Mapping[str, Any], draft: Draft) -> dict[str, Any]:
        if draft.description:
            await self.say(draft.description)
        else:
            await self.press(prompt, "describe")
        return await self.expect_summary(draft)

    async def expect_summary(self, draft: Draft) -> dict[str, Any]:
        summary = await self.expect("summary.show", **summary_params(self.desk, draft))
        assert button(summary, "confirm")["text"] == self.t("button.confirm")
        return summary

    async def confirm(self, summary: Mapping[str, Any]) -> ReturnRequest:
        await self.press(summary, "confirm")
        message = await self.next()
        request = (
            await ReturnRequest.filter(customer_id=self.desk.shop.customer.id)
            .order_by("-id")
            .first()
        )
        assert request is not None
        assert message["text"] == self.t("submitted.review", number=request.number, deadline=None)
        return request

    async def open_until(self, stop: str, draft: Draft = Draft()) -> dict[str, Any]:
        """Open a request with ``draft`` up to ``stop``; the prompt of that step."""
        message = await self.new_request()
        for step, action in self._opening(draft):
            if step == stop:
                return message
            message = await action(message)
        assert stop == "summary", stop
        return message

    def _opening(self, draft: Draft) -> list[tuple[str, Step]]:
        """Each step of opening ``draft`` and what the customer does there."""
        steps: list[tuple[str, Step]] = [
            ("order", self.pick_order),
            ("items", functools.partial(self._items, draft)),
            ("reason", lambda message: self.pick_reason(message, draft.reason)),
            ("type", functools.partial(self._kind, draft)),
            ("replacement", functools.partial(self._replacements, draft)),
            ("photos", functools.partial(self._photos, draft)),
            ("description", lambda message: self.describe(message, draft)),
        ]
        return [s for s in steps if s[0] != "replacement" or draft.kind == "exchange"]

    async def _items(self, draft: Draft, message: Mapping[str, Any]) -> dict[str, Any]:
        for sku, quantity in draft.items:
            message = await self.pick_item(message, sku, quantity)
        return await self.items_done(message)

    async def _kind(self, draft: Draft, message: Mapping[str, Any]) -> dict[str, Any]:
        if draft.kind == "refund":
            return await self.pick_refund(message, draft)
        await self.press(message, "type", "exchange")
        return await self.expect_replacements(*draft.items[0], draft)

    async def _replacements(self, draft: Draft, message: Mapping[str, Any]) -> dict[str, Any]:
        for n, replacement in enumerate(draft.replacements):
            if n:
                message = await self.expect_replacements(*draft.items[n], draft)
            await self.pick_replacement(message, replacement)
        return await self.expect_photos(draft, 0)

    async def _photos(self, draft: Draft, message: Mapping[str, Any]) -> dict[str, Any]:
        if draft.photos:
            message = await self.send_photos(draft, draft.photos)
        return await self.photos_done(message)

    # --- following ---------------------------------------------------------------------

    async def my(self, *requests: ReturnRequest) -> dict[str, Any]:
        """/my lists ``requests`` (newest first)."""
        await self.command("my")
        listed = await self.expect("list.pick", plural=len(requests), count=len(requests))
        expected = []
        for request in requests:
            await request.refresh_from_db()
            status = status_words(request)
            expected.append(self.t("button.request", number=request.number, status=status))
        assert labels(listed) == [*expected, self.t("button.close_menu")]
        return listed

    async def detail(
        self,
        listed: Mapping[str, Any],
        request: ReturnRequest,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Press the request on the list: its detail (a refund's, unless ``params``)."""
        await self.press(listed, "req", request.id)
        return await self.expect("detail.show", **(params or await detail_params(request)))


def status_words(request: ReturnRequest) -> Reply:
    """The status the chat names: a refund with part still owed is only partly refunded."""
    if request.status is Status.REFUNDED and request.refund_due:
        return Reply("status.refunded_partly")
    return Reply(f"status.{request.status}")


def order_reply(order: Order, last_day: date, refusal: str = "eligible") -> Reply:
    """One line of the order list."""
    params = {"number": order.number, "date": order.ordered_at, "until": last_day}
    return Reply(f"orders.{refusal}", params)


def summary_params(desk: Desk, draft: Draft) -> dict[str, Any]:
    """What the summary should say about ``draft`` (hand-worked from the factory's prices)."""
    items = []
    replacements = dict(zip((sku for sku, _ in draft.items), draft.replacements, strict=False))
    for sku, quantity in draft.items:
        line = desk.shop.lines[sku]
        params: dict[str, Any] = {"name": line.product.name, "quantity": quantity}
        if sku in replacements:
            items.append(_exchange_item(desk, draft, sku, quantity, replacements[sku]))
        else:
            items.append(
                Reply("summary.refund_item", params | {"amount": line.unit_price * quantity})
            )
    decision = Reply(
        "decision.eligible",
        {
            "shipping": Reply("shipping.shop" if draft.quality else "shipping.customer"),
            "fee": Percent(draft.fee),
            "approval": Reply("decision.review"),
            "days": SHIP_BACK_DAYS,
        },
    )
    return {"items": tuple(items), "reason": Reply(f"reason.{draft.reason}"), "decision": decision}


def _exchange_item(desk: Desk, draft: Draft, sku: str, quantity: int, replacement: str) -> Reply:
    """A summary's exchange line: the swap, any restocking fee, and the difference."""
    line, product = desk.shop.lines[sku], desk.shop.products[replacement]
    credit = draft.credit(sku, quantity, desk)
    params: dict[str, Any] = {
        "name": line.product.name,
        "quantity": quantity,
        "replacement": product.name,
        "difference": expected_difference(product.price * quantity - credit),
    }
    if not draft.fee:
        return Reply("summary.exchange_item", params)
    amounts = {"value": line.unit_price * quantity, "fee": Percent(draft.fee), "credit": credit}
    return Reply("summary.exchange_item_fee", params | amounts)


async def detail_params(request: ReturnRequest) -> dict[str, Any]:
    """What the detail of ``request`` should say, from the database."""
    await request.refresh_from_db()
    lines = await ReturnLine.filter(request_id=request.id).prefetch_related("order_line__product")
    events = await ReturnEvent.filter(request_id=request.id, action__in=TIMELINE).order_by("id")
    return {
        "number": request.number,
        "status": status_words(request),
        "items": (
            *(
                Reply("detail.item", {"name": ln.order_line.product.name, "quantity": ln.quantity})
                for ln in lines
            ),
            *await refund_words(request),
        ),
        "timeline": tuple(
            Reply(f"event.{e.action}", {"when": e.created_at, "note": e.note}) for e in events
        ),
    }


async def refund_words(request: ReturnRequest) -> tuple[Reply, ...]:
    """A refund's money in its detail: refunded so far and still owed, once either is not
    nothing."""
    refunded = sum(await Refund.filter(request_id=request.id).values_list("amount", flat=True))
    owed = request.refund_due
    if refunded and owed:
        return (Reply("detail.refund_rest", {"refunded": refunded, "amount": owed}),)
    if owed:
        return (Reply("detail.refund_to_get", {"amount": owed}),)
    if refunded:
        return (Reply("detail.refund_done", {"amount": refunded}),)
    return ()


# --- the shop behind the chat ---------------------------------------------------------------


async def submitted(desk: Desk, **kwargs: Any) -> ReturnRequest:
    """Li Lei's request for one TEE-1 (quality defect, one photo), as if opened earlier."""
    view = await open_return(desk.shop, **kwargs)
    return await ReturnRequest.get(id=view.id)


async def approved(desk: Desk) -> ReturnRequest:
    request = await submitted(desk)
    await approve_return(request.id, actor=REVIEWER, clock=desk.shop.clock)
    await request.refresh_from_db()
    return request


async def received_and_accepted(desk: Desk, request: ReturnRequest) -> None:
    """Receive every unit of an approved ``request`` and accept them all (grade A)."""
    clock = desk.shop.clock
    lines = await ReturnLine.filter(request_id=request.id)
    await receive_return(
        request.id, {ln.id: ln.quantity for ln in lines}, actor=WAREHOUSE, clock=clock
    )
    grades = {ln.id: Grades(resellable=ln.quantity) for ln in lines}
    await inspect_return(request.id, grades, actor=WAREHOUSE, clock=clock)


async def inspected(desk: Desk, request: ReturnRequest) -> None:
    """Approve, receive and accept every unit of a submitted ``request`` as the desk would."""
    await approve_return(request.id, actor=REVIEWER, clock=desk.shop.clock)
    await received_and_accepted(desk, request)


async def closed_refund(desk: Desk) -> ReturnRequest:
    """A refund request taken all the way: approved, received, inspected, refunded, closed."""
    clock = desk.shop.clock
    request = await approved(desk)
    await received_and_accepted(desk, request)
    await refund_return(request.id, actor=FINANCE, clock=clock)
    await close_return(request.id, actor=ADMIN, clock=clock)
    await request.refresh_from_db()
    return request


async def other_customers_request(desk: Desk) -> tuple[Order, ReturnRequest]:
    """Anna's order SO-2 (a TEE-1, delivered yesterday) and her submitted request on it."""
    clock = desk.shop.clock
    await place_order(
        clock, "SO-2", OTHER_PHONE, clock.now() - timedelta(days=1), [("TEE-1", 1, "100.00")]
    )
    order = await Order.get(number="SO-2")
    line = await OrderLine.get(order_id=order.id)
    draft = ReturnDraft(
        order.id,
        ReturnType.REFUND,
        "changed_mind",
        (LineRequest(line.id, 1, None),),
    )
    view = await submit_return(draft, actor=Actor.customer(desk.shop.other.id), clock=clock)
    return order, await ReturnRequest.get(id=view.id)


async def deliver_outbox(desk: Desk) -> int:
    """Send the outbox's due messages through the running bot, as the scheduler's job does."""
    from jobs.outbox import deliver_due

    bot = desk.app.bot
    renderer = desk.app.bot_data["renderer"]
    return await deliver_due(bot, renderer, clock=desk.shop.clock, staff_chat_id=None)


async def snapshot(chat: Chat) -> dict[str, Any]:
    """What a bad or repeated input must not change: the business rows and the chat's step."""
    state = await ChatState.get_or_none(chat_id=chat.user_id)
    return {
        "return_request": await ReturnRequest.all().count(),
        "return_line": await ReturnLine.all().count(),
        "return_event": await ReturnEvent.all().count(),
        "message": await Message.all().count(),
        "attachment": await Attachment.all().count(),
        "survey": await Survey.all().count(),
        "linked": await Customer.filter(telegram_user_id=chat.user_id).count(),
        "statuses": list(await ReturnRequest.all().order_by("id").values_list("status", flat=True)),
        "step": state.step if state else None,
        "data": state.data if state else None,
        "customer_id": state.customer_id if state else None,
        "language": state.language if state else None,
    }


def expected_difference(amount: Decimal) -> Reply:
    """How the chat words an exchange's price difference (who pays, or nobody)."""
    if amount > 0:
        return Reply("difference.pay", {"amount": amount})
    if amount < 0:
        return Reply("difference.back", {"amount": -amount})
    return Reply("difference.none")
