"""Following requests in the chat (SPEC §5): list, detail, cancel, tracking, answers, survey.

The requests are opened and moved along by the services, as the back-office would; the
customer then acts on them in the chat in their language. The language matrix runs on
SQLite; the tracking flow also runs on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from domain.ledger import RefundMethod
from domain.returns import Actor, ReturnType, Role, Status
from models import (
    Attachment,
    ChatState,
    Customer,
    Message,
    ReturnEvent,
    ReturnLine,
    ReturnRequest,
    Survey,
)
from services.assignment import assign_return
from services.chat import Percent, Reply
from services.policies import save_policy_rule
from services.refunds import record_exchange_payment, refund_return, ship_replacement
from services.review import approve_return, ask_customer
from services.staff import create_staff_user
from services.warehouse import Grades, inspect_return, receive_return
from tests.e2e.conftest import PHONE
from tests.e2e.flows import (
    Chat,
    Draft,
    approved,
    button,
    by_language,
    closed_refund,
    deliver_outbox,
    detail_params,
    inspected,
    labels,
    on_both_databases,
    submitted,
    verbs,
)
from tests.factories import ADMIN, FINANCE, REVIEWER, WAREHOUSE, place_order


@pytest.fixture
def db_kind() -> str:
    """The language matrix runs on SQLite; ``on_both_databases`` adds PostgreSQL."""
    return "sqlite"


@by_language
async def test_cancel_from_the_detail_cancels_the_request_and_writes_the_event(
    desk, lang: str
) -> None:
    request = await submitted(desk)
    chat = Chat.open(desk, lang)
    await chat.link()

    listed = await chat.my(request)
    detail = await chat.detail(listed, request)
    assert button(detail, "cancel_req", request.id)["text"] == chat.t("button.cancel_request")
    assert ("tracking", str(request.id)) not in verbs(detail)
    await chat.press(detail, "cancel_req", request.id)
    sure = await chat.expect("cancel.confirm", number=request.number)
    assert labels(sure) == [chat.t("button.cancel_confirm"), chat.t("button.cancel_keep")]
    await request.refresh_from_db()
    assert request.status is Status.SUBMITTED  # nothing happens until the customer is sure
    await chat.press(sure, "cancel_yes", request.id)
    await chat.expect("cancel.done", number=request.number)

    await request.refresh_from_db()
    assert request.status is Status.CANCELLED
    event = await ReturnEvent.filter(request_id=request.id).order_by("-id").first()
    assert event is not None
    assert (event.action, event.actor) == ("cancel", f"customer:{desk.shop.customer.id}")
    assert (event.from_status, event.to_status) == (Status.SUBMITTED, Status.CANCELLED)
    listed = await chat.my(request)
    detail = await chat.detail(listed, request)
    assert chat.t("event.cancel", when=event.created_at, note=event.note) in detail["text"]
    assert ("cancel_req", str(request.id)) not in verbs(detail)


@by_language
async def test_tracking_number_is_saved_after_an_invalid_one_is_explained(desk, lang: str) -> None:
    await _tracking(desk, lang)


@on_both_databases
async def test_tracking_number_on_both_databases(desk) -> None:
    await _tracking(desk, "ru")


async def _tracking(desk, lang: str) -> None:
    request = await approved(desk)
    chat = Chat.open(desk, lang)
    await chat.link()

    listed = await chat.my(request)
    detail = await chat.detail(listed, request)
    await chat.expect("detail.deadline", deadline=request.deadline_at, tracking="—")
    assert button(detail, "tracking", request.id)["text"] == chat.t("button.tracking")
    await chat.press(detail, "tracking", request.id)
    ask = await chat.expect("tracking.ask", number=request.number)
    assert labels(ask) == [chat.t("button.back"), chat.t("button.cancel")]

    await chat.say("no!")
    await chat.expect("error.invalid_tracking_number")
    await chat.expect("tracking.ask", number=request.number)
    await request.refresh_from_db()
    assert request.tracking_number == ""
    assert (await ChatState.get(chat_id=chat.user_id)).step == "tracking"

    await chat.say("  SF1234567890 ")
    await chat.expect("tracking.done", number=request.number, tracking="SF1234567890")

    await request.refresh_from_db()
    assert (request.status, request.tracking_number) == (Status.APPROVED, "SF1234567890")
    event = await ReturnEvent.filter(request_id=request.id).order_by("-id").first()
    assert event is not None
    assert (event.action, event.note) == ("add_tracking", "SF1234567890")


@by_language
async def test_answering_the_reviewers_question_with_text_and_a_photo(desk, lang: str) -> None:
    request = await submitted(desk)
    question = "Is the <seam> torn on both sides?"
    await ask_customer(request.id, question, actor=REVIEWER, clock=desk.shop.clock)
    chat = Chat.open(desk, lang)
    await chat.link()

    listed = await chat.my(request)
    detail = await chat.detail(listed, request)
    assert "&lt;seam&gt;" in detail["text"]
    assert "<seam>" not in detail["text"]
    assert button(detail, "reply", request.id)["text"] == chat.t("button.reply")
    await chat.press(detail, "reply", request.id)
    await chat.expect("reply.ask", plural=0, number=request.number, count=0)
    photo = await chat.photo(b"the torn seam")
    prompt = await chat.expect("reply.ask", plural=1, number=request.number, count=1)
    assert button(prompt, "send_reply")["text"] == chat.t("button.send")
    await chat.say("Yes, both sides.")
    await chat.expect("reply.done", number=request.number)

    await request.refresh_from_db()
    assert request.status is Status.SUBMITTED
    answer = await Message.get(request_id=request.id, from_customer=True)
    assert (answer.text, answer.author) == ("Yes, both sides.", f"customer:{desk.shop.customer.id}")
    [attachment] = await Attachment.filter(message_id=answer.id)
    assert attachment.telegram_file_id == photo["message"]["photo"][-1]["file_id"]
    assert attachment.request_id == request.id
    event = await ReturnEvent.filter(request_id=request.id).order_by("-id").first()
    assert event is not None
    assert (event.action, event.to_status) == ("reply", Status.SUBMITTED)


@by_language
async def test_answering_with_photos_only_and_the_send_button(desk, lang: str) -> None:
    request = await submitted(desk)
    await ask_customer(request.id, "Photo of the label?", actor=REVIEWER, clock=desk.shop.clock)
    chat = Chat.open(desk, lang)
    await chat.link()
    anchor = await chat.my(request)  # any message of the bot carries the global answer button

    await chat.press_data(anchor, f"rp:{request.id}")
    await chat.expect("reply.ask", plural=0, number=request.number, count=0)
    await chat.photo(b"label 1")
    await chat.expect("reply.ask", plural=1, number=request.number, count=1)
    await chat.photo(b"label 2")
    prompt = await chat.expect("reply.ask", plural=2, number=request.number, count=2)
    await chat.press(prompt, "send_reply")
    await chat.expect("reply.done", number=request.number)

    answer = await Message.get(request_id=request.id, from_customer=True)
    assert answer.text == ""
    assert await Attachment.filter(message_id=answer.id).count() == 2


@by_language
async def test_a_photos_caption_is_the_answers_text(desk, lang: str) -> None:
    request = await submitted(desk)
    await ask_customer(request.id, "Photo of the box?", actor=REVIEWER, clock=desk.shop.clock)
    chat = Chat.open(desk, lang)
    await chat.link()
    await chat.press_data(await chat.my(request), f"rp:{request.id}")
    await chat.expect("reply.ask", plural=0, number=request.number, count=0)

    await chat.photo(b"the box", "Вот упаковка")
    prompt = await chat.expect("reply.ask", plural=1, number=request.number, count=1)
    await chat.press(prompt, "send_reply")
    await chat.expect("reply.done", number=request.number)

    answer = await Message.get(request_id=request.id, from_customer=True)
    assert answer.text == "Вот упаковка"
    assert await Attachment.filter(message_id=answer.id).count() == 1


async def test_a_caption_and_the_message_after_it_make_one_answer(desk) -> None:
    request = await submitted(desk)
    await ask_customer(request.id, "Photo of the box?", actor=REVIEWER, clock=desk.shop.clock)
    chat = Chat.open(desk, "ru")
    await chat.link()
    await chat.press_data(await chat.my(request), f"rp:{request.id}")
    await chat.expect("reply.ask", plural=0, number=request.number, count=0)

    await chat.photo(b"the box", "Вот упаковка")
    await chat.expect("reply.ask", plural=1, number=request.number, count=1)
    await chat.say("Она не вскрыта.")
    await chat.expect("reply.done", number=request.number)

    answer = await Message.get(request_id=request.id, from_customer=True)
    assert answer.text == "Вот упаковка\nОна не вскрыта."


@by_language
async def test_survey_score_then_a_comment(desk, lang: str) -> None:
    request = await closed_refund(desk)
    chat = Chat.open(desk, lang)
    await chat.link()
    anchor = desk.emu.messages(chat.user_id)[-1]

    for score in ("0", "6", "four"):
        await chat.expect_unavailable(await chat.press_data(anchor, f"sv:{request.id}:{score}"))
    assert await Survey.all().count() == 0
    press = await chat.emu.press_button(
        chat.user_id, anchor["message_id"], data=f"sv:{request.id}:4"
    )
    thanks = await chat.expect("survey.thanks", score=4)
    assert await chat.notice(press) is None
    assert labels(thanks) == [chat.t("button.skip")]
    survey = await Survey.get(request_id=request.id)
    assert (survey.score, survey.comment) == (4, "")

    await chat.say("Quick refund, thank you <3")
    await chat.expect("survey.comment_saved")

    survey = await Survey.get(request_id=request.id)
    assert (survey.score, survey.comment) == (4, "Quick refund, thank you <3")
    assert (await ChatState.get(chat_id=chat.user_id)).step == ""

    again = await chat.press_data(anchor, f"sv:{request.id}:5")
    await chat.expect_unavailable(again)
    assert (await Survey.get(request_id=request.id)).score == 4


@by_language
async def test_survey_comment_can_be_skipped(desk, lang: str) -> None:
    request = await closed_refund(desk)
    chat = Chat.open(desk, lang)
    await chat.link()

    await chat.press_data(desk.emu.messages(chat.user_id)[-1], f"sv:{request.id}:1")
    thanks = await chat.expect("survey.thanks", score=1)
    await chat.press(thanks, "cancel")
    await chat.expect("survey.comment_skipped")  # the score was sent: nothing "cancelled"
    survey = await Survey.get(request_id=request.id)
    assert (survey.score, survey.comment) == (1, "")


@by_language
async def test_keeping_the_request_at_the_cancel_question_changes_nothing(desk, lang: str) -> None:
    request = await submitted(desk)
    chat = Chat.open(desk, lang)
    await chat.link()
    detail = await chat.detail(await chat.my(request), request)
    await chat.press(detail, "cancel_req", request.id)
    sure = await chat.expect("cancel.confirm", number=request.number)

    await chat.press(sure, "back")

    detail = await chat.next()
    assert ("cancel_req", str(request.id)) in verbs(detail)  # the detail again
    await chat.press(sure, "cancel_yes", request.id)  # the old question's button: stale now
    await request.refresh_from_db()
    assert request.status is Status.SUBMITTED
    assert not await ReturnEvent.filter(request_id=request.id, action="cancel").exists()


@by_language
async def test_list_is_empty_without_requests(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    await chat.command("my")
    await chat.expect("list.empty")


@by_language
async def test_switching_the_language(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    target = "ru" if lang != "ru" else "zh_Hans"

    await chat.command("language")
    pick = await chat.expect("language.pick")
    assert labels(pick) == ["English", "简体中文", "Русский"]
    await chat.press_data(pick, f"lang:{target}")
    chat.lang = target
    await chat.expect("language.set")
    await chat.command("my")
    await chat.expect("list.empty")

    assert (await ChatState.get(chat_id=chat.user_id)).language == target
    assert (await Customer.get(id=desk.shop.customer.id)).language == target


async def test_detail_back_returns_to_the_list(desk) -> None:
    first = await submitted(desk)
    second = await submitted(desk, items={"MUG-1": 1}, reason="changed_mind", photos=())
    chat = Chat.open(desk, "ru")
    await chat.link()

    listed = await chat.my(second, first)
    assert chat.t("list.pick", plural=2, count=2) != chat.t("list.pick", plural=1, count=1)
    detail = await chat.detail(listed, first)
    await chat.press(detail, "back")
    listed = await chat.expect("list.pick", plural=2, count=2)
    detail = await chat.detail(listed, second)
    assert ("cancel_req", str(second.id)) in verbs(detail)
    assert await ReturnRequest.filter(status=Status.SUBMITTED).count() == 2


@by_language
async def test_policy_shows_the_shops_own_rules_in_the_readers_way(desk, lang: str) -> None:
    rules = {"restocking_fee_percent": "2.5", "no_reason_days": 10}
    await save_policy_rule("default", "", rules, actor=ADMIN)
    await save_policy_rule("category", "home", {"returnable": False}, actor=ADMIN)
    await save_policy_rule("sku", "TEE-2", {"returnable": False}, actor=ADMIN)
    chat = Chat.open(desk, lang)
    await chat.link()

    await chat.command("policy")

    # the category by its product, the SKU rule's product and the product marked so
    excluded = "Product MUG-1, Product SOAP-1, Product TEE-2"
    message = await chat.expect(
        "policy.show",
        rules=(
            Reply("policy.no_reason", {"no_reason_days": 10, "fee": Percent(Decimal("2.5"))}),
            Reply("policy.quality", {"quality_days": 15}),
            Reply("policy.ship_back", {"ship_back_days": 14}),
            Reply("policy.not_returnable", {"items": excluded}),
            Reply("policy.photos", {"max_photos": 5}),
        ),
    )
    assert {"en": "2.5%", "zh_Hans": "2.5%", "ru": "2,5\xa0%"}[lang] in message["text"]
    assert excluded in message["text"]
    assert "home" not in message["text"]  # a category's key is not a word


async def test_a_sku_rule_keeps_its_product_returnable_in_an_excluded_category(desk) -> None:
    await save_policy_rule("category", "apparel", {"returnable": False}, actor=ADMIN)
    await save_policy_rule("sku", "CAP-1", {"returnable": True}, actor=ADMIN)
    chat = Chat.open(desk, "zh_Hans")
    await chat.link()

    await chat.command("policy")

    message = await chat.next()
    excluded = "Product SOAP-1, Product TEE-1, Product TEE-2"
    assert chat.t("policy.not_returnable", items=excluded) in message["text"].splitlines()


def rules(days: int, fee: str) -> tuple[Reply, ...]:
    """/policy's lines for a rule with ``days`` no-reason days and a ``fee`` % restocking fee
    (the factory shop's products: its soap is marked not returnable)."""
    return (
        Reply("policy.no_reason", {"no_reason_days": days, "fee": Percent(Decimal(fee))}),
        Reply("policy.quality", {"quality_days": 15}),
        Reply("policy.ship_back", {"ship_back_days": 14}),
        Reply("policy.not_returnable", {"items": "Product SOAP-1"}),
        Reply("policy.photos", {"max_photos": 5}),
    )


@by_language
async def test_policy_tells_a_linked_customer_the_rule_of_their_orders_channel(
    desk, lang: str
) -> None:
    web = {"restocking_fee_percent": "10", "no_reason_days": 10}
    await save_policy_rule("channel", desk.shop.order.channel, web, actor=ADMIN)
    chat = Chat.open(desk, lang)

    await chat.command("policy")
    await chat.expect("policy.show", rules=rules(7, "0"))  # not linked: the shop's default
    await chat.link()
    await chat.command("policy")
    await chat.expect("policy.show", rules=rules(10, "10"))


@by_language
async def test_policy_names_the_orders_each_rule_holds_for(desk, lang: str) -> None:
    web = {"restocking_fee_percent": "10"}
    await save_policy_rule("channel", desk.shop.order.channel, web, actor=ADMIN)
    now = desk.shop.clock.now()
    for number, channel, days_ago in (("SO-3", "telegram", 1), ("SO-4", "web", 3)):
        delivered = now - timedelta(days=days_ago)
        await place_order(
            desk.shop.clock, number, PHONE, delivered, [("TEE-1", 1, "100.00")], channel
        )
    chat = Chat.open(desk, lang)
    await chat.link()

    await chat.command("policy")

    parts = (
        Reply("policy.for_orders", {"orders": "SO-3", "rules": rules(7, "0")}, count=1),
        Reply("policy.for_orders", {"orders": "SO-1, SO-4", "rules": rules(7, "10")}, count=2),
    )
    await chat.expect("policy.show", rules=parts)


async def test_who_has_the_request_stays_out_of_the_customers_timeline(desk) -> None:
    request = await submitted(desk)
    staff = await create_staff_user(
        "mei", "a long password", ["reviewer"], language="en", actor=ADMIN, clock=desk.shop.clock
    )
    mei = Actor.staff(staff.id, "mei", {Role.REVIEWER})
    await assign_return(request.id, staff.id, actor=mei, clock=desk.shop.clock)
    chat = Chat.open(desk, "en")
    await chat.link()

    detail = await chat.detail(await chat.my(request), request)

    assert await ReturnEvent.filter(request_id=request.id, action="assign").exists()
    submit = await ReturnEvent.get(request_id=request.id, action="submit")
    shown = chat.t("event.submit", when=submit.created_at, note=submit.note)
    assert shown in detail["text"]
    assert "assign" not in detail["text"]


async def _exchange(desk, swap: Draft) -> tuple[Chat, ReturnRequest]:
    """A chat in Russian that opened ``swap`` and confirmed it."""
    chat = Chat.open(desk, "ru")
    await chat.link()
    return chat, await chat.confirm(await chat.open_until("summary", swap))


async def _exchange_detail(chat: Chat, request: ReturnRequest, money: Reply, **swap: str) -> None:
    """/my → the request: its line with the replacement, then ``money``."""
    item = Reply("detail.exchange_item", {"quantity": swap.pop("quantity", 1), **swap})
    params = await detail_params(request)
    await chat.detail(await chat.my(request), request, params | {"items": (item, money)})


@on_both_databases
async def test_an_exchange_shows_its_replacement_and_the_difference_until_paid(desk) -> None:
    """TEE-1 (100.00) for TEE-2 (150.00): 50.00 to pay, then part of it, then all of it."""
    clock = desk.shop.clock
    chat, request = await _exchange(
        desk,
        Draft(
            items=(("TEE-1", 1),),
            reason="size_fit",
            kind="exchange",
            replacements=("TEE-2",),
            photos=0,
            description="",
        ),
    )
    swap = {"name": "Product TEE-1", "replacement": "Product TEE-2"}

    await _exchange_detail(
        chat, request, Reply("detail.difference_to_pay", {"amount": Decimal("50.00")}), **swap
    )
    await inspected(desk, request)
    await record_exchange_payment(request.id, Decimal("20.00"), actor=FINANCE, clock=clock)
    rest = Reply("detail.difference_rest", {"amount": Decimal("30.00"), "paid": Decimal("20.00")})
    await _exchange_detail(chat, request, rest, **swap)
    await record_exchange_payment(request.id, Decimal("30.00"), actor=FINANCE, clock=clock)
    await ship_replacement(request.id, "SF0000000001", actor=WAREHOUSE, clock=clock)
    paid = Reply("detail.difference_paid", {"amount": Decimal("50.00")})
    await _exchange_detail(chat, request, paid, **swap)
    assert "50,00" in chat.t("detail.difference_paid", amount=Decimal("50.00"))


@on_both_databases
async def test_a_cheaper_exchange_shows_what_comes_back_and_when_it_has(desk) -> None:
    """Two TEE-1 (100.00) for two CAP-1 (60.00): 80.00 back, refunded when they ship."""
    clock = desk.shop.clock
    chat, request = await _exchange(
        desk,
        Draft(
            items=(("TEE-1", 2),),
            reason="size_fit",
            kind="exchange",
            replacements=("CAP-1",),
            photos=0,
            description="",
        ),
    )
    swap = {"name": "Product TEE-1", "replacement": "Product CAP-1", "quantity": 2}
    back = Reply("detail.difference_to_get", {"amount": Decimal("80.00")})

    await _exchange_detail(chat, request, back, **swap)
    await inspected(desk, request)
    await _exchange_detail(chat, request, back, **swap)
    await ship_replacement(request.id, "SF0000000002", actor=WAREHOUSE, clock=clock)
    refunded = Reply("detail.difference_refunded", {"amount": Decimal("80.00")})
    await _exchange_detail(chat, request, refunded, **swap)


async def _delivered(chat: Chat, count: int) -> list[str]:
    """Deliver the outbox: ``count`` messages reach the chat; their texts, in order."""
    assert await deliver_outbox(chat.desk) == count
    return [(await chat.next())["text"] for _ in range(count)]


async def _graded(desk, grades: dict[str, Grades], **opening: object) -> ReturnRequest:
    """Li Lei's quality return of the graded items (a refund unless ``opening`` says
    otherwise), approved, received and inspected."""
    request = await submitted(desk, items={sku: g.total for sku, g in grades.items()}, **opening)
    clock = desk.shop.clock
    await approve_return(request.id, actor=REVIEWER, clock=clock)
    lines = {ln.order_line_id: ln for ln in await ReturnLine.filter(request_id=request.id)}
    line_of = {sku: lines[desk.shop.lines[sku].id].id for sku in grades}
    counts = {line_of[sku]: g.total for sku, g in grades.items()}
    await receive_return(request.id, counts, actor=WAREHOUSE, clock=clock)
    graded = {line_of[sku]: g for sku, g in grades.items()}
    await inspect_return(request.id, graded, actor=WAREHOUSE, clock=clock)
    await request.refresh_from_db()
    return request


async def _partial_refund(desk, lang: str) -> None:
    """Two TEE-1 accepted, 200.00 owed; finance refunds 80.00 as store credit: the chat
    says 120.00 is still to come, /my does not call it refunded and the detail shows both
    amounts; the rest then ends it."""
    chat = Chat.open(desk, lang)
    await chat.link()
    request = await _graded(desk, {"TEE-1": Grades(resellable=2)})
    await _delivered(chat, 3)  # approved, parcel received, inspected
    clock, owed = desk.shop.clock, Decimal("120.00")

    method = RefundMethod.STORE_CREDIT
    part = Decimal("80.00")
    await refund_return(request.id, actor=FINANCE, clock=clock, amount=part, method=method)

    [told] = await _delivered(chat, 1)
    store = Reply("refund_method.store_credit")
    params = {"number": request.number, "amount": part, "method": store}
    assert told == chat.t("notify.refund_issued_partly", due=owed, **params)
    listed = await chat.my(request)
    partly = chat.t("button.request", number=request.number, status=Reply("status.refunded_partly"))
    assert labels(listed)[0] == partly
    rest = Reply("detail.refund_rest", {"refunded": part, "amount": owed})
    detail = await chat.detail(listed, request)
    assert chat.t("detail.refund_rest", refunded=part, amount=owed) in detail["text"]
    assert rest in (await detail_params(request))["items"]

    await refund_return(request.id, actor=FINANCE, clock=clock, method=method)

    [told] = await _delivered(chat, 1)
    assert told == chat.t("notify.refund_issued", **(params | {"amount": owed}))
    done = chat.t("detail.refund_done", amount=Decimal("200.00"))
    detail = await chat.detail(await chat.my(request), request)
    assert done in detail["text"]
    assert chat.t("status.refunded") in detail["text"]


@by_language
async def test_a_partial_refund_says_what_is_still_owed(desk, lang: str) -> None:
    await _partial_refund(desk, lang)


@on_both_databases
async def test_a_partial_refund_says_what_is_still_owed_on_both_databases(desk) -> None:
    await _partial_refund(desk, "ru")


@by_language
async def test_an_inspection_with_refused_units_says_what_happens_next(desk, lang: str) -> None:
    """A refund of three mugs, one refused: it goes back, and 160.00 is refunded for the
    other two. An exchange of two T-shirts for dearer ones, one refused: it
    goes back, and one replacement is sent instead of two (then 50.00 is to pay)."""
    chat = Chat.open(desk, lang)
    await chat.link()
    refund = await _graded(desk, {"MUG-1": Grades(resellable=2, refused=1)})
    *_, told = await _delivered(chat, 3)
    counts = {"accepted": 2, "refused": 1}
    due = Decimal("160.00")
    assert told == chat.t(
        "notify.return_inspected_refused", number=refund.number, due=due, **counts
    )

    kind = {"kind": ReturnType.EXCHANGE, "replacement": "TEE-2"}
    swap = await _graded(desk, {"TEE-1": Grades(resellable=1, refused=1)}, **kind)
    *_, told, to_pay = await _delivered(chat, 4)
    counts = {"accepted": 1, "refused": 1, "asked": 2}
    expected = chat.t("notify.return_inspected_exchange_refused", number=swap.number, **counts)
    assert told == expected
    amount = Decimal("50.00")
    assert to_pay == chat.t("notify.exchange_payment_due", number=swap.number, amount=amount)


@by_language
async def test_a_refused_sixth_photos_caption_is_not_part_of_the_answer(desk, lang: str) -> None:
    request = await submitted(desk)
    await ask_customer(request.id, "Photos of the box?", actor=REVIEWER, clock=desk.shop.clock)
    chat = Chat.open(desk, lang)
    await chat.link()
    await chat.press_data(await chat.my(request), f"rp:{request.id}")
    await chat.expect("reply.ask", plural=0, number=request.number, count=0)
    for n in range(5):
        await chat.photo(f"box {n}".encode(), f"box{n}")
        await chat.expect("reply.ask", plural=n + 1, number=request.number, count=n + 1)

    await chat.photo(b"box 5", "box5")
    await chat.expect("error.too_many_photos_caption", max=5)
    prompt = await chat.expect("reply.ask", plural=5, number=request.number, count=5)
    await chat.press(prompt, "send_reply")
    await chat.expect("reply.done", number=request.number)

    answer = await Message.get(request_id=request.id, from_customer=True)
    assert answer.text == "\n".join(f"box{n}" for n in range(5))
    assert await Attachment.filter(message_id=answer.id).count() == 5
