"""Dispatching one chat update to the step, command or button it belongs to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.errors import ValidationError
from models import Customer
from services.chat import following as follow
from services.chat import opening as open_
from services.chat.messages import Button, Incoming, Outcome, Reply
from services.chat.policy import show_policy
from services.chat.state import LANGUAGES, Turn, load_turn, save_turn
from services.imports import normalize_phone
from services.policies import policy_book_once
from services.review import MAX_TEXT
from services.sql import execute

Handler = Callable[[Turn, str], Awaitable[None]]


async def handle_incoming(incoming: Incoming, *, clock: Clock) -> Outcome:
    """Handle one update: at most once per update_id, in one transaction with its effects."""
    with policy_book_once():
        async with in_transaction():
            turn = await load_turn(incoming, clock)
            if turn.state.handled(incoming.update_id):
                return Outcome(turn.state.language, duplicate=True)
            if turn.linked:
                await _reachable_again(turn.customer_id)
            await _route(turn)
            await save_turn(turn)
    return Outcome(turn.state.language, tuple(turn.replies), turn.notice)


async def _route(turn: Turn) -> None:
    incoming = turn.incoming
    if incoming.press:
        await _press(turn, incoming.press)
    elif incoming.command:
        await _command(turn, incoming.command, incoming.argument)
    elif incoming.contact_phone:
        await _contact(turn)
    elif not turn.linked:
        _ask_contact(turn, "contact.ask")
    else:
        await _message(turn)


# Identification ------------------------------------------------------------------------


def _ask_contact(turn: Turn, key: str) -> None:
    turn.ask(Reply(key, {}, ask_contact=True))


async def _contact(turn: Turn) -> None:
    incoming = turn.incoming
    if incoming.contact_user_id != incoming.user_id:
        _ask_contact(turn, "contact.not_yours")
        return
    try:
        phone = normalize_phone(
            incoming.contact_phone
            if incoming.contact_phone.startswith("+")
            else "+" + incoming.contact_phone
        )
    except ValidationError:
        _ask_contact(turn, "contact.unknown")
        return
    customer = await Customer.get_or_none(phone=phone)
    if customer is None:
        _ask_contact(turn, "contact.unknown")
    elif customer.telegram_user_id not in (None, incoming.user_id):
        turn.say("contact.linked_elsewhere")
    else:
        await _link(turn, customer)


async def _reachable_again(customer_id: int) -> None:
    """A customer who writes to the bot has not blocked it (any more): the outbox may
    write to them again."""
    await execute(
        "UPDATE customer SET unreachable = $2 WHERE id = $1 AND unreachable", customer_id, False
    )


async def _link(turn: Turn, customer: Customer) -> None:
    await (
        Customer.filter(telegram_user_id=turn.incoming.user_id)
        .exclude(id=customer.id)
        .update(telegram_user_id=None)
    )
    customer.telegram_user_id = turn.incoming.user_id
    customer.language = turn.state.language
    customer.unreachable = False  # they are writing to the bot: it may write to them again
    await customer.save(update_fields=["telegram_user_id", "language", "unreachable", "updated_at"])
    turn.state.customer_id = customer.id
    turn.ask(Reply("contact.linked", {"name": customer.name}, remove_keyboard=True))
    link = turn.data.pop("deep_link", "")
    if link:
        await open_.start_new(turn, link)
    else:
        turn.ask(Reply("help.show"))


# Commands ------------------------------------------------------------------------------


async def _start(turn: Turn, argument: str) -> None:
    if not turn.linked:
        turn.data["deep_link"] = argument[:64]
        _ask_contact(turn, "start.welcome")
    elif argument:
        _drop_draft(turn)
        await open_.start_new(turn, argument)
    else:
        customer = await Customer.get(id=turn.customer_id)
        turn.say("start.again", name=customer.name)
        turn.ask(Reply("help.show"))


def _drop_draft(turn: Turn) -> None:
    """Say so when a command starting something else drops the request being opened."""
    if open_.has_draft(turn):
        turn.say("flow.draft_dropped")


async def _new(turn: Turn, _argument: str) -> None:
    _drop_draft(turn)
    await open_.start_new(turn)


async def _my(turn: Turn, _argument: str) -> None:
    _drop_draft(turn)
    await follow.show_list(turn)


async def _policy(turn: Turn, _argument: str) -> None:
    await show_policy(turn)


async def _language(turn: Turn, _argument: str) -> None:
    buttons = tuple((Button(f"language.{code}", f"lang:{code}"),) for code in LANGUAGES)
    turn.ask(Reply("language.pick", {}, buttons))


async def _help(turn: Turn, _argument: str) -> None:
    turn.ask(Reply("help.show"))


async def _leave(turn: Turn, _argument: str) -> None:
    """Leave the step (Cancel, Close, /cancel), saying what that means there: a draft dropped,
    or only a screen closed."""
    if not turn.state.step:
        turn.say("flow.nothing")
    else:
        turn.ask(await follow.left(turn) or Reply("flow.cancelled"))
    turn.reset()


COMMANDS: dict[str, Handler] = {
    "start": _start,
    "new": _new,
    "my": _my,
    "policy": _policy,
    "language": _language,
    "help": _help,
    "cancel": _leave,
}
OPEN_TO_ALL = {"start", "policy", "language", "help", "cancel"}


async def _command(turn: Turn, name: str, argument: str) -> None:
    handler = COMMANDS.get(name)
    if handler is None:
        turn.say("error.unknown_command", command=name[:32])
        await reshow(turn)
    elif not turn.linked and name not in OPEN_TO_ALL:
        _ask_contact(turn, "contact.ask")
    else:
        await handler(turn, argument)


# Buttons -------------------------------------------------------------------------------

STEP_BUTTONS: dict[str, dict[str, Handler]] = {
    "order": {"order": open_.pick_order},
    "items": {"item": open_.pick_item, "items_done": lambda t, _a: _items_done(t)},
    "quantity": {"qty": open_.set_quantity},
    "reason": {"reason": open_.pick_reason},
    "type": {"type": open_.pick_type},
    "replacement": {"swap": open_.pick_replacement},
    "photos": {"photos_done": lambda t, _a: open_.photos_done(t)},
    "description": {"describe": open_.keep_description},
    "summary": {"confirm": lambda t, _a: open_.confirm(t)},
    "list": {"req": follow.show_detail},
    "detail": {
        "reply": follow.ask_reply,
        "tracking": follow.ask_tracking,
        "cancel_req": follow.ask_cancel,
    },
    "cancel_confirm": {"cancel_yes": follow.cancel_request},
    "reply": {"send_reply": lambda t, _a: follow.send_reply(t)},
    "survey_comment": {},
}


async def _items_done(turn: Turn) -> None:
    if not open_.draft(turn)["lines"]:  # Continue is only offered once an item is chosen
        turn.notice = "notice.unavailable"
        return
    await _enter(turn, "reason")


async def _enter(turn: Turn, step: str) -> None:
    turn.go(step)
    await reshow(turn)


async def _press(turn: Turn, data: str) -> None:
    head, _, rest = data.partition(":")
    if not turn.linked and head != "lang":
        _ask_contact(turn, "contact.ask")
    elif head in GLOBAL_BUTTONS:
        await GLOBAL_BUTTONS[head](turn, rest)
    else:
        await _step_press(turn, head, rest)


async def _step_press(turn: Turn, nonce: str, rest: str) -> None:
    verb, _, argument = rest.partition(":")
    handlers = STEP_BUTTONS.get(turn.state.step, {})
    if nonce != turn.data.get("nonce") or verb not in (*handlers, "back", "cancel"):
        turn.notice = "notice.unavailable"
    elif verb == "cancel":
        await _leave(turn, "")
    elif verb == "back":
        await _back(turn)
    else:
        await handlers[verb](turn, argument)


async def _back(turn: Turn) -> None:
    """Go back to the previous screen; a step with none to go back to is left, and said so."""
    if not turn.data.get("history"):  # a chat begun before every first step had one
        await _leave(turn, "")
        return
    if turn.back() == "replacement":
        open_.draft(turn)["replacements"] = {}
    await reshow(turn)


async def _set_language(turn: Turn, code: str) -> None:
    if code not in LANGUAGES:
        turn.notice = "notice.unavailable"
        return
    turn.state.language = code
    if turn.linked:
        customer = await Customer.get(id=turn.customer_id)
        customer.language = code
        await customer.save(update_fields=["language", "updated_at"])
    turn.say("language.set")


async def _survey(turn: Turn, rest: str) -> None:
    request_id, _, score = rest.partition(":")
    await follow.survey_score(turn, request_id, score)


GLOBAL_BUTTONS: dict[str, Handler] = {"lang": _set_language, "sv": _survey, "rp": follow.ask_reply}


# Messages ------------------------------------------------------------------------------

TEXT_STEPS: dict[str, Handler] = {
    "quantity": open_.set_quantity,
    "description": open_.describe,
    "tracking": follow.add_tracking,
    "reply": follow.send_reply,
    "survey_comment": follow.survey_comment,
}
# The longest message a text step takes, where it is not the services' MAX_TEXT
TEXT_LIMITS: dict[str, int] = {"description": open_.MAX_DESCRIPTION}
PHOTO_STEPS: dict[str, Handler] = {"photos": open_.add_photo, "reply": follow.reply_photo}


async def _message(turn: Turn) -> None:
    incoming, step = turn.incoming, turn.state.step
    if incoming.photo_file_id and step in PHOTO_STEPS:
        await PHOTO_STEPS[step](turn, incoming.photo_file_id)
    elif incoming.text and not incoming.photo_file_id and step in TEXT_STEPS:
        await _text(turn, step, incoming.text)
    elif not step:
        turn.ask(Reply("help.hint"))
    else:
        expected = await open_.expected_at_photos(turn) if step == "photos" else f"expect.{step}"
        turn.say("error.wrong_input", expected=Reply(expected))
        await reshow(turn)


async def _text(turn: Turn, step: str, text: str) -> None:
    """Hand a text to its step, or tell the customer the step's own limit and ask again."""
    limit = TEXT_LIMITS.get(step, MAX_TEXT)
    if len(text) > limit:
        turn.say("error.text_too_long", max=limit, length=len(text))
        await reshow(turn)
    else:
        await TEXT_STEPS[step](turn, text)


SHOW: dict[str, Callable[[Turn], Awaitable[None]]] = {
    "order": open_.show_orders,
    "items": open_.show_items,
    "quantity": open_.show_quantity,
    "reason": open_.show_reasons,
    "type": open_.show_types,
    "replacement": open_.show_replacements,
    "photos": open_.show_photos,
    "description": open_.show_description,
    "summary": open_.show_summary,
    "list": follow.show_list,
    "detail": lambda t: follow.show_detail(t, t.data.get("request_id")),
    "cancel_confirm": follow.show_cancel_confirm,
    "tracking": follow.show_tracking,
    "reply": follow.show_reply,
    "survey_comment": follow.show_survey_comment,
}


async def reshow(turn: Turn) -> None:
    """Ask the current step's question again (after bad input, Back, an unknown command)."""
    if turn.state.step in SHOW:
        await SHOW[turn.state.step](turn)
