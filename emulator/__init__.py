"""In-process stand-in for Telegram's Bot API server, built on aiohttp."""

from emulator.core import Emulator
from emulator.faults import Fault

__all__ = ["Emulator", "Fault"]
