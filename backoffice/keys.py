"""Typed keys of the back-office application."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from gettext import GNUTranslations
from zoneinfo import ZoneInfo

from aiohttp import web

from domain.clock import Clock
from services.login_throttle import LoginThrottle

CLOCK = web.AppKey("clock", Clock)
CATALOGS = web.AppKey("catalogs", dict[str, GNUTranslations])
ZONE = web.AppKey("zone", ZoneInfo)
CURRENCY = web.AppKey("currency", str)
THROTTLE = web.AppKey("login_throttle", LoginThrottle)
# Fetches a Telegram file by id (set when the bot runs; photos are not served without it).
PHOTOS: web.AppKey[Callable[[str], Awaitable[bytes | None]]] = web.AppKey("photos")
