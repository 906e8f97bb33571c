"""The chat keeps its footing (SPEC §5): restarts, repeated updates, stale and forged buttons,
someone else's contact or order, and input of the wrong kind.

Each bad input is answered with a short message (or button notice) in the customer's
language, changes nothing in the database (requests, events, the chat's step and draft) and
loses nothing: the customer carries on from the same step and completes the request.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.returns import Status
from models import Attachment, ChatState, Customer, OrderLine, ReturnLine, ReturnRequest, Survey
from services.chat import Reply
from services.review import MAX_TEXT, ask_customer
from tests.e2e.flows import (
    MAX_DESCRIPTION,
    Chat,
    Draft,
    approved,
    by_language,
    closed_refund,
    labels,
    on_both_databases,
    other_customers_request,
    snapshot,
    submitted,
    verbs,
)
from tests.factories import REVIEWER


@pytest.fixture
def db_kind() -> str:
    """SQLite; ``on_both_databases`` adds PostgreSQL to a test."""
    return "sqlite"


pytestmark = pytest.mark.usefixtures("no_bot_errors")


def nonce(message: dict[str, Any]) -> str:
    return message["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[0]


# --- restart --------------------------------------------------------------------------------


@by_language
async def test_after_a_restart_a_button_sent_before_it_carries_on(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    draft = Draft()
    kinds = await chat.open_until("type", draft)
    before = await snapshot(chat)

    await desk.restart()

    assert await snapshot(chat) == before
    photos = await chat.pick_refund(kinds, draft)
    photos = await chat.send_photos(draft, 1)
    description = await chat.photos_done(photos)
    summary = await chat.describe(description, draft)
    request = await chat.confirm(summary)
    assert request.status is Status.SUBMITTED
    assert await Attachment.filter(request_id=request.id).count() == 1


@on_both_databases
async def test_after_a_restart_the_expected_text_carries_on(desk) -> None:
    chat = Chat.open(desk, "zh_Hans")
    await chat.link()
    draft = Draft(items=(("TEE-1", 1), ("MUG-1", 2)))
    description = await chat.open_until("description", draft)

    await desk.restart()

    summary = await chat.describe(description, draft)
    await desk.restart()
    request = await chat.confirm(summary)
    assert request.description == draft.description
    assert await ReturnLine.filter(request_id=request.id).count() == 2


async def test_after_a_restart_following_carries_on(desk) -> None:
    request = await approved(desk)
    chat = Chat.open(desk, "ru")
    await chat.link()
    detail = await chat.detail(await chat.my(request), request)
    await chat.expect("detail.deadline", deadline=request.deadline_at, tracking="—")
    await chat.press(detail, "tracking", request.id)
    await chat.expect("tracking.ask", number=request.number)

    await desk.restart()

    await chat.say("YT-2026-0001")
    await chat.expect("tracking.done", number=request.number, tracking="YT-2026-0001")
    await request.refresh_from_db()
    assert request.tracking_number == "YT-2026-0001"


# --- repeated updates -----------------------------------------------------------------------


async def test_a_repeated_update_is_processed_once(desk) -> None:
    chat = Chat.open(desk, "ru")
    await chat.link()
    photos = await chat.open_until("photos")
    photo = await chat.photo()
    photos = await chat.expect_photos(Draft(), 1)
    before = await snapshot(chat)

    await desk.emu.resend_update(photo["update_id"])
    await chat.nothing_more()

    assert await snapshot(chat) == before
    assert len((await ChatState.get(chat_id=chat.user_id)).data["draft"]["photos"]) == 1
    description = await chat.photos_done(photos)
    summary = await chat.describe(description, Draft())
    confirm = await chat.press(summary, "confirm")
    await chat.next()
    done = await snapshot(chat)

    await desk.emu.resend_update(confirm["update_id"])
    await chat.nothing_more()
    assert await snapshot(chat) == done
    assert await ReturnRequest.all().count() == 1


async def test_a_repeated_update_across_a_restart_is_processed_once(desk) -> None:
    chat = Chat.open(desk, "en")
    await chat.link()
    new = await chat.command("new")
    await chat.orders_prompt()
    before = await snapshot(chat)

    await desk.restart()
    await desk.emu.resend_update(new["update_id"])
    await chat.nothing_more()

    assert await snapshot(chat) == before


async def test_a_double_tap_on_confirm_submits_once(desk) -> None:
    chat = Chat.open(desk, "zh_Hans")
    await chat.link()
    summary = await chat.open_until("summary")

    first = await chat.press(summary, "confirm")
    second = await chat.press(summary, "confirm")

    await chat.expect_unavailable(second)
    assert await chat.notice(first) is None
    request = await ReturnRequest.get()
    assert (await chat.next())["text"] == chat.t(
        "submitted.review", number=request.number, deadline=None
    )
    await chat.nothing_more()
    assert await ReturnRequest.all().count() == 1


# --- stale and forged buttons ---------------------------------------------------------------


@by_language
async def test_a_button_of_an_older_step_is_no_longer_available(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    orders = await chat.new_request()
    items = await chat.pick_order(orders)
    chosen = await chat.pick_item(items, "CAP-1", 1)
    reasons = await chat.items_done(chosen)
    before = await snapshot(chat)

    for message, verb, argument in (
        (orders, "order", desk.shop.order.id),
        (items, "item", desk.shop.lines["TEE-1"].id),
        (chosen, "items_done", ""),
        (chosen, "back", ""),
        (chosen, "cancel", ""),
    ):
        await chat.expect_unavailable(await chat.press(message, verb, argument))
    await chat.nothing_more()

    assert await snapshot(chat) == before
    kinds = await chat.pick_reason(reasons, "changed_mind")
    assert verbs(kinds)


async def test_a_finished_requests_confirm_button_is_no_longer_available(desk) -> None:
    chat = Chat.open(desk, "zh_Hans")
    await chat.link()
    summary = await chat.open_until("summary")
    await chat.confirm(summary)
    before = await snapshot(chat)

    await chat.expect_unavailable(await chat.press(summary, "confirm"))
    await chat.nothing_more()
    assert await snapshot(chat) == before


async def test_the_previous_lines_replacement_buttons_do_not_choose_for_the_next_line(
    desk,
) -> None:
    chat = Chat.open(desk, "ru")
    await chat.link()
    draft = Draft(
        items=(("TEE-1", 1), ("CAP-1", 1)),
        reason="size_fit",
        kind="exchange",
        replacements=("TEE-2", "TEE-1"),
        photos=0,
    )
    first = await chat.open_until("replacement", draft)
    await chat.pick_replacement(first, "TEE-2")
    second = await chat.expect_replacements("CAP-1", 1)
    before = await snapshot(chat)

    stale = await chat.press(first, "swap", desk.shop.products["CAP-1"].id)
    await chat.expect_unavailable(stale)
    await chat.nothing_more()
    assert await snapshot(chat) == before

    await chat.pick_replacement(second, "TEE-1")
    await chat.expect_photos(draft, 0)
    replacements = (await ChatState.get(chat_id=chat.user_id)).data["draft"]["replacements"]
    lines = desk.shop.lines
    assert replacements == {
        str(lines["TEE-1"].id): desk.shop.products["TEE-2"].id,
        str(lines["CAP-1"].id): desk.shop.products["TEE-1"].id,
    }


@by_language
async def test_forged_buttons_are_no_longer_available(desk, lang: str) -> None:
    other_order, others = await other_customers_request(desk)
    other_line = await OrderLine.get(order_id=other_order.id)
    mine = await submitted(desk, items={"MUG-1": 1})
    chat = Chat.open(desk, lang)
    await chat.link()
    orders = await chat.new_request()
    current = nonce(orders)
    before = await snapshot(chat)

    forged = [
        "garbage",
        f"{'0' if current[0] != '0' else '1'}{current[1:]}:order:{desk.shop.order.id}",
        f"{current}:order:{other_order.id}",
        f"{current}:order:999999",
        f"{current}:order:",
        f"{current}:item:{desk.shop.lines['TEE-1'].id}",
        f"{current}:nosuchverb:1",
        f"sv:{others.id}:5",
        f"sv:{mine.id}:5",  # not closed yet
        f"sv:{mine.id}:²",
        "sv:abc:5",
        f"rp:{others.id}",
        f"rp:{mine.id}",  # no question asked
        "rp:999999",
        "rp:99999999999999999999",
        "rp:٣",
        "lang:xx",
    ]
    for data in forged:
        update = await chat.press_data(orders, data)
        notice = await chat.notice(update)
        assert notice == chat.t("notice.unavailable"), data
    await chat.nothing_more()

    assert await snapshot(chat) == before
    assert await Survey.all().count() == 0
    await others.refresh_from_db()
    assert others.status is Status.SUBMITTED
    items = await chat.pick_order(orders)
    assert str(other_line.id) not in {a for v, a in verbs(items) if v == "item"}


async def test_forged_item_buttons_on_the_items_step(desk) -> None:
    other_order, _ = await other_customers_request(desk)
    other_line = await OrderLine.get(order_id=other_order.id)
    chat = Chat.open(desk, "en")
    await chat.link()
    items = await chat.open_until("items")
    current = nonce(items)
    before = await snapshot(chat)

    for argument in (desk.shop.lines["SOAP-1"].id, other_line.id, 999999, "x"):
        update = await chat.press_data(items, f"{current}:item:{argument}")
        await chat.expect_unavailable(update)
    for data in (f"{current}:items_done:", f"{current}:qty:1"):  # nothing chosen; wrong step
        await chat.expect_unavailable(await chat.press_data(items, data))
    await chat.nothing_more()
    assert await snapshot(chat) == before


async def test_another_customers_survey_is_out_of_reach(desk) -> None:
    theirs = await closed_refund(desk)  # Li Lei's, closed: Anna links and tries it
    anna = Chat.open(desk, "ru", name="Anna")
    await anna.command("start")
    await anna.expect("start.welcome")
    await anna.contact("+79000000002")
    await anna.expect("contact.linked", name="Anna")
    await anna.expect("help.show")
    before = await snapshot(anna)

    welcome = desk.emu.messages(anna.user_id)[-1]
    await anna.expect_unavailable(await anna.press_data(welcome, f"sv:{theirs.id}:5"))
    await anna.expect_unavailable(await anna.press_data(welcome, f"rp:{theirs.id}"))
    await anna.nothing_more()

    assert await snapshot(anna) == before
    assert await Survey.all().count() == 0


# --- identification -------------------------------------------------------------------------


@by_language
async def test_someone_elses_contact_is_refused(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.command("start")
    await chat.expect("start.welcome")
    stranger = desk.emu.create_user("Wang")
    before = await snapshot(chat)

    await chat.contact(owner=stranger["id"])
    refused = await chat.expect("contact.not_yours")
    assert refused["reply_markup"]["keyboard"][0][0]["request_contact"] is True

    assert await snapshot(chat) == before
    assert (await Customer.get(id=desk.shop.customer.id)).telegram_user_id is None
    await chat.command("new")
    await chat.expect("contact.ask")
    await chat.say("SO-1")
    await chat.expect("contact.ask")
    await chat.contact()
    await chat.expect("contact.linked", name="Li Lei")
    await chat.expect("help.show")


async def test_a_phone_linked_to_another_telegram_account_is_refused(desk) -> None:
    first = Chat.open(desk, "en")
    await first.link()
    second = Chat.open(desk, "zh_Hans", name="Li again")
    await second.command("start")
    await second.expect("start.welcome")

    await second.contact()
    await second.expect("contact.linked_elsewhere")

    assert (await Customer.get(id=desk.shop.customer.id)).telegram_user_id == first.user_id
    assert (await ChatState.get(chat_id=second.user_id)).customer_id is None


async def test_unknown_phone_is_explained(desk) -> None:
    chat = Chat.open(desk, "ru")
    await chat.command("start")
    await chat.expect("start.welcome")
    await chat.contact("+8613900000000")
    await chat.expect("contact.unknown")
    assert (await ChatState.get(chat_id=chat.user_id)).customer_id is None


async def test_a_deep_link_opens_the_own_order_at_its_items(desk) -> None:
    chat = Chat.open(desk, "zh_Hans")
    await chat.link("SO-1")
    items = await chat.expect_items()
    assert (await ChatState.get(chat_id=chat.user_id)).step == "items"
    await chat.pick_item(items, "MUG-1", 2)


@by_language
async def test_a_deep_link_to_another_customers_order_shows_only_the_own(desk, lang: str) -> None:
    other_order, _ = await other_customers_request(desk)
    chat = Chat.open(desk, lang)
    await chat.link("SO-2")  # before linking: remembered, then refused after linking
    orders = await chat.orders_prompt()
    assert "SO-2" not in orders["text"]
    assert ("order", str(other_order.id)) not in verbs(orders)

    await chat.command("start", "SO-2")  # once linked
    orders = await chat.orders_prompt()
    assert "SO-2" not in orders["text"]
    assert await ReturnRequest.filter(customer_id=desk.shop.customer.id).count() == 0
    assert (await ChatState.get(chat_id=chat.user_id)).step == "order"


# --- input of the wrong kind ----------------------------------------------------------------


@by_language
async def test_wrong_input_is_explained_and_the_step_asked_again(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    draft = Draft(description="Torn on the left")
    photos = await chat.open_until("photos", draft)
    before = await snapshot(chat)

    await chat.say("here is the photo")
    await chat.expect("error.wrong_input", expected=Reply("expect.photo_first"))
    await chat.expect_photos(draft, 0)
    await chat.sticker()
    await chat.expect("error.wrong_input", expected=Reply("expect.photo_first"))
    await chat.expect_photos(draft, 0)
    await chat.say("x" * 5000)  # a text, however long, is not what this step takes
    await chat.expect("error.wrong_input", expected=Reply("expect.photo_first"))
    await chat.expect_photos(draft, 0)
    await chat.command("refundnow", "please")
    await chat.expect("error.unknown_command", command="refundnow")
    photos = await chat.expect_photos(draft, 0)  # Done is not offered before a photo…
    await chat.press_data(photos, f"{nonce(photos)}:photos_done:")  # …and forging it is refused
    await chat.expect("error.photo_required")
    await chat.expect_photos(draft, 0)
    assert await snapshot(chat) == before

    photos = await chat.send_photos(draft, 1)
    description = await chat.photos_done(photos)
    before = await snapshot(chat)
    await chat.photo()
    await chat.expect("error.wrong_input", expected=Reply("expect.description"))
    await chat.expect("description.ask", max=1000)
    for length in (1500, 5000):  # the description step's own limit, however long the text
        await chat.say("y" * length)
        await chat.expect("error.text_too_long", max=MAX_DESCRIPTION, length=length)
        await chat.expect("description.ask", max=MAX_DESCRIPTION)
    assert await snapshot(chat) == before

    summary = await chat.describe(description, draft)
    request = await chat.confirm(summary)
    assert request.description == "Torn on the left"
    assert await Attachment.filter(request_id=request.id).count() == 1


@by_language
async def test_an_answer_too_long_is_told_the_answers_own_limit(desk, lang: str) -> None:
    request = await submitted(desk)
    await ask_customer(request.id, "Which size?", actor=REVIEWER, clock=desk.shop.clock)
    chat = Chat.open(desk, lang)
    await chat.link()
    await chat.press_data(await chat.my(request), f"rp:{request.id}")
    await chat.expect("reply.ask", plural=0, number=request.number, count=0)
    before = await snapshot(chat)

    await chat.say("z" * (MAX_TEXT + 1))

    await chat.expect("error.text_too_long", max=MAX_TEXT, length=MAX_TEXT + 1)
    await chat.expect("reply.ask", plural=0, number=request.number, count=0)
    assert await snapshot(chat) == before


@by_language
async def test_an_impossible_quantity_is_explained(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    items = await chat.open_until("items")
    await chat.press(items, "item", desk.shop.lines["MUG-1"].id)
    prompt = await chat.expect("quantity.pick", name="Product MUG-1", available=3)
    before = await snapshot(chat)

    for typed in ("7", "0", "-1", "two", "²", "1.5"):
        await chat.say(typed)
        await chat.expect("error.quantity", available=3)
        await chat.expect("quantity.pick", name="Product MUG-1", available=3)
    await chat.press_data(prompt, f"{nonce(prompt)}:qty:4")
    await chat.expect("error.quantity", available=3)
    await chat.expect("quantity.pick", name="Product MUG-1", available=3)
    assert await snapshot(chat) == before

    await chat.say("３")  # a full-width digit, as a Chinese keyboard types it
    items = await chat.expect_items()
    chosen = chat.t("button.item_chosen", name="Product MUG-1", chosen=3, available=3)
    assert chosen in labels(items)


async def test_input_outside_any_step_gets_a_hint(desk) -> None:
    chat = Chat.open(desk, "ru")
    await chat.link()
    before = await snapshot(chat)

    await chat.sticker()
    await chat.expect("help.hint")
    await chat.say("hello?")
    await chat.expect("help.hint")
    await chat.photo()
    await chat.expect("help.hint")
    await chat.command("frobnicate")
    await chat.expect("error.unknown_command", command="frobnicate")
    await chat.nothing_more()
    assert await snapshot(chat) == before


async def test_a_sixth_photo_is_refused_and_five_are_kept(desk) -> None:
    chat = Chat.open(desk, "ru")
    await chat.link()
    draft = Draft(description="")
    await chat.open_until("photos", draft)
    photos = await chat.send_photos(draft, 5)
    before = await snapshot(chat)

    await chat.photo(b"photo 6")
    await chat.expect("error.too_many_photos", max=5)
    photos = await chat.expect_photos(draft, 5)
    assert await snapshot(chat) == before

    description = await chat.photos_done(photos)
    request = await chat.confirm(await chat.describe(description, draft))
    assert await Attachment.filter(request_id=request.id).count() == 5


# --- a group (the staff chat) ----------------------------------------------------------------


async def test_messages_in_a_group_are_not_taken_for_a_customers_chat(desk) -> None:
    """The bot sits in the staff group to post alerts; what people write there is theirs."""
    chat = Chat.open(desk)
    group = desk.emu.create_group("Shop staff", members=[chat.user_id])
    await desk.emu.send_command(chat.user_id, "start", chat_id=group["id"])
    await desk.emu.send_text(chat.user_id, "RMA-2026-000001 approved?", chat_id=group["id"])

    await chat.nothing_more()  # the private chat's /help is the next thing the bot says

    assert desk.emu.messages(group["id"]) == []
    assert await ChatState.filter(chat_id=group["id"]).count() == 0
