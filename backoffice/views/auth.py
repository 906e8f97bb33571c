"""Signing in and out, and choosing the page language."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session
from multidict import MultiDictProxy

from backoffice.i18n import LANGUAGE_COOKIE
from backoffice.keys import THROTTLE
from backoffice.security import safe_next, start_session
from locales import LANGUAGES
from services.login_throttle import Blocked
from services.staff import authenticate, end_sessions, set_language

routes = web.RouteTableDef()


@routes.get("/login", name="login")
@aiohttp_jinja2.template("login.html")
async def login_form(request: web.Request) -> dict[str, object]:
    """Show the sign-in form."""
    return {
        "next": safe_next(request.query.get("next", "/")),
        "ended": request.query.get("session") == "ended",
        "failed": False,
        "blocked": None,
    }


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    """Check the password (throttled per name and address) and start a fresh session."""
    form = await request.post()
    username = str(form.get("username", "")).strip().lower()[:64]
    throttle = request.app[THROTTLE]
    attempt = await throttle.admit(username, str(request.remote))
    if isinstance(attempt, Blocked):
        return _refused(request, form, blocked=attempt)
    staff = await authenticate(username, str(form.get("password", "")))
    if staff is None:
        return _refused(request, form)  # the attempt stays counted as a failure
    await throttle.succeeded(attempt)
    await start_session(request, staff)
    raise web.HTTPSeeOther(safe_next(str(form.get("next", "/"))))


def _refused(
    request: web.Request, form: MultiDictProxy[Any], *, blocked: Blocked | None = None
) -> web.StreamResponse:
    """The sign-in form again: 401 for a wrong password, 429 (saying how long) if held."""
    context = {
        "next": safe_next(str(form.get("next", "/"))),
        "ended": False,
        "failed": True,
        "blocked": blocked,
    }
    response = aiohttp_jinja2.render_template("login.html", request, context)
    response.set_status(401 if blocked is None else 429)
    return response


@routes.post("/logout", name="logout")
async def logout(request: web.Request) -> web.StreamResponse:
    """End this account's sessions, on every device (see ``end_sessions``)."""
    await end_sessions(request["staff"].id)
    (await get_session(request)).invalidate()
    raise web.HTTPSeeOther("/login")


@routes.post("/language", name="language")
async def choose_language(request: web.Request) -> web.StreamResponse:
    """Switch the page language (and remember it on the staff account)."""
    form = await request.post()
    language = str(form.get("language", ""))
    if language not in LANGUAGES:
        raise web.HTTPBadRequest(text="unknown language")
    if "staff" in request:
        await set_language(request["staff"].id, language)
    response = web.HTTPSeeOther(safe_next(str(form.get("next", "/"))))
    response.set_cookie(LANGUAGE_COOKIE, language, httponly=True, samesite="Lax", max_age=31536000)
    raise response
