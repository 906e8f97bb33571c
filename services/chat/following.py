"""Following requests in the chat: list, detail with timeline, cancel, tracking, reply, survey."""

from __future__ import annotations

from decimal import Decimal

from domain.errors import DomainError
from domain.money import ZERO
from domain.policy import PolicyDecision
from domain.returns import VOID_STATUSES, Action, Actor, ReturnType, Status, allowed_actions
from models import Payment, Refund, ReturnEvent, ReturnLine, ReturnRequest
from services.chat.messages import Reply
from services.chat.state import Turn, joined
from services.followup import add_tracking_number, comment_survey, reply_to_question, submit_survey
from services.review import MAX_TEXT, cancel_return
from services.submission import PreviewLine

# What the customer's timeline shows: the request's own life, not staff's bookkeeping (who
# has the request: assignment events)
TIMELINE = ("submit", *(str(action) for action in Action))

MAX_LISTED = 10
MAX_REPLY_PHOTOS = 5


async def show_list(turn: Turn) -> None:
    turn.reset()
    turn.go("list")
    requests = (
        await ReturnRequest.filter(customer_id=turn.customer_id)
        .order_by("-created_at", "-id")
        .limit(MAX_LISTED)
    )
    if not requests:
        turn.reset()
        turn.say("list.empty")
        return
    rows = tuple(
        (turn.button("button.request", "req", r.id, number=r.number, status=_status_words(r)),)
        for r in requests
    )
    turn.ask(
        Reply(
            "list.pick",
            {"count": len(requests)},
            (*rows, (turn.button("button.close_menu", "cancel"),)),
            count=len(requests),
        )
    )


MAX_ID = 2**31 - 1  # an INTEGER column: a bigger forged id must not reach the database


async def _mine(turn: Turn, request_id: object) -> ReturnRequest | None:
    text = str(request_id)
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        return None
    return await ReturnRequest.get_or_none(id=int(text), customer_id=turn.customer_id)


async def show_detail(turn: Turn, request_id: object) -> None:
    request = await _mine(turn, request_id)
    if request is None:
        turn.notice = "notice.unavailable"
        return
    turn.go("detail", request_id=request.id)
    lines = await ReturnLine.filter(request_id=request.id).prefetch_related(
        "order_line__product", "replacement_product"
    )
    events = await ReturnEvent.filter(request_id=request.id, action__in=TIMELINE).order_by("id")
    params = {
        "number": request.number,
        "status": _status_words(request),
        "items": (*map(_detail_item, lines), *await _money(request, lines)),
        "timeline": tuple(
            Reply(f"event.{e.action}", {"when": e.created_at, "note": e.note}) for e in events
        ),
    }
    buttons = (*_actions(turn, request), turn.nav("button.close_menu"))
    turn.ask(Reply("detail.show", params, buttons))
    if request.status is Status.APPROVED and request.deadline_at:
        turn.say(
            "detail.deadline", deadline=request.deadline_at, tracking=request.tracking_number or "—"
        )


# What leaving a step of following says: nothing was sent, nothing happened to the request
LEFT = {
    "list": "flow.closed",
    "detail": "flow.closed",
    "cancel_confirm": "cancel.kept",
    "tracking": "tracking.skipped",
    "reply": "reply.cancelled",
    "survey_comment": "survey.comment_skipped",
}


async def left(turn: Turn) -> Reply | None:
    """What leaving the current step says, if it is one of following (None: it is not)."""
    key = LEFT.get(turn.state.step)
    if key != "cancel.kept":
        return None if key is None else Reply(key)
    request = await _mine(turn, turn.data.get("request_id", ""))
    return Reply(key, {"number": request.number}) if request else Reply("flow.closed")


def _status_words(request: ReturnRequest) -> Reply:
    """The request's status in words: a refund with part still owed is not yet refunded."""
    if request.status is Status.REFUNDED and request.refund_due > 0:
        return Reply("status.refunded_partly")
    return Reply(f"status.{request.status}")


def _detail_item(line: ReturnLine) -> Reply:
    params = {"name": line.order_line.product.name, "quantity": line.quantity}
    if line.replacement_product is None:
        return Reply("detail.item", params)
    return Reply("detail.exchange_item", params | {"replacement": line.replacement_product.name})


async def _money(request: ReturnRequest, lines: list[ReturnLine]) -> tuple[Reply, ...]:
    """What the request means in money for the customer, once there is something to say."""
    if request.type is ReturnType.EXCHANGE:
        return await _difference(request, lines)
    return await _refund(request)


async def _refund(request: ReturnRequest) -> tuple[Reply, ...]:
    """A refund's money from inspection on: refunded so far, and what is still owed (both
    nothing before inspection, or when nothing was accepted)."""
    refunded, owed = await _total(Refund, request), request.refund_due
    if refunded and owed > 0:
        return (Reply("detail.refund_rest", {"refunded": refunded, "amount": owed}),)
    if owed > 0:
        return (Reply("detail.refund_to_get", {"amount": owed}),)
    if refunded:
        return (Reply("detail.refund_done", {"amount": refunded}),)
    return ()


async def _difference(request: ReturnRequest, lines: list[ReturnLine]) -> tuple[Reply, ...]:
    """An exchange's price difference: what the customer pays or gets back, and whether that
    is done. Until inspection it is what was agreed; from then on what the desk counts."""
    if request.status in VOID_STATUSES:
        return ()
    paid, refunded = await _total(Payment, request), await _total(Refund, request)
    if request.status is Status.INSPECTED:
        due = request.exchange_due
    elif request.status in (Status.EXCHANGED, Status.CLOSED):
        due = ZERO
    else:
        due = _agreed_difference(request, lines)
    return (_difference_words(due, paid, refunded),)


async def _total(money: type[Payment] | type[Refund], request: ReturnRequest) -> Decimal:
    """The sum of the request's payments (or refunds)."""
    amounts = await money.filter(request_id=request.id).values_list("amount", flat=True)
    return sum((Decimal(str(amount)) for amount in amounts), ZERO)


def _agreed_difference(request: ReturnRequest, lines: list[ReturnLine]) -> Decimal:
    """The difference the customer confirmed: each line as the summary worked it out."""
    decision = PolicyDecision.from_snapshot(request.policy_decision)
    return sum(
        (
            PreviewLine(
                line.order_line.product.name,
                line.quantity,
                line.order_line.unit_price,
                line.replacement_product.name,
                line.replacement_unit_price,
                decision.fee_percent_for(line.order_line_id),
            ).exchange_difference
            for line in lines
            if line.replacement_product is not None
        ),
        ZERO,
    )


def _difference_words(due: Decimal, paid: Decimal, refunded: Decimal) -> Reply:
    if due > 0:
        if paid:
            return Reply("detail.difference_rest", {"amount": due, "paid": paid})
        return Reply("detail.difference_to_pay", {"amount": due})
    if due < 0:
        return Reply("detail.difference_to_get", {"amount": -due})
    if paid:
        return Reply("detail.difference_paid", {"amount": paid})
    if refunded:
        return Reply("detail.difference_refunded", {"amount": refunded})
    return Reply("detail.difference_none")


def _actions(turn: Turn, request: ReturnRequest) -> tuple:
    allowed = allowed_actions(Actor.customer(turn.customer_id), request.status)
    rows = []
    if Action.REPLY in allowed:
        rows.append((turn.button("button.reply", "reply", request.id),))
    if Action.ADD_TRACKING in allowed:
        rows.append((turn.button("button.tracking", "tracking", request.id),))
    if Action.CANCEL in allowed:
        rows.append((turn.button("button.cancel_request", "cancel_req", request.id),))
    return tuple(rows)


async def _shown(turn: Turn, request_id: str) -> ReturnRequest | None:
    """The customer's request this step is about (else the press is answered "no longer
    available" and None comes back)."""
    request = await _mine(turn, request_id)
    if request is None or request.id != turn.data.get("request_id"):
        turn.notice = "notice.unavailable"
        return None
    return request


async def ask_cancel(turn: Turn, request_id: str) -> None:
    """Cancelling cannot be undone: ask once more, with Back to keep the request."""
    request = await _shown(turn, request_id)
    if request is None:
        return
    turn.go("cancel_confirm", request_id=request.id)
    await show_cancel_confirm(turn)


async def show_cancel_confirm(turn: Turn) -> None:
    request = await ReturnRequest.get(id=turn.data["request_id"])
    sure = (turn.button("button.cancel_confirm", "cancel_yes", request.id),)
    keep = (turn.button("button.cancel_keep", "back"),)
    turn.ask(Reply("cancel.confirm", {"number": request.number}, (sure, keep)))


async def cancel_request(turn: Turn, request_id: str) -> None:
    request = await _shown(turn, request_id)
    if request is None:
        return
    try:
        view = await cancel_return(request.id, actor=turn.actor, clock=turn.clock)
    except DomainError as error:
        turn.say(f"error.{error.code}")
        return
    turn.reset()
    turn.say("cancel.done", number=view.number)


async def ask_tracking(turn: Turn, request_id: str) -> None:
    request = await _mine(turn, request_id)
    if request is None or request.status is not Status.APPROVED:
        turn.notice = "notice.unavailable"
        return
    turn.go("tracking", request_id=request.id)
    await show_tracking(turn)


async def show_tracking(turn: Turn) -> None:
    request = await ReturnRequest.get(id=turn.data["request_id"])
    turn.ask(Reply("tracking.ask", {"number": request.number}, (turn.nav(),)))


async def add_tracking(turn: Turn, text: str) -> None:
    try:
        view = await add_tracking_number(
            turn.data["request_id"], text, actor=turn.actor, clock=turn.clock
        )
    except DomainError as error:
        turn.say(f"error.{error.code}")
        await show_tracking(turn)
        return
    turn.reset()
    turn.say("tracking.done", number=view.number, tracking=view.tracking_number)


async def ask_reply(turn: Turn, request_id: object) -> None:
    """Ask for the answer; Back goes to the request's detail (the answer so far is kept while
    the customer stays with this request)."""
    request = await _mine(turn, request_id)
    if request is None or request.status is not Status.NEEDS_INFO:
        turn.notice = "notice.unavailable"
        return
    if turn.state.step not in ("detail", "reply") or turn.data.get("request_id") != request.id:
        turn.reset()  # the answer button of a message: as if pressed on the request's detail
        turn.go("list")  # neither is shown: Back goes to the detail, and on to the list
        turn.go("detail", request_id=request.id)
    turn.go("reply", request_id=request.id)
    await show_reply(turn)


async def show_reply(turn: Turn) -> None:
    request = await ReturnRequest.get(id=turn.data["request_id"])
    count = len(turn.data.get("photos", []))
    rows = ((turn.button("button.send", "send_reply"),), turn.nav()) if count else (turn.nav(),)
    turn.ask(Reply("reply.ask", {"number": request.number, "count": count}, rows, count=count))


async def reply_photo(turn: Turn, file_id: str) -> None:
    photos = turn.data.setdefault("photos", [])
    if len(photos) >= MAX_REPLY_PHOTOS:
        turn.refuse_photo(MAX_REPLY_PHOTOS)
    else:
        photos.append(file_id)
        turn.data["text"] = turn.with_caption(turn.data.get("text", ""), MAX_TEXT)
    await show_reply(turn)


async def send_reply(turn: Turn, text: str = "") -> None:
    """Send the answer: the photos' captions and then ``text`` (the message that sends it)."""
    answer = joined(turn.data.get("text", ""), text)
    if len(answer) > MAX_TEXT:
        turn.say("error.text_too_long", max=MAX_TEXT, length=len(answer))
        await show_reply(turn)
        return
    try:
        view = await reply_to_question(
            turn.data["request_id"],
            answer,
            tuple(turn.data.get("photos", [])),
            actor=turn.actor,
            clock=turn.clock,
        )
    except DomainError as error:
        turn.say(f"error.{error.code}", **error.params)
        return
    turn.reset()
    turn.say("reply.done", number=view.number)


async def survey_score(turn: Turn, request_id: str, score: str) -> None:
    """Keep a survey score pressed on the survey message (not tied to the current step)."""
    request = await _mine(turn, request_id)
    if request is None or not (score.isascii() and score.isdigit()):
        turn.notice = "notice.unavailable"
        return
    try:
        await submit_survey(request.id, int(score), actor=turn.actor, clock=turn.clock)
    except DomainError:
        turn.notice = "notice.unavailable"
        return
    turn.reset()
    turn.go("survey_comment", request_id=request.id, score=int(score))
    await show_survey_comment(turn)


async def show_survey_comment(turn: Turn) -> None:
    skip = ((turn.button("button.skip", "cancel"),),)
    turn.ask(Reply("survey.thanks", {"score": turn.data["score"]}, skip))


async def survey_comment(turn: Turn, text: str) -> None:
    try:
        await comment_survey(turn.data["request_id"], text, actor=turn.actor, clock=turn.clock)
    except DomainError as error:
        turn.say(f"error.{error.code}", **error.params)
        return
    turn.reset()
    turn.say("survey.comment_saved")
