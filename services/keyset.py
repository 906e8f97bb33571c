"""Keyset paging, newest first: rows in (created_at, id) descending order, and a page's
cursor is its last row's pair, so the next page is the rows older than it. The id breaks
ties between rows of the same moment, and rows added meanwhile never shift a page (as an
OFFSET count would)."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

NEWEST_FIRST = ("-created_at", "-id")
__all__ = ["NEWEST_FIRST", "cursor_of", "older_than", "read_cursor"]


def cursor_of(created_at: datetime, row_id: int) -> str:
    """The cursor after a row: ``<created_at ISO 8601>_<id>``."""
    return f"{created_at.isoformat()}_{row_id}"


def read_cursor(cursor: str) -> tuple[datetime, int] | None:
    """A cursor's (aware created_at, id), or None if it is not one."""
    stamp, _, last_id = cursor.rpartition("_")
    try:
        moment, identity = datetime.fromisoformat(stamp), int(last_id)
    except ValueError:
        return None
    return (moment, identity) if moment.tzinfo is not None and last_id.isdigit() else None


def older_than(cursor: str | None) -> Q:
    """The rows after ``cursor`` in newest-first order (every row without a cursor)."""
    where = read_cursor(cursor) if cursor else None
    if where is None:
        return Q()
    moment, identity = where
    return Q(created_at__lt=moment) | Q(created_at=moment, id__lt=identity)
