"""Uploading photos, getFile and downloads through PTB."""

import aiohttp
import pytest
from telegram import Bot
from telegram.error import BadRequest

from emulator import Emulator

JPEG = b"\xff\xd8\xff\xe0" + b"photo-bytes" * 100


async def test_upload_get_file_download_roundtrip(emu: Emulator, bot: Bot):
    user = emu.create_user("Ann")
    message = await bot.send_photo(user["id"], JPEG, caption="<b>bold</b>", parse_mode="HTML")
    assert message.caption == "bold"
    assert [p.width for p in message.photo] == [90, 800]
    photo_file = await bot.get_file(message.photo[-1].file_id)
    assert photo_file.file_path.startswith(f"{emu.base_file_url}{emu.token}/photos/")
    assert photo_file.file_size == len(JPEG)
    assert bytes(await photo_file.download_as_bytearray()) == JPEG


async def test_photo_can_be_resent_by_file_id(emu: Emulator, bot: Bot):
    user = emu.create_user("Bo")
    first = await bot.send_photo(user["id"], JPEG)
    again = await bot.send_photo(user["id"], first.photo[-1].file_id)
    assert again.photo[-1].file_unique_id == first.photo[-1].file_unique_id
    assert emu.delivered[user["id"]] == 2


async def test_user_photo_can_be_fetched_by_the_bot(emu: Emulator, bot: Bot):
    user = emu.create_user("Cy")
    update = await emu.send_photo(user["id"], JPEG)
    file_id = update["message"]["photo"][-1]["file_id"]
    assert bytes(await (await bot.get_file(file_id)).download_as_bytearray()) == JPEG


async def test_unknown_files(emu: Emulator, bot: Bot):
    user = emu.create_user("Dee")
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(user["id"], "no-such-file-id")
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("no-such-file-id")
    url = f"{emu.base_file_url}{emu.token}/photos/none.jpg"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 404
        assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
