"""Which updates a chat has handled: a repeat is recognised by its id, a late one is not lost."""

from __future__ import annotations

from domain.clock import FakeClock
from models import ChatState
from services.chat import Incoming, handle_incoming
from services.chat.state import RECENT_UPDATES, ChatRow

CHAT = {"chat_id": 4242, "user_id": 4242, "language_code": "en"}


async def help_(update_id: int, clock: FakeClock) -> bool:
    """Send /help as ``update_id``; whether the desk answered it (False: a repeat)."""
    outcome = await handle_incoming(Incoming(update_id, command="help", **CHAT), clock=clock)
    return not outcome.duplicate


async def test_an_update_arriving_after_a_newer_one_is_handled_and_a_repeat_is_not(
    db: str, clock: FakeClock
) -> None:
    assert await help_(11, clock)
    assert await help_(10, clock)  # late (another connection or instance): still handled
    assert not await help_(10, clock)  # delivered again
    assert not await help_(11, clock)
    row = await ChatState.get(chat_id=CHAT["chat_id"])
    assert (row.recent_update_ids, row.last_update_id) == ([10, 11], 11)


async def test_a_row_written_before_the_ids_were_kept_falls_back_to_the_newest_id(
    db: str, clock: FakeClock
) -> None:
    assert await help_(20, clock)
    await ChatState.filter(chat_id=CHAT["chat_id"]).update(recent_update_ids=None)
    assert not await help_(19, clock)
    assert await help_(21, clock)


def test_the_window_keeps_the_newest_ids_and_counts_older_ones_as_handled() -> None:
    row = ChatRow(1, "en")
    for update_id in range(100, 100 + RECENT_UPDATES + 5):
        row.remember(update_id)
    assert len(row.recent_update_ids) == RECENT_UPDATES
    assert row.recent_update_ids[0] == 105
    assert row.handled(104)  # older than anything remembered
    assert row.handled(110)
    assert not row.handled(100 + RECENT_UPDATES + 5)
