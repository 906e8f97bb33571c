"""Customer photos: which Telegram file stands behind an attachment, for staff only."""

from __future__ import annotations

from domain.returns import Actor
from models import Attachment


async def attachment_file_id(attachment_id: int, actor: Actor) -> str | None:
    """The Telegram file id of a request's photo, if the actor is staff and it exists."""
    if not actor.is_staff:
        return None
    attachment = await Attachment.get_or_none(id=attachment_id)
    return attachment.telegram_file_id if attachment else None
