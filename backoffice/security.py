"""Sessions, sign-in, CSRF, login throttling, security headers and error pages."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp_session import AbstractStorage, get_session, new_session, session_middleware
from yarl import URL

from domain.returns import Actor, Role
from services.staff import StaffView, signed_in_staff

log = logging.getLogger("returndesk.backoffice")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Doors for machines, not people: the JSON API and Telegram's webhook bring their own
# credentials, so they hold no session (never read nor set its cookie), carry no CSRF
# token and answer their own errors.
MACHINE_PREFIXES = ("/api/", "/telegram/")
# /language: the sign-in page's language buttons work before signing in.
PUBLIC_PREFIXES = ("/login", "/language", "/static/", "/healthz", "/readyz")
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


class RoleRefused(web.HTTPForbidden):
    """403 for a page or action the staff member's roles do not allow (not a CSRF refusal)."""


async def csrf_token(request: web.Request) -> str:
    """This session's CSRF token (made on first use)."""
    session = await get_session(request)
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return str(session[CSRF_FIELD])


async def start_session(request: web.Request, staff: StaffView) -> None:
    """Sign in: a brand-new session (new id, new CSRF token) holding the staff id and the
    account's session epoch, which ends the session once it moves on."""
    session = await new_session(request)
    session["staff_id"] = staff.id
    session["epoch"] = staff.session_epoch
    session["sid"] = secrets.token_urlsafe(16)
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


async def _session_staff(request: web.Request) -> StaffView | None:
    session = await get_session(request)
    if "staff_id" not in session or "epoch" not in session:
        return None  # not signed in, or a session from before epochs: sign in again
    return await signed_in_staff(session["staff_id"], session["epoch"])


def for_machines(request: web.Request) -> bool:
    """Tell whether the request came to the API or the webhook (see ``MACHINE_PREFIXES``)."""
    return request.path.startswith(MACHINE_PREFIXES)


def page_sessions(storage: AbstractStorage) -> Middleware:
    """aiohttp-session's middleware for the pages only: the API and the webhook neither read
    nor set the session cookie (a session asked for there is an error, not a new cookie)."""
    sessions = session_middleware(storage)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if for_machines(request):
            return await handler(request)
        return await sessions(request, handler)

    return middleware


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error as a page in the staff member's language; never a traceback."""
    if for_machines(request):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return await _error_page(request, error.status, roles=isinstance(error, RoleRefused))
    except Exception:
        log.exception("error on %s %s", request.method, request.path)
        return await _error_page(request, 500)


async def _error_page(
    request: web.Request, status: int, *, roles: bool = False
) -> web.StreamResponse:
    context: dict[str, object] = {"status": status, "roles_refused": roles}
    try:
        if not request.get(aiohttp_jinja2.REQUEST_CONTEXT_KEY):
            # Refused before the page context was made (a CSRF refusal): make it here.
            for processor in request.config_dict[aiohttp_jinja2.APP_CONTEXT_PROCESSORS_KEY]:
                context = {**await processor(request), **context}
        response = aiohttp_jinja2.render_template("error.html", request, context)
    except Exception:
        log.exception("error page %s on %s %s", status, request.method, request.path)
        return web.Response(status=status, text=f"{status} {HTTPStatus(status).phrase}")
    response.set_status(status)
    return response


@web.middleware
async def signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the staff member behind the session; send anyone else to the sign-in page."""
    if for_machines(request):
        return await handler(request)
    staff = await _session_staff(request)
    if staff is not None:
        request["staff"] = staff
        request["actor"] = Actor.staff(staff.id, staff.username, {Role(r) for r in staff.roles})
    elif not request.path.startswith(PUBLIC_PREFIXES):
        if request.method in ("GET", "HEAD"):  # back to the page after signing in
            raise web.HTTPSeeOther(f"/login?next={quote(str(request.rel_url), safe='/')}")
        if request.path == "/logout":
            raise web.HTTPSeeOther("/login?next=/")  # signed out already
        # A form posted after its session ended: nothing was done. Say so on the sign-in
        # page, and go back to the page the form was on (its POST URL is no page).
        target = await _form_page(request)
        raise web.HTTPSeeOther(str(URL("/login").with_query(next=target, session="ended")))
    return await handler(request)


def safe_next(target: str) -> str:
    """Only a path on this site (never //elsewhere or a full URL) is followed after sign-in.

    Browsers read ``/\\elsewhere`` as ``//elsewhere`` and drop tabs and newlines from URLs,
    so a backslash after the first slash, or any control character, is refused too.
    """
    plain = target.isprintable()
    on_site = target.startswith("/") and target[1:2] not in ("/", "\\")
    return target if plain and on_site else "/"


async def _form_page(request: web.Request) -> str:
    """The page a form was posted from: the Referer when it is a page of this site (a
    signed-in page, not the sign-in page itself), else the nearest page above the form's
    path that opens one (``/imports`` → itself, ``/returns/7/approve`` → ``/returns/7``)."""
    referer = URL(request.headers.get("Referer", ""))
    on_site = referer.is_absolute() and referer.raw_authority == request.host
    if on_site and not referer.raw_path.startswith(PUBLIC_PREFIXES):
        return safe_next(referer.raw_path_qs)
    path = request.path
    while path != "/" and safe_next(path) == path:
        if await _is_page(request, path):
            return path
        path = path.rsplit("/", 1)[0] or "/"
    return "/"


async def _is_page(request: web.Request, path: str) -> bool:
    """Tell whether GET ``path`` opens a page of this app."""
    probe = request.clone(method="GET", rel_url=URL.build(path=path))
    match = await request.app.router.resolve(probe)
    return match.http_exception is None and not path.startswith(PUBLIC_PREFIXES)


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every form POST carries this session's CSRF token, or is refused with 403."""
    if request.method in UNSAFE_METHODS and not for_machines(request):
        form = await request.post()
        sent = str(form.get(CSRF_FIELD, ""))
        expected = (await get_session(request)).get(CSRF_FIELD, "")
        if not expected or not hmac.compare_digest(sent, str(expected)):
            raise web.HTTPForbidden(text="CSRF token missing or wrong")
    return await handler(request)


def require_roles(request: web.Request, *roles: Role) -> Actor:
    """The signed-in actor, if they hold one of ``roles`` (admin always does); else 403."""
    actor: Actor = request["actor"]
    if not actor.roles & {*roles, Role.ADMIN}:
        raise RoleRefused(text="not allowed for your roles")
    return actor
