"""The actions on a request as forms: parsing each form and calling its service."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiohttp import web
from aiohttp_session import get_session
from multidict import MultiDictProxy

from backoffice.keys import CLOCK
from backoffice.messages import N_
from backoffice.params import form_count, is_digits, is_id
from domain.errors import DomainError, NotFound, ValidationError
from domain.ledger import RefundMethod
from domain.money import to_money
from domain.returns import Actor
from services.assignment import assign_return
from services.refunds import record_exchange_payment, refund_return, ship_replacement
from services.review import approve_return, ask_customer, cancel_return, close_return, reject_return
from services.warehouse import Grades, inspect_return, receive_return

Form = MultiDictProxy[Any]
# "10,50" or "10,5": a decimal comma (never "1,000", an English thousands separator)
DECIMAL_COMMA = re.compile(r"[0-9]+,[0-9]{1,2}")
KEPT_CHARS = 200  # the longest typed field kept across a refusal (the session is a cookie)
NOT_TYPED = frozenset({"csrf_token", "version", "do", "form_key"})


def _version(form: Form) -> int | None:
    raw = str(form.get("version", ""))
    return int(raw) if is_digits(raw, 9) else None


def _lines(form: Form, prefix: str) -> list[int]:
    return [
        int(k[len(prefix) :])
        for k in form
        if k.startswith(prefix) and is_digits(k[len(prefix) :], 9)
    ]


def _text(form: Form, name: str) -> str:
    return str(form.get(name, ""))


def _amount(form: Form) -> Decimal:
    """The form's amount: required (the page fills in what is due), read exactly.

    A decimal comma with one or two decimals ("10,50", as Russian writes it) is read as a
    point; "1,000" (three digits: a thousands separator in English) stays refused. The API
    takes no comma at all (``to_money`` alone)."""
    raw = _text(form, "amount").strip()
    if not raw:
        raise ValidationError("amount_required")
    if DECIMAL_COMMA.fullmatch(raw):
        raw = raw.replace(",", ".")
    return to_money(raw)


def _who(request: web.Request) -> dict[str, Any]:
    return {"actor": request["actor"], "clock": request.app[CLOCK]}


@dataclass(frozen=True)
class ActionForm:
    """One action's form: a title for its button and the call behind it."""

    title: str
    call: Callable[[web.Request, int, Form], Coroutine[Any, Any, object]]


async def _approve(request: web.Request, rid: int, form: Form) -> object:
    return await approve_return(rid, expected_version=_version(form), **_who(request))


async def _reject(request: web.Request, rid: int, form: Form) -> object:
    return await reject_return(
        rid, _text(form, "reason"), expected_version=_version(form), **_who(request)
    )


async def _ask(request: web.Request, rid: int, form: Form) -> object:
    return await ask_customer(
        rid, _text(form, "question"), expected_version=_version(form), **_who(request)
    )


async def _cancel(request: web.Request, rid: int, form: Form) -> object:
    return await cancel_return(
        rid, reason=_text(form, "reason"), expected_version=_version(form), **_who(request)
    )


async def _receive(request: web.Request, rid: int, form: Form) -> object:
    received = {line: form_count(form, f"received_{line}") for line in _lines(form, "received_")}
    return await receive_return(rid, received, expected_version=_version(form), **_who(request))


async def _inspect(request: web.Request, rid: int, form: Form) -> object:
    grades = {
        line: Grades(
            form_count(form, f"a_{line}"),
            form_count(form, f"b_{line}"),
            form_count(form, f"r_{line}"),
        )
        for line in _lines(form, "a_")
    }
    return await inspect_return(rid, grades, expected_version=_version(form), **_who(request))


async def _refund(request: web.Request, rid: int, form: Form) -> object:
    return await refund_return(
        rid,
        method=_text(form, "method") or RefundMethod.ORIGINAL,
        amount=_amount(form),
        reference=_text(form, "reference"),
        expected_version=_version(form),
        **_who(request),
    )


async def _pay(request: web.Request, rid: int, form: Form) -> object:
    return await record_exchange_payment(
        rid,
        _amount(form),
        reference=_text(form, "reference"),
        expected_version=_version(form),
        **_who(request),  # type: ignore[arg-type]
    )


async def _ship(request: web.Request, rid: int, form: Form) -> object:
    return await ship_replacement(
        rid, _text(form, "tracking"), expected_version=_version(form), **_who(request)
    )


async def _close(request: web.Request, rid: int, form: Form) -> object:
    return await close_return(rid, expected_version=_version(form), **_who(request))


ACTIONS: dict[str, ActionForm] = {
    "approve": ActionForm(N_("Approve"), _approve),
    "reject": ActionForm(N_("Reject"), _reject),
    "ask": ActionForm(N_("Ask the customer"), _ask),
    "cancel": ActionForm(N_("Cancel the request"), _cancel),
    "receive": ActionForm(N_("Receive the parcel"), _receive),
    "inspect": ActionForm(N_("Record the inspection"), _inspect),
    "refund": ActionForm(N_("Refund"), _refund),
    "record_payment": ActionForm(N_("Record the customer's payment"), _pay),
    "ship_replacement": ActionForm(N_("Ship the replacement"), _ship),
    "close": ActionForm(N_("Close"), _close),
}


def _assignee(form: Form, actor: Actor) -> int | None:
    """The form's assignee: ``me``, a staff id, or nothing for nobody."""
    raw = _text(form, "assignee").strip()
    if raw == "me":
        return actor.id
    if raw and not is_id(raw):
        raise ValidationError("unknown_assignee")
    return int(raw) if raw else None


async def assign(request: web.Request, rid: int, form: Form) -> object:
    """Assign the request as the assignment form says (not an action: no status changes)."""
    assignee = _assignee(form, request["actor"])
    return await assign_return(rid, assignee, expected_version=_version(form), **_who(request))


async def flash(
    request: web.Request, kind: str, code: str, params: dict[str, Any] | None = None
) -> None:
    """Leave a message for the next page (shown once)."""
    session = await get_session(request)
    session["flash"] = {
        "kind": kind,
        "code": code,
        "params": {k: str(v) for k, v in (params or {}).items()},
    }


async def run_action(
    request: web.Request, work: Coroutine[Any, Any, object], *, typed: Typed | None = None
) -> None:
    """Await the action; a refusal becomes a message on the page, someone else's id a 404.

    After a refusal the page shows the form ``typed`` names as it was filled in (see
    ``keep_typed``)."""
    try:
        await work
    except NotFound:
        raise web.HTTPNotFound() from None
    except DomainError as error:
        await flash(request, "error", error.code, error.params)
        if typed is not None:
            await keep_typed(request, typed)
    else:
        await flash(request, "ok", "done")


@dataclass(frozen=True)
class Typed:
    """A form of a request's page, as filled in: the request, the action and the fields."""

    return_id: int
    action: str
    form: Form


async def keep_typed(request: web.Request, typed: Typed) -> None:
    """Keep what was typed into a refused form for the next page (once). The session lives
    in a cookie of a few KB, so only short fields are kept (an amount, a reference, a
    tracking number); a long text is typed again."""
    fields = {
        name: value
        for name, value in typed.form.items()
        if name not in NOT_TYPED and isinstance(value, str) and len(value) <= KEPT_CHARS
    }
    session = await get_session(request)
    session["typed"] = {"return_id": typed.return_id, "action": typed.action, "fields": fields}


async def typed_on(request: web.Request, return_id: int) -> dict[str, dict[str, str]]:
    """What was typed into the refused form of this request's page: {action: {field: text}}."""
    kept = (await get_session(request)).pop("typed", None)
    if not kept or kept.get("return_id") != return_id:
        return {}
    return {str(kept["action"]): dict(kept["fields"])}
