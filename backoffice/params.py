"""Reading ids, dates, cursors and counts from paths, query strings and forms.

A bad id in a path is a 404, a bad cursor or date in a query string a 400, and a bad count
in a form a refusal shown on the page.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from domain.errors import ValidationError
from services.imports import EARLIEST, LATEST
from services.keyset import read_cursor

MAX_ID_DIGITS = 10
MAX_ID = 2**31 - 1  # ids are INTEGER columns (PostgreSQL refuses anything larger)
MAX_COUNT_DIGITS = 6


def is_digits(raw: str, most: int) -> bool:
    """ASCII digits only (``"²".isdigit()`` holds, yet ``int("²")`` fails), at most ``most``."""
    return raw.isascii() and raw.isdigit() and len(raw) <= most


def is_id(raw: str) -> bool:
    """ASCII digits of a possible id."""
    return is_digits(raw, MAX_ID_DIGITS) and int(raw) <= MAX_ID


def form_count(form: MultiMapping[Any], name: str) -> int:
    """A count of units from a form field (empty: 0); anything but digits is refused."""
    raw = str(form.get(name, "0")).strip() or "0"
    if not is_digits(raw, MAX_COUNT_DIGITS):
        raise ValidationError("invalid_quantity", field=name)
    return int(raw)


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


def query_cursor(query: MultiMapping[str], name: str) -> str | None:
    """A keyset cursor (``<created_at>_<id>``) from the query string (absent: None)."""
    raw = query.get(name, "")
    if not raw:
        return None
    where = read_cursor(raw)
    if where is None or not is_id(str(where[1])):
        raise web.HTTPBadRequest(text=f"{name} is not a cursor of this list")
    return raw


def _in_range(day: date) -> bool:
    """Whether the shop's times can hold the day in every time zone (as imports require)."""
    return EARLIEST.date() <= day <= LATEST.date()


def typed_day(query: MultiMapping[str], name: str) -> date | None:
    """A YYYY-MM-DD day typed into a filter form (blank: None); refused with words."""
    raw = query.get(name, "").strip()
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ValidationError("invalid_day", field=name, value=raw[:20]) from None
    if day is not None and not _in_range(day):
        raise ValidationError("date_out_of_range", field=name, value=raw)
    return day


def typed_days(
    query: MultiMapping[str], since: date | None = None, until: date | None = None
) -> tuple[date | None, date | None]:
    """The ``since`` and ``until`` days of a filter form (blank: the defaults given);
    a malformed day, or a period that ends before it starts, is refused with words."""
    since = typed_day(query, "since") or since
    until = typed_day(query, "until") or until
    if since is not None and until is not None and until < since:
        raise ValidationError("period_reversed", field="until")
    return since, until


def query_date(query: MultiMapping[str], name: str) -> date | None:
    """A YYYY-MM-DD day from the query string (absent: None)."""
    raw = query.get(name, "")
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        raise web.HTTPBadRequest(text="dates are YYYY-MM-DD") from None
    if day is not None and not _in_range(day):
        raise web.HTTPBadRequest(text="dates are between 1000-01-02 and 9998-01-01")
    return day
