"""Bot API semantics: errors, parameter encodings, long polling, edits and commands."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, MenuButtonCommands
from telegram.error import BadRequest, Conflict, InvalidToken

from emulator import Emulator
from tests.emulator.conftest import TOKEN


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with http.post(url, **kwargs) as response:
        return response.status, await response.json()


async def parked(emu: Emulator, calls: int) -> None:
    """Wait until the emulator has received ``calls`` getUpdates requests."""
    queue = emu.hub.updates
    async with queue.changed:
        ready = queue.changed.wait_for(lambda: emu.calls["getUpdates"] >= calls)
        await asyncio.wait_for(ready, 2)


async def test_bad_token_and_unknown_method(emu: Emulator, http: aiohttp.ClientSession):
    assert await call(http, f"{emu.base_url}999:WRONG/getMe") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert await call(http, f"{emu.base_url}{TOKEN}/sendTelepathy") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with Bot("999:WRONG", base_url=emu.base_url):
            pass


async def test_missing_and_unknown_chat(emu: Emulator, bot: Bot, http: aiohttp.ClientSession):
    status, body = await call(http, f"{emu.base_url}{TOKEN}/sendMessage", data={"text": "x"})
    assert (status, body["description"]) == (400, "Bad Request: chat_id is empty")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "nobody")


async def test_json_query_and_form_parameters(emu: Emulator, http: aiohttp.ClientSession):
    user = emu.create_user("Ann")
    url = f"{emu.base_url}{TOKEN}/SENDMESSAGE"
    markup = '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'
    answers = [
        await call(http, url, json={"chat_id": user["id"], "text": "json"}),
        await call(http, f"{url}?chat_id={user['id']}&text=query"),
        await call(
            http, url, data={"chat_id": str(user["id"]), "text": "1", "reply_markup": markup}
        ),
    ]
    assert [(status, body["result"]["text"]) for status, body in answers] == [
        (200, "json"),
        (200, "query"),
        (200, "1"),
    ]
    assert answers[2][1]["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"
    assert emu.calls["sendMessage"] == 3


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<blink>x</blink>", 'Unsupported start tag "blink" at byte offset 0'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("é<b>x</i>", 'Unmatched end tag at byte offset 6, expected "</b>", found "</i>"'),
    ],
)
async def test_html_is_validated(emu: Emulator, bot: Bot, text: str, error: str):
    user = emu.create_user("Bo")
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(user["id"], text, parse_mode="HTML")
    # PTB strips "Bad Request: " and capitalize()s the rest
    assert caught.value.message == f"Can't parse entities: {error}".capitalize()


async def test_html_entities_use_utf16_offsets(emu: Emulator, bot: Bot):
    user = emu.create_user("Cy")
    html = '😀 <a href="https://example.com">link</a> <tg-spoiler>s</tg-spoiler>'
    message = await bot.send_message(user["id"], html, parse_mode="HTML")
    assert message.text == "😀 link s"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("text_link", 3, 4),
        ("spoiler", 8, 1),
    ]


async def test_long_polling_waits_and_confirms(emu: Emulator, bot: Bot):
    user = emu.create_user("Dee")
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await parked(emu, 1)
    first = await emu.send_text(user["id"], "one")
    updates = await asyncio.wait_for(waiting, 2)
    assert [u.update_id for u in updates] == [first["update_id"]]
    second = await emu.send_text(user["id"], "two")
    assert len(await bot.get_updates()) == 2
    updates = await bot.get_updates(offset=second["update_id"], limit=1)
    assert [u.message.text for u in updates] == ["two"]
    assert await bot.get_updates(offset=second["update_id"] + 1) == ()


async def test_newer_get_updates_terminates_older(emu: Emulator, bot: Bot):
    older = asyncio.create_task(bot.get_updates(timeout=5))
    await parked(emu, 1)
    async with Bot(TOKEN, base_url=emu.base_url) as second_instance:
        assert await second_instance.get_updates() == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await asyncio.wait_for(older, 2)


async def test_allowed_updates_filter_new_updates(emu: Emulator, bot: Bot):
    user = emu.create_user("Eve")
    await bot.get_updates(allowed_updates=["callback_query"])
    await emu.send_text(user["id"], "ignored")
    assert await bot.get_updates() == ()


async def test_edits_and_deletes(emu: Emulator, bot: Bot):
    user = emu.create_user("Fay")
    sent = await bot.send_message(user["id"], "draft")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("draft", user["id"], sent.message_id)
    edited = await bot.edit_message_text("final", user["id"], sent.message_id)
    assert (edited.text, edited.edit_date is not None) == ("final", True)
    assert emu.messages(user["id"])[0]["edited"]
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", user["id"], 999)
    assert await bot.delete_message(user["id"], sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(user["id"], sent.message_id)
    assert emu.messages(user["id"])[0]["deleted"]


async def test_chat_action_and_callback_answers(emu: Emulator, bot: Bot):
    user = emu.create_user("Gil")
    assert await bot.send_chat_action(user["id"], "typing")
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(user["id"], "dancing")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("404")


async def test_commands_by_scope_and_language(emu: Emulator, bot: Bot):
    private = BotCommandScopeAllPrivateChats()
    assert await bot.set_my_commands([BotCommand("start", "Start")])
    assert await bot.set_my_commands([BotCommand("hilfe", "Hilfe")], private, "de")
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert [c.command for c in await bot.get_my_commands(private, "de")] == ["hilfe"]
    assert await bot.get_my_commands(private) == ()
    assert await bot.delete_my_commands(private, "de")
    assert await bot.get_my_commands(private, "de") == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad Command", "x")])


async def test_menu_button(emu: Emulator, bot: Bot):
    user = emu.create_user("Hal")
    assert await bot.set_chat_menu_button(user["id"], MenuButtonCommands())
    assert isinstance(await bot.get_chat_menu_button(user["id"]), MenuButtonCommands)
