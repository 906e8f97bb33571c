"""One form, one change (SPEC §6): a back-office form without a version to check carries a
fresh key; the change it asks for records the key in its own transaction, so the same form
sent twice (a double click, or Back and send again) makes the change once."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from domain.errors import ValidationError
from services.sql import fetch

__all__ = ["first_use", "new_form_key"]

FORM_KEY = re.compile(r"[0-9a-f]{32}")


def new_form_key() -> str:
    """A key for one form on one page."""
    return uuid.uuid4().hex


async def first_use(form_key: str, now: datetime) -> bool:
    """Record the key in the caller's transaction; False if a change recorded it before
    (that change committed; a change that failed recorded nothing). No key: True."""
    if not form_key:
        return True
    if not FORM_KEY.fullmatch(form_key):
        raise ValidationError("invalid_form_key", field="form_key")
    recorded = await fetch(
        "INSERT INTO form_submission (form_key, sent_at) VALUES ($1, $2)"
        " ON CONFLICT (form_key) DO NOTHING RETURNING form_key",
        form_key,
        now,
    )
    return bool(recorded)
