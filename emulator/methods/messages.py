"""Bot API methods that send, edit and delete messages."""

import time
from typing import Any

from emulator.errors import bad_request
from emulator.htmltext import format_text
from emulator.markup import parse_markup
from emulator.params import Params
from emulator.state import Chat, Hub, Record

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}


def _formatted(params: Params, field: str, limit: int) -> tuple[str, dict[str, Any]]:
    """Parse ``field`` with parse_mode; return the source and the message body part."""
    source = params.text(field) or ""
    text, entities = format_text(source, params.text("parse_mode"))
    if len(text) > limit:
        raise bad_request(f"message {'' if field == 'text' else 'caption '}is too long")
    key = "entities" if field == "text" else "caption_entities"
    entities = entities or params.json(key) or []
    return source, {field: text, key: entities} if entities else {field: text}


async def _send(hub: Hub, chat: Chat, body: dict[str, Any], record: Record) -> dict[str, Any]:
    markup = record.reply_markup
    if markup and "inline_keyboard" in markup:
        body["reply_markup"] = markup
    elif markup and "keyboard" in markup:
        chat.keyboard = markup
    elif markup and markup.get("remove_keyboard"):
        chat.keyboard = None
    record.message = chat.new_message(hub.bot_user, body)
    await hub.add(chat, record)
    hub.delivered[chat.id] += 1
    return record.message


async def send_message(hub: Hub, params: Params) -> dict[str, Any]:
    chat = hub.chat(params.chat_id())
    source, body = _formatted(params, "text", 4096)
    if not body["text"].strip():
        raise bad_request("message text is empty")
    record = Record({}, True, source, params.text("parse_mode"), parse_markup(params))
    return await _send(hub, chat, body, record)


def _photo(hub: Hub, params: Params) -> list[dict[str, Any]]:
    value = params.text("photo")
    upload = params.uploads.get("photo")
    if value and value.startswith("attach://"):
        upload = params.uploads.get(value.removeprefix("attach://"))
    if upload is not None:
        return hub.files.photo(upload.data)
    stored = hub.files.by_id.get(value or "")
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return hub.files.photo(stored.data)


async def send_photo(hub: Hub, params: Params) -> dict[str, Any]:
    chat = hub.chat(params.chat_id())
    photo = _photo(hub, params)
    source, body = _formatted(params, "caption", 1024)
    if not body["caption"]:
        del body["caption"]
    record = Record({}, True, source or None, params.text("parse_mode"), parse_markup(params))
    return await _send(hub, chat, {"photo": photo} | body, record)


def _bot_record(hub: Hub, params: Params, missing: str) -> tuple[Chat, Record]:
    if params.text("inline_message_id"):
        raise bad_request("inline messages are not supported by the emulator")
    chat = hub.chat(params.chat_id())
    record = chat.records.get(params.integer("message_id") or 0)
    if record is None or record.deleted:
        raise bad_request(missing)
    if not record.from_bot:
        raise bad_request("message can't be edited")
    return chat, record


def _set_markup(message: dict[str, Any], record: Record, markup: dict[str, Any] | None) -> None:
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    record.reply_markup = markup
    message.pop("reply_markup", None)
    if markup:
        message["reply_markup"] = markup


async def edit_message_text(hub: Hub, params: Params) -> dict[str, Any]:
    chat, record = _bot_record(hub, params, "message to edit not found")
    message = record.message
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    source, body = _formatted(params, "text", 4096)
    markup = parse_markup(params)
    if not body["text"].strip():
        raise bad_request("message text is empty")
    old = (message["text"], message.get("entities"), message.get("reply_markup"))
    if old == (body["text"], body.get("entities"), markup):
        raise bad_request(NOT_MODIFIED)
    message.pop("entities", None)
    message.update(body, edit_date=int(time.time()))
    _set_markup(message, record, markup)
    record.text, record.parse_mode = source, params.text("parse_mode")
    await hub.touch(chat)
    return message


async def edit_message_reply_markup(hub: Hub, params: Params) -> dict[str, Any]:
    chat, record = _bot_record(hub, params, "message to edit not found")
    markup = parse_markup(params)
    if record.message.get("reply_markup") == markup:
        raise bad_request(NOT_MODIFIED)
    _set_markup(record.message, record, markup)
    record.message["edit_date"] = int(time.time())
    await hub.touch(chat)
    return record.message


async def delete_message(hub: Hub, params: Params) -> bool:
    chat = hub.chat(params.chat_id())
    record = chat.records.get(params.integer("message_id") or 0)
    if record is None or record.deleted:
        raise bad_request("message to delete not found")
    record.deleted = True
    await hub.touch(chat)
    return True


async def send_chat_action(hub: Hub, params: Params) -> bool:
    chat = hub.chat(params.chat_id())
    action = params.text("action")
    if action not in ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.last_action = action
    return True


HANDLERS = {
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "editMessageText": edit_message_text,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "sendChatAction": send_chat_action,
}
