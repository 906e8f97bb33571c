"""Back and leaving a step in a chat whose row was written before every first step kept the
screen to go back to: the customer is told the step was left, in the step's own words."""

from __future__ import annotations

from typing import Any

from domain.clock import FakeClock
from models import ChatState, Customer
from services.chat import Incoming, Outcome, handle_incoming
from tests.factories import Shop, build_shop

USER = 5151
NONCE = "a1b2c3"


async def chat_at(shop: Shop, step: str, data: dict[str, Any]) -> None:
    """The customer's chat standing at ``step`` with ``data`` and no history."""
    await Customer.filter(id=shop.customer.id).update(telegram_user_id=USER)
    await ChatState.create(
        chat_id=USER,
        customer_id=shop.customer.id,
        language="en",
        step=step,
        data={"nonce": NONCE, **data},
        last_update_id=1,
        recent_update_ids=[1],
        updated_at=shop.clock.now(),
    )


async def press(verb: str, clock: FakeClock, update_id: int = 2) -> Outcome:
    incoming = Incoming(update_id, chat_id=USER, user_id=USER, press=f"{NONCE}:{verb}:")
    return await handle_incoming(incoming, clock=clock)


async def test_back_on_a_drafts_first_step_without_history_says_the_draft_was_dropped(
    db: str, clock: FakeClock
) -> None:
    shop = await build_shop(clock)
    draft = {"order_id": shop.order.id, "lines": {}, "photos": [], "replacements": {}}
    await chat_at(shop, "items", {"draft": draft})

    outcome = await press("back", clock)

    assert [reply.key for reply in outcome.replies] == ["flow.cancelled"]
    state = await ChatState.get(chat_id=USER)
    assert (state.step, "draft" in state.data) == ("", False)


async def test_back_on_an_answer_without_history_says_the_answer_was_not_sent(
    db: str, clock: FakeClock
) -> None:
    shop = await build_shop(clock)
    await chat_at(shop, "reply", {"request_id": 1, "photos": ["f1"], "text": "box"})

    outcome = await press("back", clock)

    assert [reply.key for reply in outcome.replies] == ["reply.cancelled"]
    assert (await ChatState.get(chat_id=USER)).step == ""
