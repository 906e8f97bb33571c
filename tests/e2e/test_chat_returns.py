"""Opening a request in the chat (SPEC §5), in every language, through the real bot.

Each flow links the customer, opens a request step by step and checks what the customer
sees (the catalog's text in their language) and what the database holds afterwards. The
language matrix runs on SQLite; the refund flow also runs on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.returns import ReturnType, Status
from models import Attachment, Order, OrderLine, ReturnEvent, ReturnLine, ReturnRequest
from services.chat import Percent, Reply
from services.policies import add_reason_code, rename_reason_code, save_policy_rule
from services.refunds import exchange_due, refundable_amount
from services.review import approve_return
from services.warehouse import Grades, inspect_return, receive_return
from tests.e2e.flows import (
    MAX_DESCRIPTION,
    SO1_LAST_DAY,
    Chat,
    Draft,
    button,
    by_language,
    deliver_outbox,
    inspected,
    labels,
    on_both_databases,
    order_reply,
    verbs,
)
from tests.factories import ADMIN, REVIEWER, WAREHOUSE, open_return, place_order

# TEE-1 (paid 100.00) for the dearer TEE-2 (150.00), size doesn't fit, no photo or words
DEARER_SWAP = Draft(
    items=(("TEE-1", 1),),
    reason="size_fit",
    kind="exchange",
    replacements=("TEE-2",),
    photos=0,
    description="",
)


@pytest.fixture
def db_kind() -> str:
    """The language matrix runs on SQLite; ``on_both_databases`` adds PostgreSQL."""
    return "sqlite"


@on_both_databases
async def test_refund_with_photos_on_both_databases(desk) -> None:
    await _refund_with_photos(desk, "zh_Hans")


@by_language
async def test_refund_with_photos_is_submitted_with_its_photos_and_description(
    desk, lang: str
) -> None:
    await _refund_with_photos(desk, lang)


async def _refund_with_photos(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    draft = Draft(items=(("TEE-1", 2), ("CAP-1", 1)), photos=2)
    summary = await chat.open_until("summary", draft)
    total = Decimal("255.00")  # 2 × 100.00 + 55.00 (CAP-1 was sold at 55.00, not its 60.00 list)
    assert sum(q * desk.shop.lines[s].unit_price for s, q in draft.items) == total

    request = await chat.confirm(summary)

    assert request.status is Status.SUBMITTED
    assert request.type is ReturnType.REFUND
    assert (request.reason_code, request.description) == ("quality_defect", draft.description)
    lines = await ReturnLine.filter(request_id=request.id).order_by("id")
    assert [(ln.order_line_id, ln.quantity, ln.replacement_product_id) for ln in lines] == [
        (desk.shop.lines["TEE-1"].id, 2, None),
        (desk.shop.lines["CAP-1"].id, 1, None),
    ]
    photos = await Attachment.filter(request_id=request.id).order_by("id")
    sent = [
        m for m in desk.emu.messages(chat.user_id, include_user=True) if "photo" in m["message"]
    ]
    sent_ids = [m["message"]["photo"][-1]["file_id"] for m in sent if not m["from_bot"]]
    assert [p.telegram_file_id for p in photos] == sent_ids
    assert len(sent_ids) == 2
    [event] = await ReturnEvent.filter(request_id=request.id)
    assert (event.action, event.actor) == ("submit", f"customer:{desk.shop.customer.id}")
    assert request.customer_id == desk.shop.customer.id


@by_language
async def test_exchange_for_a_dearer_replacement_shows_the_difference(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    draft = DEARER_SWAP
    summary = await chat.open_until("summary", draft)
    difference = chat.t(
        "summary.exchange_item",
        name="Product TEE-1",
        quantity=1,
        replacement="Product TEE-2",
        difference=Reply("difference.pay", {"amount": Decimal("50.00")}),
    )
    assert difference in summary["text"]
    assert "50" in difference

    request = await chat.confirm(summary)

    assert request.type is ReturnType.EXCHANGE
    assert (request.reason_code, request.description) == ("size_fit", "")
    [line] = await ReturnLine.filter(request_id=request.id)
    assert line.replacement_product_id == desk.shop.products["TEE-2"].id
    assert line.replacement_unit_price == Decimal("150.00")
    assert await Attachment.filter(request_id=request.id).count() == 0


@by_language
async def test_an_exchange_difference_counts_the_restocking_fee_as_the_ledger_will(
    desk, lang: str
) -> None:
    """TEE-1 (paid 100.00) for TEE-2 (150.00), a no-reason return with a 10 % fee: the
    returned unit is worth 90.00, so the customer pays 60.00, in the picker, in the summary
    (which shows the fee) and at the desk."""
    await save_policy_rule("default", "", {"restocking_fee_percent": "10"}, actor=ADMIN)
    chat = Chat.open(desk, lang)
    await chat.link()
    draft = replace(DEARER_SWAP, fee=Decimal(10))
    picker = await chat.open_until("replacement", draft)  # checks every button's difference
    pays = Reply("difference.pay", {"amount": Decimal("60.00")})
    tee2 = desk.shop.products["TEE-2"]
    assert button(picker, "swap", tee2.id)["text"] == chat.t(
        "button.replacement", name="Product TEE-2", price=Decimal("150.00"), difference=pays
    )
    await chat.pick_replacement(picker, "TEE-2")
    prompt = await chat.photos_done(await chat.expect_photos(draft, 0))
    await chat.press(prompt, "describe")
    summary = await chat.expect_summary(draft)
    item = chat.t(
        "summary.exchange_item_fee",
        name="Product TEE-1",
        quantity=1,
        replacement="Product TEE-2",
        value=Decimal("100.00"),
        fee=Percent(Decimal(10)),
        credit=Decimal("90.00"),
        difference=pays,
    )
    assert item in summary["text"].splitlines()
    request = await chat.confirm(summary)
    await inspected(desk, request)
    assert await exchange_due(request.id) == Decimal("60.00")


@by_language
async def test_the_replacement_picker_shows_what_the_summary_and_the_desk_count(
    desk, lang: str
) -> None:
    """Two TEE-1 (paid 200.00) for two cheaper CAP-1 (120.00) with a 10 % fee: the returned
    units count for 180.00, so 60.00 comes back, on the button, in the summary and in what
    the desk owes (not the 80.00 the prices alone would say)."""
    await save_policy_rule("default", "", {"restocking_fee_percent": "10"}, actor=ADMIN)
    chat = Chat.open(desk, lang)
    await chat.link()
    draft = Draft(
        items=(("TEE-1", 2),),
        reason="size_fit",
        kind="exchange",
        replacements=("CAP-1",),
        photos=0,
        description="",
        fee=Decimal(10),
    )
    picker = await chat.open_until("replacement", draft)
    back = Reply("difference.back", {"amount": Decimal("60.00")})
    cap = desk.shop.products["CAP-1"]
    assert button(picker, "swap", cap.id)["text"] == chat.t(
        "button.replacement", name="Product CAP-1", price=Decimal("60.00"), difference=back
    )
    assert chat.t("replacement.pick_fee", **PICKED_TEES) == picker["text"]
    await chat.pick_replacement(picker, "CAP-1")
    prompt = await chat.photos_done(await chat.expect_photos(draft, 0))
    summary = await chat.describe(prompt, draft)

    request = await chat.confirm(summary)

    await inspected(desk, request)
    assert await exchange_due(request.id) == Decimal("-60.00")


PICKED_TEES = {
    "name": "Product TEE-1",
    "price": Decimal("100.00"),
    "fee": Percent(Decimal(10)),
    "credit": Decimal("180.00"),
}


@by_language
async def test_exchange_for_a_cheaper_replacement_of_two_units(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    draft = Draft(
        items=(("TEE-1", 2), ("MUG-1", 1)),
        reason="wrong_item",
        kind="exchange",
        replacements=("CAP-1", "MUG-1"),
        photos=1,
    )
    summary = await chat.open_until("summary", draft)
    cheaper = chat.t(
        "summary.exchange_item",
        name="Product TEE-1",
        quantity=2,
        replacement="Product CAP-1",
        difference=Reply("difference.back", {"amount": Decimal("80.00")}),  # (100 - 60) × 2
    )
    assert cheaper in summary["text"]

    request = await chat.confirm(summary)

    lines = await ReturnLine.filter(request_id=request.id).order_by("id")
    products = desk.shop.products
    assert [
        (ln.quantity, ln.replacement_product_id, ln.replacement_unit_price) for ln in lines
    ] == [
        (2, products["CAP-1"].id, Decimal("60.00")),
        (1, products["MUG-1"].id, Decimal("80.00")),
    ]


@by_language
async def test_an_order_past_its_window_says_why_and_until_when_without_a_button(
    desk, lang: str
) -> None:
    clock = desk.shop.clock
    await place_order(
        clock, "SO-9", "+8613800000001", clock.now() - timedelta(days=30), [("TEE-1", 1, "99.00")]
    )
    old = await Order.get(number="SO-9")
    chat = Chat.open(desk, lang)
    await chat.link()

    orders = await chat.new_request()

    # delivered on 8 February (shop time): the 15-day window ran 9–23 February
    closed = order_reply(old, date(2026, 2, 23), "window_closed")
    eligible = order_reply(desk.shop.order, SO1_LAST_DAY)
    assert orders["text"] == chat.t("orders.pick", orders=(eligible, closed))
    assert chat.t(closed.key, **closed.params) in orders["text"]
    assert ("order", str(old.id)) not in verbs(orders)
    assert labels(orders) == [chat.t("button.order", number="SO-1"), chat.t("button.cancel")]


@by_language
async def test_an_order_stays_returnable_while_the_no_reason_period_lasts(desk, lang: str) -> None:
    """A 30-day no-reason period (the shop's default rule): SO-9, delivered on 18 February,
    is past its 15-day quality period (5 March) but may go back for "size does not fit"
    until 20 March, so the list offers it until then, and the reason step agrees."""
    await save_policy_rule("default", "", {"no_reason_days": 30}, actor=ADMIN)
    clock = desk.shop.clock
    await place_order(
        clock, "SO-9", "+8613800000001", clock.now() - timedelta(days=20), [("TEE-1", 1, "99.00")]
    )
    old = await Order.get(number="SO-9")
    chat = Chat.open(desk, lang)
    await chat.link()

    await chat.command("new")

    so1 = order_reply(desk.shop.order, date(2026, 4, 7))  # delivered 8 March, 30 days
    so9 = order_reply(old, date(2026, 3, 20))
    orders = await chat.expect("orders.pick", orders=(so1, so9))
    await chat.press(orders, "order", old.id)
    items = await chat.expect("items.pick", number="SO-9")
    line = await OrderLine.get(order_id=old.id)
    await chat.press(items, "item", line.id)
    await chat.press(await chat.expect("items.pick", number="SO-9"), "items_done")
    await chat.pick_reason(await chat.expect("reason.pick"), "size_fit")  # not refused


@by_language
async def test_an_orders_last_day_follows_its_items_category_rules(desk, lang: str) -> None:
    """Apparel may go back for one day only (a category rule) and home goods for 40 days
    when faulty: SO-7, a T-shirt delivered on 8 March, closed on 9 March; SO-1 has a mug,
    so it stays returnable until 17 April."""
    one_day = {"no_reason_days": 1, "quality_days": 1}
    await save_policy_rule("category", "apparel", one_day, actor=ADMIN)
    await save_policy_rule("category", "home", {"quality_days": 40}, actor=ADMIN)
    clock = desk.shop.clock
    await place_order(
        clock, "SO-7", "+8613800000001", clock.now() - timedelta(days=2), [("TEE-1", 1, "99.00")]
    )
    tee_only = await Order.get(number="SO-7")
    chat = Chat.open(desk, lang)
    await chat.link()

    await chat.command("new")

    closed = order_reply(tee_only, date(2026, 3, 9), "window_closed")
    so1 = order_reply(desk.shop.order, date(2026, 4, 17))
    orders = await chat.expect("orders.pick", orders=(closed, so1))
    assert ("order", str(tee_only.id)) not in verbs(orders)
    assert ("order", str(desk.shop.order.id)) in verbs(orders)


@by_language
async def test_a_non_returnable_item_is_never_offered(desk, lang: str) -> None:
    clock = desk.shop.clock
    await place_order(
        clock, "SO-3", "+8613800000001", clock.now() - timedelta(days=1), [("SOAP-1", 2, "20.00")]
    )
    soap_only = await Order.get(number="SO-3")
    chat = Chat.open(desk, lang)
    await chat.link()

    orders = await chat.new_request()

    refused = chat.t(
        "orders.not_returnable", number="SO-3", date=soap_only.ordered_at, until=date(2026, 3, 24)
    )
    assert refused in orders["text"].splitlines()
    assert ("order", str(soap_only.id)) not in verbs(orders)
    items = await chat.pick_order(orders)  # checks SOAP-1 is not among SO-1's items
    assert "SOAP-1" not in "".join(labels(items))


@by_language
async def test_back_returns_to_the_previous_step_and_keeps_the_choices(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    draft = Draft(items=(("MUG-1", 3),), reason="changed_mind", photos=0, description="")
    summary = await chat.open_until("summary", draft)

    await chat.press(summary, "back")
    description = await chat.expect("description.ask", max=1000)
    await chat.press(description, "back")
    photos = await chat.expect_photos(draft, 0)
    await chat.press(photos, "back")
    kinds = await chat.expect("type.pick")
    await chat.press(kinds, "type", "refund")
    photos = await chat.expect_photos(draft, 0)
    await chat.press(photos, "photos_done")
    description = await chat.expect("description.ask", max=1000)
    await chat.press(description, "describe")
    summary = await chat.expect_summary(draft)
    request = await chat.confirm(summary)

    [line] = await ReturnLine.filter(request_id=request.id)
    assert (line.order_line_id, line.quantity) == (desk.shop.lines["MUG-1"].id, 3)


@by_language
async def test_cancel_on_a_step_forgets_the_draft_and_sends_nothing(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    photos = await chat.open_until("photos")

    await chat.press(photos, "cancel")

    await chat.expect("flow.cancelled")
    assert await ReturnRequest.all().count() == 0
    await chat.command("cancel")
    await chat.expect("flow.nothing")


@by_language
async def test_a_quality_reason_needs_a_photo_before_done(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    photos = await chat.open_until("photos")
    assert ("photos_done", "") not in verbs(photos)
    await chat.say("here it comes")
    # a photo first: no button goes on before it
    await chat.expect("error.wrong_input", expected=Reply("expect.photo_first"))
    await chat.expect_photos(Draft(), 0)

    await chat.photo()
    await chat.expect_photos(Draft(), 1)
    await chat.say("and more words")
    await chat.expect("error.wrong_input", expected=Reply("expect.photos"))
    photos = await chat.expect_photos(Draft(), 1)
    await chat.photos_done(photos)


@by_language
async def test_the_photo_step_follows_the_orders_channel_policy(desk, lang: str) -> None:
    channel = (await Order.get(number="SO-1")).channel
    rules = {"quality_photo_required": False, "max_photos": 2}
    await save_policy_rule("channel", channel, rules, actor=ADMIN)
    chat = Chat.open(desk, lang)
    await chat.link()
    kinds = await chat.open_until("type")
    await chat.press(kinds, "type", "refund")
    photos = await chat.next()
    assert photos["text"] == chat.t("photos.optional", plural=0, max=2, count=0)
    assert button(photos, "photos_done")["text"] == chat.t("button.skip")
    await chat.photo(b"photo 1")
    photos = await chat.next()
    assert photos["text"] == chat.t("photos.optional", plural=1, max=2, count=1)
    await chat.photo(b"photo 2")
    full = await chat.next()  # no "up to 2" once there are 2: only the button goes on
    assert full["text"] == chat.t("photos.full", plural=2, max=2, count=2)
    assert button(full, "photos_done")["text"] == chat.t("button.photos_done")
    await chat.photo(b"photo 3")
    await chat.expect("error.too_many_photos", max=2)
    assert (await chat.next())["text"] == chat.t("photos.full", plural=2, max=2, count=2)


@on_both_databases
async def test_auto_approval_weighs_every_unit_the_customer_bought(desk) -> None:
    """SO-1 has 7 units on four lines; with 2 already returned the rate is 2/7, under 30 %."""
    await open_return(desk.shop, {"MUG-1": 2})  # waits for review: no message to the customer
    await save_policy_rule("default", "", {"auto_approve": True}, actor=ADMIN)
    chat = Chat.open(desk, "en")
    await chat.link()
    draft = Draft(items=(("CAP-1", 1),))
    await chat.open_until("description", draft)
    await chat.say(draft.description)
    summary = await chat.next()
    assert chat.t("decision.auto") in summary["text"]

    await chat.press(summary, "confirm")
    message = await chat.next()
    request = await ReturnRequest.filter(customer_id=desk.shop.customer.id).order_by("-id").first()
    assert request is not None
    assert request.status is Status.APPROVED
    assert message["text"] == chat.t("submitted.sent", number=request.number)
    assert await deliver_outbox(desk) == 1
    await chat.expect(
        "notify.return_approved",
        number=request.number,
        deadline=request.deadline_at,
        shipping_paid_by=Reply("shipping.shop"),
    )
    await chat.nothing_more()  # the approval is said once, by the outbox


@by_language
async def test_reasons_the_shop_added_or_renamed_read_as_the_shop_wrote_them(
    desk, lang: str
) -> None:
    await add_reason_code(
        "late_delivery", "no_reason", labels={"en": "Arrived <late>"}, actor=ADMIN
    )
    await rename_reason_code("size_fit", {lang: "Too small & tight"}, actor=ADMIN)
    chat = Chat.open(desk, lang)
    await chat.link()
    draft = Draft(reason="late_delivery", photos=0)
    items = await chat.open_until("items", draft)
    items = await chat.pick_item(items, "TEE-1", 1)
    await chat.press(items, "items_done")
    reasons = await chat.next()
    shown = labels(reasons)
    assert "Arrived <late>" in shown  # no label in this language: the English one
    assert "Too small & tight" in shown
    assert chat.t("reason.quality_defect") in shown  # a built-in reason: the catalog's words
    assert not [label for label in shown if label.startswith("reason.")]
    kinds = await chat.pick_reason(reasons, "late_delivery")
    described = await chat.photos_done(await chat.pick_refund(kinds, draft))
    await chat.press(described, "describe")
    summary = await chat.next()
    assert "Arrived &lt;late&gt;" in summary["text"]  # HTML: the label is escaped
    assert "reason.late_delivery" not in summary["text"]


@by_language
async def test_a_reason_whose_period_is_over_is_refused_at_once_with_its_last_day(
    desk, lang: str
) -> None:
    """SO-1 was delivered on 8 March; on 18 March the 7-day no-reason period (9–15 March)
    is over and the 15-day quality one is not: "size does not fit" is refused right at the
    reason step, not after photos and words, and a quality reason goes on."""
    desk.shop.clock.advance(timedelta(days=8))
    chat = Chat.open(desk, lang)
    await chat.link()
    items = await chat.pick_order(await chat.new_request())
    reasons = await chat.items_done(await chat.pick_item(items, "MUG-1", 1))

    await chat.press(reasons, "reason", "size_fit")

    await chat.expect(
        "reason.window_closed", reason=Reply("reason.size_fit"), until=date(2026, 3, 15)
    )
    reasons = await chat.expect("reason.pick")
    assert not await ReturnRequest.exists()
    await chat.pick_reason(reasons, "quality_defect")


@by_language
async def test_an_item_past_its_own_period_is_refused_in_the_summary_with_its_last_day(
    desk, lang: str
) -> None:
    """Apparel may go back within one day of delivery (a category rule): on 10 March the
    T-shirt's period (9 March) is over while the mug's is not, so the reason is accepted and
    the summary says which period ended, and when, with no Confirm button."""
    await save_policy_rule("category", "apparel", {"no_reason_days": 1}, actor=ADMIN)
    chat = Chat.open(desk, lang)
    await chat.link()
    draft = Draft(
        items=(("TEE-1", 1), ("MUG-1", 1)), reason="changed_mind", photos=0, description=""
    )
    prompt = await chat.open_until("description", draft)

    await chat.press(prompt, "describe")

    summary = await chat.next()
    assert chat.t("refusal.window_closed", until=date(2026, 3, 9)) in summary["text"]
    assert ("confirm", "") not in verbs(summary)


@by_language
async def test_a_refund_line_shows_the_restocking_fee_and_what_comes_back(desk, lang: str) -> None:
    """CAP-1 (paid 55.00) returned for no reason with the web channel's 2.5 % fee: 1.38 is
    kept, 53.62 comes back, in the summary and in what the desk later owes."""
    rule = {"restocking_fee_percent": "2.5"}
    await save_policy_rule("channel", desk.shop.order.channel, rule, actor=ADMIN)
    chat = Chat.open(desk, lang)
    await chat.link()
    draft = Draft(items=(("CAP-1", 1),), reason="changed_mind", photos=0, description="")
    prompt = await chat.open_until("description", draft)
    await chat.press(prompt, "describe")
    summary = await chat.next()

    fee = Percent(Decimal("2.5"))
    item = chat.t(
        "summary.refund_item_fee",
        name="Product CAP-1",
        quantity=1,
        value=Decimal("55.00"),
        fee=fee,
        amount=Decimal("53.62"),
    )
    assert item in summary["text"].splitlines()
    assert (
        chat.t("summary.refund_item", name="Product CAP-1", quantity=1, amount=Decimal("55.00"))
        not in summary["text"].splitlines()
    )
    request = await chat.confirm(summary)
    await approve_return(request.id, actor=REVIEWER, clock=desk.shop.clock)
    line = await ReturnLine.get(request_id=request.id)
    await receive_return(request.id, {line.id: 1}, actor=WAREHOUSE, clock=desk.shop.clock)
    grades = {line.id: Grades(resellable=1)}
    await inspect_return(request.id, grades, actor=WAREHOUSE, clock=desk.shop.clock)
    assert await refundable_amount(request.id) == Decimal("53.62")


CAPTIONED = Draft(items=(("TEE-1", 1),), photos=0, description="")


async def _captioned_photos(chat: Chat, *captions: str) -> dict:
    """Open ``CAPTIONED`` up to its photos and send one photo per caption."""
    await chat.open_until("photos", CAPTIONED)
    prompt: dict = {}
    for count, caption in enumerate(captions, start=1):
        await chat.photo(f"photo {count}".encode(), caption)
        prompt = await chat.expect_photos(CAPTIONED, count)
    return prompt


@by_language
async def test_a_photos_caption_is_kept_as_the_description(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    photos = await _captioned_photos(chat, "вот брак", " и шов <разошёлся> ")
    kept = "вот брак\nи шов <разошёлся>"

    await chat.press(photos, "photos_done")
    prompt = await chat.expect("description.kept", text=kept, max=MAX_DESCRIPTION)
    assert labels(prompt)[:2] == [
        chat.t("button.keep_description"),
        chat.t("button.drop_description"),
    ]
    await chat.press(prompt, "describe", "keep")
    request = await chat.confirm(await chat.next())

    assert request.description == kept
    assert await Attachment.filter(request_id=request.id).count() == 2


@by_language
async def test_a_kept_caption_can_be_replaced_or_dropped(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    photos = await _captioned_photos(chat, "вот брак")
    await chat.press(photos, "photos_done")
    prompt = await chat.expect("description.kept", text="вот брак", max=MAX_DESCRIPTION)

    await chat.say("Шов разошёлся слева")
    summary = await chat.next()
    await chat.press(summary, "back")
    prompt = await chat.expect("description.kept", text="Шов разошёлся слева", max=MAX_DESCRIPTION)
    await chat.press(prompt, "describe")
    request = await chat.confirm(await chat.expect_summary(CAPTIONED))

    assert request.description == ""


async def test_a_caption_over_the_descriptions_limit_is_not_kept_but_its_photo_is(desk) -> None:
    chat = Chat.open(desk, "ru")
    await chat.link()
    photos = await _captioned_photos(chat, "вот брак")

    await chat.photo(b"photo 2", "x" * MAX_DESCRIPTION)
    length = len("вот брак") + 1 + MAX_DESCRIPTION
    await chat.expect("error.caption_too_long", max=MAX_DESCRIPTION, length=length)
    photos = await chat.expect_photos(CAPTIONED, 2)
    await chat.press(photos, "photos_done")
    await chat.expect("description.kept", text="вот брак", max=MAX_DESCRIPTION)


@by_language
async def test_a_refused_sixth_photos_caption_is_dropped_with_it(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    photos = await _captioned_photos(chat, *(f"cap{n}" for n in range(5)))

    await chat.photo(b"photo 6", "cap5")
    await chat.expect("error.too_many_photos_caption", max=5)
    photos = await chat.expect_photos(CAPTIONED, 5)

    await chat.press(photos, "photos_done")
    kept = "\n".join(f"cap{n}" for n in range(5))
    prompt = await chat.expect("description.kept", text=kept, max=MAX_DESCRIPTION)
    await chat.press(prompt, "describe", "keep")
    request = await chat.confirm(await chat.next())
    assert request.description == kept
    assert await Attachment.filter(request_id=request.id).count() == 5
