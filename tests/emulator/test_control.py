"""The JSON control API under /_emulator and the chat page."""

import base64

import aiohttp
import pytest
from telegram import Bot
from telegram.error import RetryAfter

from emulator import Emulator
from tests.emulator.conftest import send


async def test_users_act_and_chat_is_readable(
    emu: Emulator, bot: Bot, control: aiohttp.ClientSession
):
    _, user = await send(control, "POST", "users", json={"first_name": "Ann", "id": 77})
    assert user == {"id": 77, "is_bot": False, "first_name": "Ann", "language_code": "en"}
    _, update = await send(control, "POST", "users/77/text", json={"text": "hi"})
    assert update["message"]["text"] == "hi"
    await bot.send_message(77, "<b>hello</b>", parse_mode="HTML")
    status, message = await send(control, "GET", "chats/77/next", params={"timeout": "1"})
    assert (status, message["text"], message["parse_mode"]) == (200, "<b>hello</b>", "HTML")
    status, _ = await send(control, "GET", "chats/77/next", params={"timeout": "0.01"})
    assert status == 408
    _, chat = await send(control, "GET", "chats/77", params={"after": "1", "timeout": "1"})
    assert [m["from_bot"] for m in chat["messages"]] == [False, True]
    assert (await send(control, "GET", "users"))[1] == [user]


async def test_actions_and_batch(emu: Emulator, bot: Bot, control: aiohttp.ClientSession):
    users = [emu.create_user(name) for name in ("Bo", "Cy")]
    await bot.send_message(users[0]["id"], "pick")
    photo = base64.b64encode(b"img").decode()
    batch = [
        {"user_id": users[0]["id"], "action": "command", "command": "start", "args": "ref"},
        {
            "user_id": users[1]["id"],
            "action": "contact",
            "phone_number": "+1",
            "contact_user_id": 9,
        },
        {"user_id": users[1]["id"], "action": "photo", "photo": photo, "caption": "c"},
        {"user_id": users[0]["id"], "action": "callback", "message_id": 1, "data": "x"},
        {"user_id": users[1]["id"], "action": "sticker"},
    ]
    status, updates = await send(control, "POST", "batch", json=batch)
    assert status == 200
    assert updates[0]["message"]["text"] == "/start ref"
    assert updates[1]["message"]["contact"]["user_id"] == 9
    assert updates[2]["message"]["caption"] == "c"
    assert updates[3]["callback_query"]["data"] == "x"
    assert "sticker" in updates[4]["message"]
    received = await bot.get_updates()
    assert [u.update_id for u in received] == [u["update_id"] for u in updates]


async def test_photo_upload_and_resend(emu: Emulator, bot: Bot, control: aiohttp.ClientSession):
    user = emu.create_user("Dee")
    form = aiohttp.FormData()
    form.add_field("photo", b"jpeg-bytes", filename="a.jpg")
    _, update = await send(control, "POST", f"users/{user['id']}/photo", data=form)
    file_id = update["message"]["photo"][-1]["file_id"]
    async with control.get(f"_emulator/files/{file_id}") as response:
        assert await response.read() == b"jpeg-bytes"
    await bot.get_updates(offset=update["update_id"] + 1)
    await send(control, "POST", f"updates/{update['update_id']}/resend")
    assert [u.update_id for u in await bot.get_updates()] == [update["update_id"]]


async def test_faults_blocks_and_stats(
    emu: Emulator, bot: Bot, control: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    user = emu.create_user("Eve")
    fault = {"kind": "retry_after", "retry_after": 2, "method": "sendMessage"}
    assert (await send(control, "POST", "faults", json=fault))[0] == 200
    with pytest.raises(RetryAfter):
        await bot.send_message(user["id"], "x")
    await send(control, "PUT", f"blocked/{user['id']}")
    assert emu.faults.blocked == {user["id"]}
    await send(control, "DELETE", f"blocked/{user['id']}")
    await bot.send_message(user["id"], "x")
    _, stats = await send(control, "GET", "stats")
    assert stats == {"calls": {"getMe": 1, "sendMessage": 2}, "delivered": {str(user["id"]): 1}}
    await send(control, "POST", "faults", json={"kind": "server_error", "status": 503})
    await send(control, "DELETE", "faults")
    assert emu.faults.rules == []


async def test_control_errors(emu: Emulator, control: aiohttp.ClientSession):
    assert (await send(control, "POST", "users/5/text", json={"text": "x"}))[0] == 404
    emu.create_user("Fay", user_id=5)
    assert (await send(control, "POST", "users/5/dance", json={}))[0] == 404
    assert (await send(control, "POST", "users/5/text", json={}))[0] == 400
    assert (await send(control, "POST", "faults", json={"kind": "meteor"}))[0] == 400
    callback = {"message_id": 1, "text": "Yes"}
    assert (await send(control, "POST", "users/5/callback", json=callback))[0] == 404


async def test_chat_page_is_served(emu: Emulator, control: aiohttp.ClientSession):
    async with control.get("_emulator/chat") as page:
        assert page.status == 200
        assert '<script src="static/chat.js">' in await page.text()
    async with control.get("_emulator/static/chat.js") as script:
        assert script.status == 200
        assert "cleanNodes" in await script.text()


async def test_a_user_shares_their_own_number_and_a_button_answer_is_kept(
    emu: Emulator, bot: Bot, control: aiohttp.ClientSession
):
    ann = {"first_name": "Ann", "id": 78, "phone_number": "+8613800000078"}
    _, user = await send(control, "POST", "users", json=ann)
    assert "phone_number" not in user  # a Bot API User has none
    assert (await send(control, "GET", "users"))[1] == [
        user | {"phone_number": ann["phone_number"]}
    ]
    _, update = await send(control, "POST", "users/78/contact", json={})
    assert update["message"]["contact"]["phone_number"] == ann["phone_number"]
    await send(control, "POST", "users", json={"first_name": "Bo", "id": 79})
    assert (await send(control, "POST", "users/79/contact", json={}))[0] == 400

    await bot.send_message(
        78, "pick", reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    )
    _, press = await send(control, "POST", "users/78/callback", json={"message_id": 2, "data": "a"})
    await bot.answer_callback_query(press["callback_query"]["id"], "Gone", show_alert=True)
    _, chat = await send(control, "GET", "chats/78")
    assert chat["notice"] == {"id": press["callback_query"]["id"], "text": "Gone", "alert": True}
