"""SQLite keeps times as text and compares them as text: every time goes in as UTC.

Tortoise stores a model's times in UTC, but hands a filter's or a statement's aware
datetime to SQLite as ``value.isoformat(" ")``, keeping its offset: a shop-day boundary
(``2026-12-03 00:00:00+08:00``) compared with a stored time (``2026-12-02 18:53:45+00:00``)
was off by the offset, so a day's refunds or requests were those of a UTC day.
PostgreSQL's timestamptz compares instants and needs none of this.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

# Tortoise registers its adapters when its SQLite executor is first imported: import it
# first, so that the adapter below replaces its datetime one instead of being replaced.
import tortoise.backends.sqlite.executor  # noqa: F401


def as_utc_text(value: datetime) -> str:
    """An aware time as UTC text (``2026-12-02 16:00:00+00:00``); a naive one as it is."""
    return (value.astimezone(UTC) if value.tzinfo else value).isoformat(" ")


sqlite3.register_adapter(datetime, as_utc_text)
