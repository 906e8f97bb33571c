"""Staff accounts: the list, adding one, changing its roles, deactivating or reactivating it,
resetting its password."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from backoffice.actions import flash
from backoffice.keys import CLOCK
from backoffice.params import path_id
from backoffice.refusals import Refusal, attempt
from backoffice.security import require_roles
from domain.errors import NotFound
from domain.returns import STAFF, Role
from services.staff import (
    LANGUAGES,
    MIN_PASSWORD,
    change_staff_roles,
    create_staff_user,
    list_staff_users,
    reset_password,
    set_staff_active,
    staff_user,
)

routes = web.RouteTableDef()
ROLES = sorted(str(r) for r in STAFF)


async def _page(
    request: web.Request, template: str, context: dict[str, object], refusal: Refusal | None
) -> web.StreamResponse:
    context |= {"refusal": refusal, "roles": ROLES, "languages": LANGUAGES, "min": MIN_PASSWORD}
    response = aiohttp_jinja2.render_template(template, request, context)
    response.set_status(400 if refusal else 200)
    return response


@routes.get("/staff", name="staff")
async def show_staff(request: web.Request) -> web.StreamResponse:
    """Show the staff accounts and the form to add one."""
    require_roles(request, Role.ADMIN)
    return await _page(request, "staff.html", {"users": await list_staff_users()}, None)


@routes.post("/staff", name="staff_add")
async def post_staff(request: web.Request) -> web.StreamResponse:
    """Add a staff account."""
    actor = require_roles(request, Role.ADMIN)
    form = await request.post()
    username = str(form.get("username", "")).strip().lower()[:64]
    work = create_staff_user(
        username,
        str(form.get("password", "")),
        [str(r) for r in form.getall("roles", [])],
        language=str(form.get("language", "en")),
        actor=actor,
        clock=request.app[CLOCK],
    )
    refusal = await attempt(work)
    if refusal is not None:
        context: dict[str, object] = {"users": await list_staff_users(), "username": username}
        return await _page(request, "staff.html", context, refusal)
    await flash(request, "ok", "done")
    raise web.HTTPSeeOther("/staff")


async def _user_page(request: web.Request, refusal: Refusal | None = None) -> web.StreamResponse:
    try:
        user = await staff_user(path_id(request, "staff_id"))
    except NotFound:
        raise web.HTTPNotFound() from None
    return await _page(request, "staff_user.html", {"user": user}, refusal)


@routes.get("/staff/{staff_id}", name="staff_user")
async def show_staff_user(request: web.Request) -> web.StreamResponse:
    """Show one account with its roles, activation and password forms."""
    require_roles(request, Role.ADMIN)
    return await _user_page(request)


@routes.post("/staff/{staff_id}/roles", name="staff_roles")
async def post_staff_roles(request: web.Request) -> web.StreamResponse:
    """Give an account a new set of roles."""
    actor = require_roles(request, Role.ADMIN)
    staff_id = path_id(request, "staff_id")
    roles = [str(r) for r in (await request.post()).getall("roles", [])]
    work = change_staff_roles(staff_id, roles, actor=actor, clock=request.app[CLOCK])
    refusal = await attempt(work)
    if refusal is not None:
        return await _user_page(request, refusal)
    await flash(request, "ok", "done")
    gave_up_admin = staff_id == actor.id and str(Role.ADMIN) not in roles
    raise web.HTTPSeeOther("/" if gave_up_admin else f"/staff/{staff_id}")


@routes.post("/staff/{staff_id}/active", name="staff_active")
async def post_staff_active(request: web.Request) -> web.StreamResponse:
    """Deactivate or reactivate an account."""
    actor = require_roles(request, Role.ADMIN)
    staff_id = path_id(request, "staff_id")
    active = (await request.post()).get("active") == "1"
    refusal = await attempt(
        set_staff_active(staff_id, active, actor=actor, clock=request.app[CLOCK])
    )
    if refusal is not None:
        return await _user_page(request, refusal)
    await flash(request, "ok", "done")
    raise web.HTTPSeeOther(f"/staff/{staff_id}")


@routes.post("/staff/{staff_id}/password", name="staff_password")
async def post_staff_password(request: web.Request) -> web.StreamResponse:
    """Give an account a new password."""
    actor = require_roles(request, Role.ADMIN)
    staff_id = path_id(request, "staff_id")
    password = str((await request.post()).get("password", ""))
    refusal = await attempt(
        reset_password(staff_id, password, actor=actor, clock=request.app[CLOCK])
    )
    if refusal is not None:
        return await _user_page(request, refusal)
    await flash(request, "ok", "done")
    raise web.HTTPSeeOther(f"/staff/{staff_id}")
