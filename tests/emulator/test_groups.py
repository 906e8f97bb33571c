"""Group chats over HTTP: made through the control API, written to by the bot as the Bot API
has them (negative id, type, title), and the members' messages reaching the bot."""

import aiohttp
from telegram import Bot
from telegram.constants import ChatType

from emulator import Emulator
from tests.emulator.conftest import send


async def test_a_group_is_made_with_a_negative_id_a_title_and_members(
    emu: Emulator, control: aiohttp.ClientSession
):
    ann = emu.create_user("Ann")
    body = {"title": "Shop staff", "members": [ann["id"]]}
    status, group = await send(control, "POST", "groups", json=body)
    assert status == 200
    assert group == {
        "id": -4_000_000_001,
        "type": "group",
        "title": "Shop staff",
        "members": [ann["id"]],
    }
    _, supergroup = await send(
        control, "POST", "groups", json={"title": "Warehouse", "type": "supergroup"}
    )
    assert (str(supergroup["id"]).startswith("-100"), supergroup["type"]) == (True, "supergroup")
    assert (await send(control, "GET", "groups"))[1] == [group, supergroup]
    assert (await send(control, "GET", "users"))[1] == [ann]  # users stay people


async def test_the_bots_messages_to_a_group_are_recorded_and_readable(
    emu: Emulator, bot: Bot, control: aiohttp.ClientSession
):
    _, group = await send(control, "POST", "groups", json={"title": "Shop staff"})

    sent = await bot.send_message(group["id"], "New request <b>R-1</b>", parse_mode="HTML")

    assert (sent.chat.id, sent.chat.type, sent.chat.title) == (
        group["id"],
        ChatType.GROUP,
        "Shop staff",
    )
    status, message = await send(control, "GET", f"chats/{group['id']}/next")
    assert (status, message["text"], message["from_bot"]) == (200, "New request <b>R-1</b>", True)
    _, chat = await send(control, "GET", f"chats/{group['id']}")
    assert chat["chat"] == {"id": group["id"], "type": "group", "title": "Shop staff"}
    assert (chat["user"], [m["message"]["text"] for m in chat["messages"]]) == (
        None,
        ["New request R-1"],
    )
    assert emu.delivered[group["id"]] == 1


async def test_a_members_message_reaches_the_bot_with_the_group_as_its_chat(
    emu: Emulator, bot: Bot, control: aiohttp.ClientSession
):
    ann = emu.create_user("Ann")
    _, group = await send(
        control, "POST", "groups", json={"title": "Staff", "members": [ann["id"]]}
    )

    text = {"text": "who takes R-1?", "chat_id": group["id"]}
    assert (await send(control, "POST", f"users/{ann['id']}/text", json=text))[0] == 200
    command = {"command": "start", "chat_id": group["id"]}
    assert (await send(control, "POST", f"users/{ann['id']}/command", json=command))[0] == 200

    updates = await bot.get_updates()
    assert [(u.effective_chat.id, u.effective_chat.type) for u in updates] == [
        (group["id"], ChatType.GROUP)
    ] * 2
    assert [(u.effective_user.id, u.message.text) for u in updates] == [
        (ann["id"], "who takes R-1?"),
        (ann["id"], "/start"),
    ]
    _, chat = await send(control, "GET", f"chats/{group['id']}")
    assert [m["from_bot"] for m in chat["messages"]] == [False, False]
    assert emu.messages(ann["id"], include_user=True) == []  # not in her private chat


async def test_only_members_write_in_a_group_and_only_known_kinds_are_made(
    emu: Emulator, control: aiohttp.ClientSession
):
    outsider = emu.create_user("Bo")
    _, group = await send(control, "POST", "groups", json={"title": "Staff"})

    text = {"text": "hi", "chat_id": group["id"]}
    status, answer = await send(control, "POST", f"users/{outsider['id']}/text", json=text)
    assert (status, answer["error"]) == (
        404,
        f"user {outsider['id']} is not a member of chat {group['id']}",
    )
    assert (await send(control, "POST", "groups", json={"title": "X", "type": "channel"}))[0] == 400
    assert (await send(control, "POST", "groups", json={"title": "X", "members": [9]}))[0] == 404
    assert (await send(control, "GET", "chats/-42"))[0] == 404
