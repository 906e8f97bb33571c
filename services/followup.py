"""What a customer does on an open request: reply, add a tracking number, answer the survey."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from domain.returns import Action, Actor, Status
from models import Attachment, Message, ReturnRequest, Survey
from services.effects import enqueue
from services.form_keys import first_use
from services.lifecycle import advance, begin, load_request, notify_staff
from services.review import clean_text
from services.rollups import count_survey
from services.views import ReturnView

TRACKING = re.compile(r"[A-Za-z0-9-]{4,40}")
MAX_PHOTOS = 5


async def _add_message(
    request: ReturnRequest, author: Actor, now: datetime, text: str, photos: Sequence[str] = ()
) -> Message:
    """Add to the request's thread: the text and photos, from the customer or the staff."""
    message = await Message.create(
        request=request,
        author=author.label,
        from_customer=author.is_customer,
        text=text,
        created_at=now,
    )
    await Attachment.bulk_create(
        [
            Attachment(request=request, message=message, telegram_file_id=f, created_at=now)
            for f in photos
        ]
    )
    return message


async def reply_to_question(
    return_id: int, text: str, photos: Sequence[str] = (), *, actor: Actor, clock: Clock
) -> ReturnView:
    """Answer the reviewer's question with text and/or photos; the request goes back to review."""
    text = clean_text(text, required=not photos)
    if len(photos) > MAX_PHOTOS:
        raise ValidationError("too_many_photos", max=MAX_PHOTOS)
    async with in_transaction():
        step = await begin(return_id, Action.REPLY, actor=actor, clock=clock)
        await advance(step, note=text)
        await _add_message(step.request, actor, step.now, text, photos)
        await notify_staff(step, "customer_replied")
    return ReturnView.of(step.request)


async def add_tracking_number(
    return_id: int, tracking_number: str, *, actor: Actor, clock: Clock
) -> ReturnView:
    """Record the parcel's tracking number on an approved request."""
    tracking_number = tracking_number.strip()
    if not TRACKING.fullmatch(tracking_number):
        raise ValidationError("invalid_tracking_number")
    async with in_transaction():
        step = await begin(return_id, Action.ADD_TRACKING, actor=actor, clock=clock)
        await advance(step, note=tracking_number, tracking_number=tracking_number)
        await notify_staff(step, "tracking_added", tracking_number=tracking_number)
    return ReturnView.of(step.request)


async def send_message_to_customer(
    return_id: int, text: str, *, actor: Actor, clock: Clock, form_key: str = ""
) -> None:
    """Write to the customer in the request's thread (staff only; the status stays). The
    form's key, once used, makes the same form sent again send nothing."""
    text = clean_text(text)
    if not actor.is_staff:
        raise PermissionDenied(action="message")
    async with in_transaction():
        request = await load_request(return_id, actor)
        now = clock.now()
        if not await first_use(form_key, now):
            return
        message = await _add_message(request, actor, now, text)
        await enqueue(
            "staff_message",
            f"{request.number}:message:{message.id}",
            now,
            customer_id=request.customer_id,
            params={"number": request.number, "text": text},
        )


async def submit_survey(
    return_id: int, score: int, comment: str = "", *, actor: Actor, clock: Clock
) -> None:
    """Keep the customer's 1–5 score (and comment) for a closed request, once."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError("invalid_score")
    comment = clean_text(comment, required=False)
    async with in_transaction():
        request = await load_request(return_id, actor)
        if not actor.is_customer:
            raise NotFound("return_not_found", return_id=return_id)
        if request.status is not Status.CLOSED:
            raise InvalidTransition(status=str(request.status), action="survey")
        if await Survey.exists(request_id=request.id):
            raise InvalidTransition("survey_already_answered", number=request.number)
        await Survey.create(request=request, score=score, comment=comment, created_at=clock.now())
        await count_survey(request, score, clock.now())


async def comment_survey(return_id: int, comment: str, *, actor: Actor, clock: Clock) -> None:
    """Add the customer's comment to the survey they already scored."""
    comment = clean_text(comment)
    async with in_transaction():
        request = await load_request(return_id, actor)
        survey = await Survey.get_or_none(request_id=request.id)
        if survey is None or not actor.is_customer:
            raise InvalidTransition(status=str(request.status), action="survey_comment")
        survey.comment = comment
        await survey.save(update_fields=["comment"])
