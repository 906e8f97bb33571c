"""Back, Cancel and Close on every step's first screen (SPEC §5: "Back and Cancel on every step").

Back goes to the screen the customer came from, or to the one they would naturally have come
from (the order list for a deep-linked order, the request's detail for an answer begun from a
message's button). Leaving a step says what happened in the step's own words: a draft
abandoned, or only a screen closed.
"""

from __future__ import annotations

import pytest

from domain.returns import Status
from models import ChatState, Message, ReturnRequest
from services.review import ask_customer
from tests.e2e.flows import (
    Chat,
    approved,
    by_language,
    detail_params,
    labels,
    submitted,
    verbs,
)
from tests.factories import REVIEWER


@pytest.fixture
def db_kind() -> str:
    return "sqlite"


pytestmark = pytest.mark.usefixtures("no_bot_errors")


async def step(chat: Chat) -> str:
    return (await ChatState.get(chat_id=chat.user_id)).step


async def needs_info(chat: Chat) -> ReturnRequest:
    """A submitted request the reviewer asked a question about."""
    request = await submitted(chat.desk)
    await ask_customer(request.id, "Photo of the box?", actor=REVIEWER, clock=chat.desk.shop.clock)
    await request.refresh_from_db()
    assert request.status is Status.NEEDS_INFO
    return request


# --- opening a request ----------------------------------------------------------------------


@by_language
async def test_back_on_a_deep_linked_orders_items_goes_to_the_order_list(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    await chat.command("start", "SO-1")
    items = await chat.expect_items()

    await chat.press(items, "back")

    orders = await chat.orders_prompt()
    assert await step(chat) == "order"
    items = await chat.pick_order(orders)
    items = await chat.pick_item(items, "MUG-1", 2)
    assert await step(chat) == "items"


async def test_back_on_the_items_of_a_deep_link_followed_before_linking(desk) -> None:
    chat = Chat.open(desk, "ru")
    await chat.link("SO-1")
    items = await chat.expect_items()

    await chat.press(items, "back")

    await chat.orders_prompt()
    assert await step(chat) == "order"


async def test_back_on_the_items_of_new_goes_to_the_order_list(desk) -> None:
    chat = Chat.open(desk, "zh_Hans")
    await chat.link()
    items = await chat.pick_order(await chat.new_request())

    await chat.press(items, "back")

    orders = await chat.orders_prompt()
    assert ("back", "") not in verbs(orders)  # the first screen of all: Cancel only
    assert labels(orders)[-1] == chat.t("button.cancel")


async def test_back_on_the_quantity_goes_to_the_items(desk) -> None:
    chat = Chat.open(desk, "ru")
    await chat.link()
    items = await chat.pick_order(await chat.new_request())
    mug = desk.shop.lines["MUG-1"]
    await chat.press(items, "item", mug.id)
    quantity = await chat.expect("quantity.pick", name="Product MUG-1", available=3)

    await chat.press(quantity, "back")

    items = await chat.expect_items()
    assert ("items_done", "") not in verbs(items)  # nothing chosen


# --- following requests ---------------------------------------------------------------------


@by_language
async def test_back_on_an_answer_begun_from_the_message_goes_to_the_requests_detail(
    desk, lang: str
) -> None:
    request = await needs_info(Chat.open(desk, lang))
    chat = Chat.open(desk, lang)
    await chat.link()
    await chat.press_data(await chat.my(request), f"rp:{request.id}")
    ask = await chat.expect("reply.ask", plural=0, number=request.number, count=0)

    await chat.press(ask, "back")

    detail = await chat.expect("detail.show", **await detail_params(request))
    assert ("reply", str(request.id)) in verbs(detail)
    assert await step(chat) == "detail"
    await chat.press(detail, "back")
    await chat.expect("list.pick", plural=1, count=1)
    assert not await Message.filter(request_id=request.id, from_customer=True).exists()


async def test_back_on_an_answer_begun_on_the_detail_goes_back_to_it_and_keeps_the_photo(
    desk,
) -> None:
    request = await needs_info(Chat.open(desk, "ru"))
    chat = Chat.open(desk, "ru")
    await chat.link()
    detail = await chat.detail(await chat.my(request), request)
    await chat.press(detail, "reply", request.id)
    await chat.expect("reply.ask", plural=0, number=request.number, count=0)
    await chat.photo(b"the box", "Вот коробка")
    ask = await chat.expect("reply.ask", plural=1, number=request.number, count=1)

    await chat.press(ask, "back")

    detail = await chat.expect("detail.show", **await detail_params(request))
    await chat.press(detail, "reply", request.id)
    ask = await chat.expect("reply.ask", plural=1, number=request.number, count=1)
    await chat.press(ask, "send_reply")
    await chat.expect("reply.done", number=request.number)
    answer = await Message.get(request_id=request.id, from_customer=True)
    assert answer.text == "Вот коробка"


async def test_the_answer_button_pressed_again_while_answering_keeps_the_answer(desk) -> None:
    request = await needs_info(Chat.open(desk))
    chat = Chat.open(desk)
    await chat.link()
    anchor = await chat.my(request)
    await chat.press_data(anchor, f"rp:{request.id}")
    await chat.expect("reply.ask", plural=0, number=request.number, count=0)
    await chat.photo(b"the box")
    await chat.expect("reply.ask", plural=1, number=request.number, count=1)

    await chat.press_data(anchor, f"rp:{request.id}")

    await chat.expect("reply.ask", plural=1, number=request.number, count=1)


@by_language
async def test_back_on_the_tracking_number_goes_to_the_requests_detail(desk, lang: str) -> None:
    request = await approved(desk)
    chat = Chat.open(desk, lang)
    await chat.link()
    detail = await chat.detail(await chat.my(request), request)
    await chat.expect("detail.deadline", deadline=request.deadline_at, tracking="—")
    await chat.press(detail, "tracking", request.id)
    ask = await chat.expect("tracking.ask", number=request.number)

    await chat.press(ask, "back")

    detail = await chat.expect("detail.show", **await detail_params(request))
    await chat.expect("detail.deadline", deadline=request.deadline_at, tracking="—")
    assert ("tracking", str(request.id)) in verbs(detail)
    assert await step(chat) == "detail"


async def test_back_on_the_detail_goes_to_the_list_and_the_list_offers_no_back(desk) -> None:
    request = await submitted(desk)
    chat = Chat.open(desk, "zh_Hans")
    await chat.link()
    detail = await chat.detail(await chat.my(request), request)

    await chat.press(detail, "back")

    listed = await chat.expect("list.pick", plural=1, count=1)
    assert ("back", "") not in verbs(listed)


# --- leaving a step: a draft dropped, or only a screen closed --------------------------------


@by_language
async def test_close_on_the_list_closes_it_without_a_word_of_cancelling(desk, lang: str) -> None:
    request = await submitted(desk)
    chat = Chat.open(desk, lang)
    await chat.link()
    listed = await chat.my(request)
    assert labels(listed)[-1] == chat.t("button.close_menu")

    await chat.press(listed, "cancel")

    await chat.expect("flow.closed")
    assert await step(chat) == ""
    await request.refresh_from_db()
    assert request.status is Status.SUBMITTED


@by_language
async def test_the_detail_is_closed_by_close_not_by_a_second_cancel(desk, lang: str) -> None:
    """An approved request offers "Cancel this request"; the navigation under it is Close,
    and Close only closes the detail."""
    request = await approved(desk)
    chat = Chat.open(desk, lang)
    await chat.link()
    detail = await chat.detail(await chat.my(request), request)
    await chat.expect("detail.deadline", deadline=request.deadline_at, tracking="—")
    assert labels(detail)[-3:] == [
        chat.t("button.cancel_request"),
        chat.t("button.back"),
        chat.t("button.close_menu"),
    ]
    assert chat.t("button.cancel") not in labels(detail)

    await chat.press(detail, "cancel")

    await chat.expect("flow.closed")
    await request.refresh_from_db()
    assert request.status is Status.APPROVED
    await chat.nothing_more()


async def test_cancel_command_on_a_detail_closes_it(desk) -> None:
    request = await submitted(desk)
    chat = Chat.open(desk, "ru")
    await chat.link()
    await chat.detail(await chat.my(request), request)

    await chat.command("cancel")

    await chat.expect("flow.closed")
    await chat.command("cancel")
    await chat.expect("flow.nothing")


@by_language
async def test_cancel_command_at_the_cancel_question_keeps_the_request(desk, lang: str) -> None:
    request = await submitted(desk)
    chat = Chat.open(desk, lang)
    await chat.link()
    detail = await chat.detail(await chat.my(request), request)
    await chat.press(detail, "cancel_req", request.id)
    await chat.expect("cancel.confirm", number=request.number)

    await chat.command("cancel")

    await chat.expect("cancel.kept", number=request.number)
    await request.refresh_from_db()
    assert request.status is Status.SUBMITTED


@by_language
async def test_cancel_on_the_tracking_number_says_none_was_added(desk, lang: str) -> None:
    request = await approved(desk)
    chat = Chat.open(desk, lang)
    await chat.link()
    detail = await chat.detail(await chat.my(request), request)
    await chat.expect("detail.deadline", deadline=request.deadline_at, tracking="—")
    await chat.press(detail, "tracking", request.id)
    ask = await chat.expect("tracking.ask", number=request.number)

    await chat.press(ask, "cancel")

    await chat.expect("tracking.skipped")
    await request.refresh_from_db()
    assert (request.status, request.tracking_number) == (Status.APPROVED, "")


@by_language
async def test_cancel_on_an_answer_says_the_answer_was_not_sent(desk, lang: str) -> None:
    request = await needs_info(Chat.open(desk, lang))
    chat = Chat.open(desk, lang)
    await chat.link()
    await chat.press_data(await chat.my(request), f"rp:{request.id}")
    await chat.expect("reply.ask", plural=0, number=request.number, count=0)
    await chat.photo(b"the box")
    ask = await chat.expect("reply.ask", plural=1, number=request.number, count=1)

    await chat.press(ask, "cancel")

    await chat.expect("reply.cancelled")
    assert not await Message.filter(request_id=request.id, from_customer=True).exists()
    await request.refresh_from_db()
    assert request.status is Status.NEEDS_INFO


@by_language
async def test_cancel_on_a_draft_still_says_nothing_was_sent(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    await chat.command("start", "SO-1")
    items = await chat.expect_items()

    await chat.press(items, "cancel")

    await chat.expect("flow.cancelled")
    assert await ReturnRequest.all().count() == 0


@by_language
async def test_a_command_that_drops_a_draft_says_the_request_was_not_sent(desk, lang: str) -> None:
    chat = Chat.open(desk, lang)
    await chat.link()
    items = await chat.pick_order(await chat.new_request())
    await chat.pick_item(items, "MUG-1", 1)

    await chat.command("my")

    await chat.expect("flow.draft_dropped")
    await chat.expect("list.empty")
    await chat.command("new")
    await chat.orders_prompt()  # nothing was chosen yet: nothing is said to be dropped
    assert await ReturnRequest.all().count() == 0
