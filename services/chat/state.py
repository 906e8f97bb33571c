"""One row per chat: where the customer stands, what they have filled in, and their language."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.clock import Clock
from domain.returns import Actor
from models import ChatState
from services.chat.messages import Button, Incoming, Reply

LANGUAGES = ("en", "zh_Hans", "ru")


def language_from_telegram(code: str) -> str:
    """Map Telegram's language_code (``zh-hans``, ``ru``, ``en-US``…) to a catalog."""
    code = code.lower()
    if code.startswith("zh"):
        return "zh_Hans"
    if code.startswith("ru"):
        return "ru"
    return "en"


@dataclass
class Turn:
    """One update being handled: the chat's state row, the input and the time."""

    state: ChatState
    incoming: Incoming
    clock: Clock
    now: datetime
    replies: list[Reply] = field(default_factory=list)
    notice: str | None = None

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    @property
    def linked(self) -> bool:
        """Whether the chat is linked to a customer (by the contact they shared)."""
        return self.state.customer_id is not None

    @property
    def customer_id(self) -> int:
        """The linked customer's id (only asked once the chat is linked)."""
        assert self.state.customer_id is not None
        return self.state.customer_id

    @property
    def actor(self) -> Actor:
        return Actor.customer(self.customer_id)

    def say(self, key: str, **params: Any) -> None:
        self.replies.append(Reply(key, params))

    def ask(self, reply: Reply) -> None:
        self.replies.append(reply)

    def go(self, step: str, **values: Any) -> None:
        """Enter ``step`` (remembering where we were, for Back) with fresh buttons."""
        history = self.data.setdefault("history", [])
        if self.state.step and self.state.step != step:
            history.append(self.state.step)
        self.state.step = step
        self.data.update(values)
        self.data["nonce"] = secrets.token_hex(3)

    def back(self) -> str:
        """Return to the previous step (or to nothing) with fresh buttons."""
        history = self.data.get("history", [])
        self.state.step = history.pop() if history else ""
        self.data["nonce"] = secrets.token_hex(3)
        return self.state.step

    def reset(self) -> None:
        """Forget the conversation in progress."""
        self.state.step = ""
        self.state.data = {"nonce": secrets.token_hex(3)}

    def button(self, key: str, verb: str, arg: object = "", **params: Any) -> Button:
        """A button of this step: its data carries the step's nonce, a verb and an id."""
        return Button(key, f"{self.data.get('nonce', '')}:{verb}:{arg}", params)

    def labelled(self, label: str, verb: str, arg: object = "") -> Button:
        return Button("", f"{self.data.get('nonce', '')}:{verb}:{arg}", label=label)

    def nav(self) -> tuple[Button, ...]:
        """Back and Cancel, on every step."""
        return (self.button("button.back", "back"), self.button("button.cancel", "cancel"))


async def load_turn(incoming: Incoming, clock: Clock) -> Turn:
    """Lock (PostgreSQL) the chat's row; it serializes the chat's updates. A new chat's row is
    made here and inserted by ``save_turn``."""
    now = clock.now()
    state = await ChatState.filter(chat_id=incoming.chat_id).select_for_update().first()
    if state is None:
        state = ChatState(
            chat_id=incoming.chat_id,
            language=language_from_telegram(incoming.language_code),
            data={"nonce": secrets.token_hex(3)},
            updated_at=now,
        )
    return Turn(state, incoming, clock, now)


async def save_turn(turn: Turn) -> None:
    turn.state.last_update_id = turn.incoming.update_id
    turn.state.updated_at = turn.now
    await turn.state.save()
