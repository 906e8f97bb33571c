"""In-process stand-in for Telegram's Bot API server, built on aiohttp.

async with Emulator(token=TOKEN) as emu:
    app = ApplicationBuilder().token(TOKEN).base_url(emu.base_url)
    ...
    user = emu.create_user("Ann")
    await emu.send_text(user["id"], "hi")
    reply = await emu.next_bot_message(user["id"], wait=5)
    staff = emu.create_group("Shop staff", members=[user["id"]])  # negative id, type "group"
    await emu.send_text(user["id"], "hi all", chat_id=staff["id"])
"""

from emulator.core import Emulator
from emulator.faults import Fault

__all__ = ["Emulator", "Fault"]
