"""Bot API methods about the bot itself, files, callbacks and commands."""

import json
import re
from typing import Any

from emulator.errors import bad_request
from emulator.params import Params
from emulator.state import Hub

COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
SCOPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


async def get_me(hub: Hub, params: Params) -> dict[str, Any]:
    return hub.bot


async def get_file(hub: Hub, params: Params) -> dict[str, Any]:
    stored = hub.files.by_id.get(params.text("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.api()


async def answer_callback_query(hub: Hub, params: Params) -> bool:
    query_id = params.text("callback_query_id") or ""
    query = hub.callbacks.get(query_id)
    if query is None or query["answer"] is not None:
        raise bad_request(QUERY_INVALID)
    answer = {
        "text": params.text("text"),
        "show_alert": params.boolean("show_alert"),
        "url": params.text("url"),
        "cache_time": params.integer("cache_time"),
    }
    query["answer"] = {key: value for key, value in answer.items() if value is not None}
    chat = hub.chat(query["chat_id"])
    if answer["text"]:  # Telegram shows it over the chat (a toast, or an alert)
        chat.notice = {"id": query_id, "text": answer["text"], "alert": bool(answer["show_alert"])}
    await hub.touch(chat)
    return True


def _commands_key(params: Params) -> tuple[str, str]:
    scope = params.json("scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    language = params.text("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return json.dumps(scope, sort_keys=True), language


def _check_command(item: Any) -> dict[str, str]:
    if not isinstance(item, dict) or not COMMAND.match(str(item.get("command", ""))):
        raise bad_request("BOT_COMMAND_INVALID")
    if not 1 <= len(str(item.get("description", ""))) <= 256:
        raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return {"command": item["command"], "description": item["description"]}


async def set_my_commands(hub: Hub, params: Params) -> bool:
    commands = params.json("commands", "can't parse commands JSON object")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    hub.commands[_commands_key(params)] = [_check_command(item) for item in commands]
    return True


async def get_my_commands(hub: Hub, params: Params) -> list[dict[str, str]]:
    return hub.commands.get(_commands_key(params), [])


async def delete_my_commands(hub: Hub, params: Params) -> bool:
    hub.commands.pop(_commands_key(params), None)
    return True


async def set_chat_menu_button(hub: Hub, params: Params) -> bool:
    chat_id = params.integer("chat_id")
    if chat_id is not None:
        hub.chat(chat_id)
    button = params.json("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
        raise bad_request("can't parse menu button JSON object")
    hub.menu_buttons[chat_id] = button
    return True


async def get_chat_menu_button(hub: Hub, params: Params) -> dict[str, Any]:
    chat_id = params.integer("chat_id")
    return hub.menu_buttons.get(chat_id) or hub.menu_buttons.get(None) or {"type": "default"}


HANDLERS = {
    "getMe": get_me,
    "getFile": get_file,
    "answerCallbackQuery": answer_callback_query,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setChatMenuButton": set_chat_menu_button,
    "getChatMenuButton": get_chat_menu_button,
}
