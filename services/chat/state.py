"""One row per chat: where the customer stands, what they have filled in, and their language."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.clock import Clock
from domain.returns import Actor
from services.chat.messages import Button, Incoming, Reply
from services.sql import execute, fetch, is_postgres

LANGUAGES = ("en", "zh_Hans", "ru")
RECENT_UPDATES = 32  # update ids a chat remembers; older ones count as handled


def language_from_telegram(code: str) -> str:
    """Map Telegram's language_code (``zh-hans``, ``ru``, ``en-US``…) to a catalog."""
    code = code.lower()
    if code.startswith("zh"):
        return "zh_Hans"
    if code.startswith("ru"):
        return "ru"
    return "en"


def joined(kept: str, more: str) -> str:
    """Two pieces the customer wrote (a caption, then a message), one per line."""
    return "\n".join(part for part in (kept.strip(), more.strip()) if part)


@dataclass
class ChatRow:
    """The chat's ``chat_state`` row (models.ChatState), read and written in plain SQL."""

    chat_id: int
    language: str
    step: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    customer_id: int | None = None
    last_update_id: int = 0
    recent_update_ids: list[int] = field(default_factory=list)
    stored: bool = False  # False: a new chat, inserted by ``save_turn``

    def handled(self, update_id: int) -> bool:
        """Whether this update was handled already (Telegram delivers again what it is not
        sure arrived). Ids are remembered, not compared with the newest: an older update
        that arrives late (several webhook connections or instances) is still handled."""
        recent = self.recent_update_ids
        if not recent:  # a row from before the ids were kept
            return update_id <= self.last_update_id
        return update_id in recent or (len(recent) >= RECENT_UPDATES and update_id < recent[0])

    def remember(self, update_id: int) -> None:
        self.recent_update_ids = sorted({*self.recent_update_ids, update_id})[-RECENT_UPDATES:]
        self.last_update_id = max(self.last_update_id, update_id)


@dataclass
class Turn:
    """One update being handled: the chat's state row, the input and the time."""

    state: ChatRow
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

    def with_caption(self, kept: str, limit: int) -> str:
        """``kept`` (what the customer wrote so far) with the incoming photo's caption on a
        new line; without it, and the customer told so, if the two exceed ``limit``."""
        text = joined(kept, self.incoming.text)
        if len(text) > limit:
            self.say("error.caption_too_long", max=limit, length=len(text))
            return kept
        return text

    def refuse_photo(self, most: int) -> None:
        """Tell the customer the incoming photo is one too many: neither it nor its caption
        is kept."""
        caption = bool(self.incoming.text.strip())
        self.say("error.too_many_photos_caption" if caption else "error.too_many_photos", max=most)

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

    def nav(self, leave: str = "button.cancel") -> tuple[Button, ...]:
        """Back, and the button that leaves the step: Cancel where something is being written,
        Close (``button.close_menu``) where the customer only looks."""
        return (self.button("button.back", "back"), self.button(leave, "cancel"))


COLUMNS = "language, step, data, customer_id, last_update_id, recent_update_ids"
LOAD_SQL = f"SELECT {COLUMNS} FROM chat_state WHERE chat_id = $1"
INSERT_SQL = (
    f"INSERT INTO chat_state (chat_id, updated_at, {COLUMNS})"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
)
UPDATE_SQL = (
    "UPDATE chat_state SET updated_at = $2, language = $3, step = $4, data = $5,"
    " customer_id = $6, last_update_id = $7, recent_update_ids = $8 WHERE chat_id = $1"
)


async def load_turn(incoming: Incoming, clock: Clock) -> Turn:
    """Lock (PostgreSQL) the chat's row; it serializes the chat's updates. A new chat's row is
    made here and inserted by ``save_turn`` (two instances starting the same chat at once:
    the second insert fails and its transaction rolls back)."""
    lock = " FOR UPDATE" if is_postgres() else ""
    rows = await fetch(LOAD_SQL + lock, incoming.chat_id)
    if rows:
        row = rows[0]
        recent = json.loads(row["recent_update_ids"] or "[]")
        decoded = {"data": json.loads(row["data"]), "recent_update_ids": recent}
        state = ChatRow(incoming.chat_id, **(row | decoded), stored=True)
    else:
        language = language_from_telegram(incoming.language_code)
        state = ChatRow(incoming.chat_id, language, data={"nonce": secrets.token_hex(3)})
    return Turn(state, incoming, clock, clock.now())


async def save_turn(turn: Turn) -> None:
    state = turn.state
    state.remember(turn.incoming.update_id)
    data = json.dumps(state.data, separators=(",", ":"))
    recent = json.dumps(state.recent_update_ids, separators=(",", ":"))
    await execute(
        UPDATE_SQL if state.stored else INSERT_SQL,
        *(state.chat_id, turn.now, state.language, state.step, data),
        *(state.customer_id, state.last_update_id, recent),
    )
    state.stored = True
