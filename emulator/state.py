"""Everything the emulated Bot API server knows: bot, users, chats, files, queue."""

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import bad_request
from emulator.faults import Faults
from emulator.files import FileStore
from emulator.update_queue import UpdateQueue
from emulator.webhooks import Webhooks


@dataclass
class Record:
    """A message in a chat, from the bot or from the user."""

    message: dict[str, Any]
    from_bot: bool
    text: str | None = None
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    deleted: bool = False

    def view(self) -> dict[str, Any]:
        """What tests and the chat page read: source text, parse_mode, markup, edits."""
        return {
            "message_id": self.message["message_id"],
            "from_bot": self.from_bot,
            "text": self.text,
            "parse_mode": self.parse_mode,
            "reply_markup": self.reply_markup,
            "edited": "edit_date" in self.message,
            "deleted": self.deleted,
            "message": dict(self.message),
        }


@dataclass(kw_only=True)
class Chat:
    """A chat with the bot: its messages, the reply keyboard shown and who waits on it."""

    records: dict[int, Record] = field(default_factory=dict)
    bot_records: list[Record] = field(default_factory=list)
    cursor: int = 0
    version: int = 0
    keyboard: dict[str, Any] | None = None
    last_action: str | None = None
    notice: dict[str, Any] | None = None  # the bot's last callback answer with words in it
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def id(self) -> int:
        return int(self.api()["id"])

    def api(self) -> dict[str, Any]:
        """The Bot API ``Chat`` object."""
        raise NotImplementedError

    def new_message(self, sender: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        message_id = next(self._message_ids)
        head = {"message_id": message_id, "from": sender, "chat": self.api()}
        return head | {"date": int(time.time())} | body


@dataclass(kw_only=True)
class PrivateChat(Chat):
    """The chat between the bot and one user (its id is the user's)."""

    user: dict[str, Any]
    phone: str | None = None  # the user's own number, for "share my contact"

    def api(self) -> dict[str, Any]:
        names = {k: self.user[k] for k in ("first_name", "last_name", "username") if k in self.user}
        return {"id": self.user["id"], "type": "private"} | names


@dataclass(kw_only=True)
class GroupChat(Chat):
    """A group (or supergroup) the bot is an administrator of, so it gets every message."""

    group: dict[str, Any]  # the Bot API Chat object: negative id, type, title
    members: set[int] = field(default_factory=set)  # the users who may write in it

    def api(self) -> dict[str, Any]:
        return dict(self.group)


class Hub:
    """Shared state of one emulated bot."""

    def __init__(self, token: str, bot_name: str, bot_username: str, retry_delay: float):
        self.token = token
        bot_id = token.split(":", 1)[0]
        self.bot = {
            "id": int(bot_id) if bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.bot_user = {k: self.bot[k] for k in ("id", "is_bot", "first_name", "username")}
        self.chats: dict[int, Chat] = {}
        self.files = FileStore()
        self.updates = UpdateQueue()
        self.faults = Faults()
        self.webhooks = Webhooks(self.updates, retry_delay)
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.callbacks: dict[str, dict[str, Any]] = {}
        self.calls: Counter[str] = Counter()
        self.in_flight = 0  # Bot API calls being answered, long polls aside
        self.calls_changed = asyncio.Condition()
        self.delivered: Counter[int] = Counter()
        self.user_ids = itertools.count(100001)
        self.group_numbers = itertools.count(1)
        self.query_ids = itertools.count(1)

    def chat(self, chat_id: int) -> Chat:
        """Look a chat up as the Bot API does."""
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def user_chat(self, user_id: int) -> PrivateChat:
        """Look a user's private chat up for the control side."""
        chat = self.chats.get(user_id)
        if not isinstance(chat, PrivateChat):
            raise LookupError(f"user {user_id} not found")
        return chat

    def find_chat(self, chat_id: int) -> Chat:
        """Look any chat up for the control side."""
        chat = self.chats.get(chat_id)
        if chat is None:
            raise LookupError(f"chat {chat_id} not found")
        return chat

    async def add(self, chat: Chat, record: Record) -> None:
        chat.records[record.message["message_id"]] = record
        if record.from_bot:
            chat.bot_records.append(record)
        await self.touch(chat)

    async def touch(self, chat: Chat) -> None:
        """Wake whoever waits on this chat."""
        chat.version += 1
        async with chat.changed:
            chat.changed.notify_all()

    async def wait_until(self, chat: Chat, ready: Callable[[], bool], wait: float) -> None:
        """Wait for ``ready()`` on this chat's condition; TimeoutError after ``wait`` seconds."""
        async with chat.changed:
            async with asyncio.timeout(wait):
                await chat.changed.wait_for(ready)

    @asynccontextmanager
    async def answering(self, method: str) -> AsyncIterator[None]:
        """Count a Bot API call in flight while it is answered, except ``getUpdates``: a long
        poll waits for updates, and a polling bot would never let the count fall to 0."""
        counted = int(method != "getUpdates")
        self.in_flight += counted
        await self._calls_changed()
        try:
            yield
        finally:
            self.in_flight -= counted
            await self._calls_changed()

    async def _calls_changed(self) -> None:
        async with self.calls_changed:
            self.calls_changed.notify_all()

    async def wait_for_calls(self, ready: Callable[[], bool], wait: float) -> None:
        """Wait for ``ready()``, re-checked whenever a call starts or ends; TimeoutError
        after ``wait`` seconds."""
        async with self.calls_changed:
            async with asyncio.timeout(wait):
                await self.calls_changed.wait_for(ready)
