"""The queue, one request, and the actions on it."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

import aiohttp_jinja2
from aiohttp import web

from backoffice.actions import ACTIONS, Typed, assign, run_action, typed_on
from backoffice.i18n import reason_names
from backoffice.keys import CLOCK, ZONE
from backoffice.messages import WORK_NAMES
from backoffice.params import is_id, path_id, query_cursor, query_date
from domain.errors import DomainError
from domain.returns import Action, Actor, ReturnType, Status
from services.followup import send_message_to_customer
from services.queue import QueueFilter, list_returns, return_detail
from services.staff import list_staff_users
from services.work import WORK

routes = web.RouteTableDef()
# Actions that end a request without serving it: offered after the stage's main action.
DESTRUCTIVE = frozenset({Action.CANCEL, Action.REJECT})


def _assignee_filter(raw: str, actor: Actor) -> tuple[int | None, bool]:
    """The assignee filter: ``mine``, ``none`` (nobody), a staff id, or empty (anyone)."""
    if raw == "mine":
        return actor.id, False
    if raw == "none":
        return None, True
    if raw and not is_id(raw):
        raise web.HTTPBadRequest(text="assignee must be a staff id, mine or none")
    return (int(raw) if raw else None), False


def _one_of(raw: str, kind: type[StrEnum]) -> bool:
    """Empty (any), or one of the kind's values."""
    return not raw or raw in {str(member) for member in kind}


def queue_filter(request: web.Request) -> QueueFilter:
    """The queue's filters from the query string; bad values are refused with 400."""
    query = request.query
    work = query.get("work", "")
    if work and work not in WORK:
        raise web.HTTPBadRequest(text="not a kind of work")
    if not _one_of(query.get("status", ""), Status) or not _one_of(
        query.get("type", ""), ReturnType
    ):
        raise web.HTTPBadRequest(text="not a status or type of request")
    assignee, unassigned = _assignee_filter(query.get("assignee", ""), request["actor"])
    return QueueFilter(
        status=query.get("status", ""),
        reason=query.get("reason", ""),
        type=query.get("type", ""),
        channel=query.get("channel", ""),
        assignee=assignee,
        unassigned=unassigned,
        since=query_date(query, "since"),
        until=query_date(query, "until"),
        search=query.get("q", "")[:100],
        work=work,
        late_at=request.app[CLOCK].now() if query.get("overdue") == "1" else None,
    )


@routes.get("/returns", name="queue")
@aiohttp_jinja2.template("queue.html")
async def show_queue(request: web.Request) -> dict[str, object]:
    """Show one page of the filtered, searched queue."""
    filters = queue_filter(request)
    cursor = query_cursor(request.query, "after")
    page = await list_returns(filters, zone=request.app[ZONE], cursor=cursor)
    return {
        "page": page,
        "filters": filters,
        "query": request.query,
        "reason_names": await reason_names(request),
        "work_names": WORK_NAMES,
        "staff_users": await list_staff_users(),
    }


def _return_id(request: web.Request) -> int:
    return path_id(request, "return_id")


@routes.get("/returns/{return_id}", name="return_page")
@aiohttp_jinja2.template("return.html")
async def show_return(request: web.Request) -> dict[str, object]:
    """Show a request in full with the actions this person may take now."""
    try:
        detail = await return_detail(_return_id(request), request["actor"])
    except DomainError:
        raise web.HTTPNotFound() from None
    actions = sorted(detail.actions, key=lambda action: action in DESTRUCTIVE)
    return {
        "detail": replace(detail, actions=actions),
        "typed": await typed_on(request, detail.request.id),
        "forms": ACTIONS,
        "reason_names": await reason_names(request),
    }


@routes.post("/returns/{return_id}/message", name="return_message")
async def post_message(request: web.Request) -> web.StreamResponse:
    """Write to the customer in the request's thread."""
    return_id = _return_id(request)
    form = await request.post()
    await run_action(
        request,
        send_message_to_customer(
            return_id,
            str(form.get("text", "")),
            actor=request["actor"],
            clock=request.app[CLOCK],
            form_key=str(form.get("form_key", "")),
        ),
    )
    raise web.HTTPSeeOther(f"/returns/{return_id}#thread")


@routes.post("/returns/{return_id}/assignment", name="return_assignment")
async def post_assignment(request: web.Request) -> web.StreamResponse:
    """Assign the request to oneself, to another staff member or to nobody."""
    return_id = _return_id(request)
    form = await request.post()
    await run_action(request, assign(request, return_id, form))
    raise web.HTTPSeeOther(f"/returns/{return_id}#assignment")


@routes.post("/returns/{return_id}/{action}", name="return_action")
async def post_action(request: web.Request) -> web.StreamResponse:
    """Take one action on the request (the services check role, status and version)."""
    return_id, name = _return_id(request), request.match_info["action"]
    if name not in ACTIONS:
        raise web.HTTPNotFound()
    form = await request.post()
    typed = Typed(return_id, name, form)
    await run_action(request, ACTIONS[name].call(request, return_id, form), typed=typed)
    raise web.HTTPSeeOther(f"/returns/{return_id}")
