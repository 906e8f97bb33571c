"""The real PTB stack, polling the emulator, answering emulated users."""

import asyncio
import datetime as dt

import pytest
from telegram.error import RetryAfter
from telegram.ext import Application

from emulator import Emulator
from tests.emulator.conftest import WAIT

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


async def test_text_is_echoed_with_inline_keyboard(emu: Emulator, polling_app: Application):
    user = emu.create_user("Ann")
    await emu.send_text(user["id"], "hello")
    reply = await emu.next_bot_message(user["id"], WAIT)
    assert reply["text"] == "You said: hello"
    assert reply["parse_mode"] is None
    buttons = reply["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in buttons] == ["yes", "no"]
    assert reply["message"]["reply_markup"] == reply["reply_markup"]


async def test_start_uses_html_and_a_contact_keyboard(emu: Emulator, polling_app: Application):
    user = emu.create_user("Bo <&>")
    await emu.send_command(user["id"], "start")
    reply = await emu.next_bot_message(user["id"], WAIT)
    assert reply["parse_mode"] == "HTML"
    assert reply["text"] == "Welcome, <b>Bo &lt;&amp;&gt;</b>!"
    assert reply["message"]["text"] == "Welcome, Bo <&>!"
    assert reply["message"]["entities"] == [{"type": "bold", "offset": 9, "length": 6}]
    assert reply["reply_markup"]["keyboard"][0][0]["request_contact"] is True


async def test_own_contact_removes_the_keyboard(emu: Emulator, polling_app: Application):
    user = emu.create_user("Cy")
    await emu.share_contact(user["id"], "+491234")
    reply = await emu.next_bot_message(user["id"], WAIT)
    assert reply["text"] == "Own contact +491234"
    assert reply["reply_markup"] == {"remove_keyboard": True}


async def test_someone_elses_contact(emu: Emulator, polling_app: Application):
    user = emu.create_user("Di")
    await emu.share_contact(user["id"], "+100", first_name="Eve", contact_user_id=42)
    reply = await emu.next_bot_message(user["id"], WAIT)
    assert reply["text"] == "Foreign contact +100"


async def test_photo_is_downloaded_and_sent_back(emu: Emulator, polling_app: Application):
    user = emu.create_user("Fay")
    await emu.send_photo(user["id"], PNG, caption="receipt")
    reply = await emu.next_bot_message(user["id"], WAIT)
    assert reply["text"] == f"Got <b>{len(PNG)}</b> bytes"
    assert reply["message"]["caption"] == f"Got {len(PNG)} bytes"
    photo = reply["message"]["photo"]
    assert emu.hub.files.by_id[photo[-1]["file_id"]].data == PNG


async def test_sticker(emu: Emulator, polling_app: Application):
    user = emu.create_user("Gil")
    await emu.send_sticker(user["id"], "🎉")
    assert (await emu.next_bot_message(user["id"], WAIT))["text"] == "Sticker 🎉"


async def test_button_press_is_answered_and_edits(emu: Emulator, polling_app: Application):
    user = emu.create_user("Hal")
    await emu.send_text(user["id"], "pick")
    message = await emu.next_bot_message(user["id"], WAIT)
    update = await emu.press_button(user["id"], message["message_id"], text="No")
    await emu.wait_until(user["id"], lambda: emu.callback_answer(update) is not None, WAIT)
    assert emu.callback_answer(update) == {"text": "Picked no", "show_alert": False}
    await emu.wait_until(user["id"], lambda: emu.messages(user["id"])[0]["edited"], WAIT)
    edited = emu.messages(user["id"])[0]
    assert edited["text"] == "Chosen: <i>no</i>"
    assert edited["reply_markup"] is None
    assert edited["message"]["text"] == "Chosen: no"


async def test_forged_callback_data_reaches_the_bot(emu: Emulator, polling_app: Application):
    user = emu.create_user("Ida")
    await emu.send_text(user["id"], "pick")
    message = await emu.next_bot_message(user["id"], WAIT)
    await emu.press_button(user["id"], message["message_id"], data="admin:<drop>")
    await emu.wait_until(user["id"], lambda: emu.messages(user["id"])[0]["edited"], WAIT)
    assert emu.messages(user["id"])[0]["message"]["text"] == "Chosen: admin:<drop>"


async def test_many_users_at_once(emu: Emulator, polling_app: Application):
    users = [emu.create_user(f"U{i}") for i in range(30)]
    await asyncio.gather(*(emu.send_text(u["id"], f"hi {u['id']}") for u in users))
    replies = await asyncio.gather(*(emu.next_bot_message(u["id"], WAIT) for u in users))
    assert [r["text"] for r in replies] == [f"You said: hi {u['id']}" for u in users]
    assert all(emu.delivered[u["id"]] == 1 for u in users)


async def test_resent_update_is_processed_twice(emu: Emulator, polling_app: Application):
    user = emu.create_user("Jo")
    update = await emu.send_text(user["id"], "once")
    await emu.next_bot_message(user["id"], WAIT)
    await emu.resend_update(update["update_id"])
    second = await emu.next_bot_message(user["id"], WAIT)
    assert second["text"] == "You said: once"
    assert polling_app.bot_data["seen"] == [update["update_id"]] * 2
    assert emu.delivered[user["id"]] == 2


async def test_handler_sees_retry_after(
    emu: Emulator, polling_app: Application, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    user = emu.create_user("Kim")
    emu.inject("retry_after", retry_after=3, method="sendMessage", chat_id=user["id"])
    await emu.send_text(user["id"], "flood")
    error = await asyncio.wait_for(polling_app.bot_data["errors"].get(), WAIT)
    assert isinstance(error, RetryAfter)
    assert error.retry_after == dt.timedelta(seconds=3)
    assert emu.delivered[user["id"]] == 0
    await emu.send_text(user["id"], "again")
    assert (await emu.next_bot_message(user["id"], WAIT))["text"] == "You said: again"
