"""Reading ids, dates and cursors from paths and query strings; bad ones are 404 or 400."""

from __future__ import annotations

from datetime import date

from aiohttp import web
from multidict import MultiMapping

MAX_ID_DIGITS = 10
MAX_ID = 2**31 - 1  # ids are INTEGER columns (PostgreSQL refuses anything larger)


def is_id(raw: str) -> bool:
    """ASCII digits of a possible id (``"²".isdigit()`` holds, yet ``int("²")`` fails)."""
    return raw.isascii() and raw.isdigit() and len(raw) <= MAX_ID_DIGITS and int(raw) <= MAX_ID


def path_id(request: web.Request, name: str) -> int:
    """An id from the path; anything but a plausible id is a 404, like an id one may not see."""
    raw = request.match_info[name]
    if not is_id(raw):
        raise web.HTTPNotFound()
    return int(raw)


def query_int(query: MultiMapping[str], name: str) -> int | None:
    """A cursor or offset from the query string (absent: None)."""
    raw = query.get(name, "")
    if not raw:
        return None
    if not is_id(raw):
        raise web.HTTPBadRequest(text=f"{name} must be a whole number")
    return int(raw)


def query_date(query: MultiMapping[str], name: str) -> date | None:
    """A YYYY-MM-DD day from the query string (absent: None)."""
    raw = query.get(name, "")
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise web.HTTPBadRequest(text="dates are YYYY-MM-DD") from None
