"""Acting as Telegram users and reading what the bot sent."""

from collections.abc import Callable, Iterable
from typing import Any

from emulator.state import Chat, GroupChat, Hub, PrivateChat, Record

STICKER_BYTES = b"RIFF\x1a\x00\x00\x00WEBPVP8 "
# Ids as Telegram gives them: a basic group's -4…, a supergroup's -100… (then the channel id).
GROUP_ID_BASES = {"group": -4_000_000_000, "supergroup": -1_000_000_000_000}


class Driver:
    """User-side operations on a :class:`Hub`; every send returns the created update."""

    def __init__(self, hub: Hub):
        self.hub = hub

    def create_user(
        self,
        first_name: str = "User",
        *,
        user_id: int | None = None,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "en",
        phone_number: str | None = None,
    ) -> dict[str, Any]:
        """Create (or replace) a user and the private chat with the bot; ``phone_number`` is
        the user's own, which "share my contact" sends (Telegram knows it; the bot does not)."""
        user: dict[str, Any] = {"id": user_id or next(self.hub.user_ids), "is_bot": False}
        optional = {"last_name": last_name, "username": username, "language_code": language_code}
        user |= {"first_name": first_name} | {k: v for k, v in optional.items() if v}
        chat = self.hub.chats.get(user["id"])
        if isinstance(chat, PrivateChat):
            chat.user = user
        else:
            chat = self.hub.chats[user["id"]] = PrivateChat(user=user)
        chat.phone = phone_number
        return user

    def create_group(
        self, title: str, *, members: Iterable[int] = (), chat_type: str = "group"
    ) -> dict[str, Any]:
        """Create a group (or supergroup) with the bot as its administrator and ``members``
        (user ids) able to write in it; the group as the control API shows it."""
        if chat_type not in GROUP_ID_BASES:
            raise ValueError(f"chat_type must be one of {sorted(GROUP_ID_BASES)}")
        member_ids = {self.hub.user_chat(user_id).id for user_id in members}
        chat_id = GROUP_ID_BASES[chat_type] - next(self.hub.group_numbers)
        group = {"id": chat_id, "type": chat_type, "title": title}
        chat = self.hub.chats[chat_id] = GroupChat(group=group, members=member_ids)
        return _group_view(chat)

    def groups(self) -> list[dict[str, Any]]:
        """Every group (a Bot API ``Chat``), with its members' user ids."""
        return [_group_view(c) for c in self.hub.chats.values() if isinstance(c, GroupChat)]

    def add_photo(self, file_id: str, data: bytes) -> None:
        """A photo the bot can download by ``file_id`` (one sent before this emulator ran)."""
        self.hub.files.add(data, "photos", "jpg", file_id=file_id)

    def user(self, user_id: int) -> dict[str, Any]:
        return self.hub.user_chat(user_id).user

    def users(self) -> list[dict[str, Any]]:
        """Every user (a Bot API ``User``), with the phone number of those that have one."""
        return [
            chat.user | ({"phone_number": chat.phone} if chat.phone else {})
            for chat in self.hub.chats.values()
            if isinstance(chat, PrivateChat)
        ]

    def _chat_of(self, user_id: int, chat_id: int | None) -> Chat:
        """Where ``user_id`` writes: their private chat, or a group they are a member of."""
        if chat_id is None or chat_id == user_id:
            return self.hub.user_chat(user_id)
        chat = self.hub.find_chat(chat_id)
        if not isinstance(chat, GroupChat) or user_id not in chat.members:
            raise LookupError(f"user {user_id} is not a member of chat {chat_id}")
        return chat

    async def _message(
        self, user_id: int, body: dict[str, Any], chat_id: int | None = None
    ) -> dict[str, Any]:
        chat = self._chat_of(user_id, chat_id)
        message = chat.new_message(self.user(user_id), body)
        text = body.get("text", body.get("caption"))
        await self.hub.add(chat, Record(message, False, text))
        return await self.hub.updates.push({"message": message})

    async def send_text(
        self, user_id: int, text: str, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """Write ``text`` in the user's private chat, or in the group ``chat_id``."""
        return await self._message(user_id, {"text": text}, chat_id)

    async def send_command(
        self, user_id: int, command: str, args: str = "", *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """Send ``/command args`` with its ``bot_command`` entity (in a group if ``chat_id``)."""
        name = "/" + command.lstrip("/")
        entity = {"type": "bot_command", "offset": 0, "length": len(name)}
        text = f"{name} {args}" if args else name
        return await self._message(user_id, {"text": text, "entities": [entity]}, chat_id)

    async def share_contact(
        self,
        user_id: int,
        phone_number: str | None = None,
        *,
        first_name: str | None = None,
        contact_user_id: int | None = None,
    ) -> dict[str, Any]:
        """Share a contact; by default the sender's own (with their own phone number, if they
        have one), else pass ``contact_user_id``."""
        sender = self.user(user_id)
        phone_number = phone_number or self.hub.user_chat(user_id).phone
        if not phone_number:
            raise ValueError(f"user {user_id} has no phone number: pass phone_number")
        contact = {
            "phone_number": phone_number,
            "first_name": first_name or sender["first_name"],
            "user_id": contact_user_id or user_id,
        }
        return await self._message(user_id, {"contact": contact})

    async def send_photo(
        self, user_id: int, data: bytes, caption: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"photo": self.hub.files.photo(data)}
        return await self._message(user_id, body | ({"caption": caption} if caption else {}))

    async def send_sticker(self, user_id: int, emoji: str = "👍") -> dict[str, Any]:
        stored = self.hub.files.add(STICKER_BYTES, "stickers", "webp")
        sticker: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
        }
        sticker |= {"type": "regular", "width": 512, "height": 512, "emoji": emoji}
        sticker |= {"is_animated": False, "is_video": False}
        return await self._message(user_id, {"sticker": sticker})

    async def press_button(
        self, user_id: int, message_id: int, *, text: str | None = None, data: str | None = None
    ) -> dict[str, Any]:
        """Press the inline button labelled ``text``, or send ``data`` (possibly forged)."""
        chat = self.hub.user_chat(user_id)
        record = chat.records.get(message_id)
        if record is None or not record.from_bot or record.deleted:
            raise LookupError(f"no bot message {message_id} in chat {user_id}")
        if data is None:
            data = _button_data(record, text)
        query_id = str(next(self.hub.query_ids))
        self.hub.callbacks[query_id] = {"chat_id": user_id, "answer": None}
        query = {"id": query_id, "from": chat.user, "message": record.message}
        query |= {"chat_instance": str(user_id), "data": data}
        return await self.hub.updates.push({"callback_query": query})

    async def resend_update(self, update_id: int) -> dict[str, Any]:
        """Deliver an existing update again with the same update_id."""
        if update_id not in self.hub.updates.history:
            raise LookupError(f"no update {update_id}")
        return await self.hub.updates.resend(update_id)

    def messages(self, chat_id: int, *, include_user: bool = False) -> list[dict[str, Any]]:
        """Messages in a chat (bot only by default), edits applied."""
        records = self.hub.find_chat(chat_id).records.values()
        return [r.view() for r in records if r.from_bot or include_user]

    async def next_bot_message(self, chat_id: int, wait: float = 5.0) -> dict[str, Any]:
        """The next bot message not yet returned by this method; waits up to ``wait`` seconds."""
        chat = self.hub.find_chat(chat_id)
        await self.hub.wait_until(chat, lambda: chat.cursor < len(chat.bot_records), wait)
        chat.cursor += 1
        return chat.bot_records[chat.cursor - 1].view()

    async def wait_until(self, chat_id: int, ready: Callable[[], bool], wait: float = 5.0) -> None:
        """Wait until ``ready()`` holds, re-checked whenever this chat changes."""
        await self.hub.wait_until(self.hub.find_chat(chat_id), ready, wait)

    @property
    def in_flight(self) -> int:
        """Bot API calls being answered right now (``getUpdates`` long polls not counted)."""
        return self.hub.in_flight

    async def wait_for_calls(self, ready: Callable[[], bool], wait: float = 5.0) -> None:
        """Wait until ``ready()`` holds, re-checked whenever a Bot API call starts or ends."""
        await self.hub.wait_for_calls(ready, wait)

    async def wait_until_idle(self, wait: float = 5.0) -> None:
        """Wait until no Bot API call is being answered (long polls aside): every call that
        reached the emulator has had its effect, even one whose client has gone away."""
        await self.hub.wait_for_calls(lambda: self.hub.in_flight == 0, wait)

    def callback_answer(self, update: dict[str, Any]) -> dict[str, Any] | None:
        """How the bot answered the callback query of ``update`` (None if not yet)."""
        return self.hub.callbacks[update["callback_query"]["id"]]["answer"]


def _button_data(record: Record, text: str | None) -> str:
    rows = (record.reply_markup or {}).get("inline_keyboard", [])
    for button in (button for row in rows for button in row):
        if text in (None, button["text"]) and "callback_data" in button:
            return button["callback_data"]
    raise LookupError(f"no callback button {text!r} on message {record.message['message_id']}")


def _group_view(chat: GroupChat) -> dict[str, Any]:
    return chat.api() | {"members": sorted(chat.members)}
