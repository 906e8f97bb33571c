"""Sessions, sign-in, CSRF, login throttling, security headers and error pages."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session, new_session

from domain.clock import Clock
from domain.returns import Actor, Role
from models import StaffUser

log = logging.getLogger("returndesk.backoffice")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# /language: the sign-in page's language buttons work before signing in.
PUBLIC_PREFIXES = (
    "/login",
    "/language",
    "/static/",
    "/healthz",
    "/readyz",
    "/api/",
    "/telegram/",
)
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


@dataclass(frozen=True)
class Blocked:
    """A sign-in refused unchecked: whether the whole address is held, and for how long."""

    address: bool
    wait: timedelta

    @property
    def minutes(self) -> int:
        """The wait in whole minutes, rounded up (never "0 minutes")."""
        return max(1, -(-int(self.wait.total_seconds()) // 60))


class LoginThrottle:
    """Failed sign-ins within ``window``, per user name at one address and per address.

    ``attempts`` failures for one name from one address hold that name there (colleagues
    signing in from the same shop address are not held up); ``address_attempts`` failures
    from one address in all (someone trying name after name) hold every name there. A
    refused attempt is not checked, so it is not counted either: the wait it is told stays
    true. Time comes from ``clock``.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        attempts: int = 5,
        address_attempts: int = 50,
        window: timedelta = timedelta(minutes=15),
    ) -> None:
        self.clock, self.window = clock, window
        self.attempts, self.address_attempts = attempts, address_attempts
        self._failures: dict[tuple[str, ...], deque[datetime]] = {}

    @staticmethod
    def _keys(username: str, address: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (address, username), (address,)

    def _wait(self, key: tuple[str, ...], limit: int, now: datetime) -> timedelta | None:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures[-limit] + self.window - now if len(failures) >= limit else None

    def blocked(self, username: str, address: str) -> Blocked | None:
        """Whether ``username`` may not try from ``address`` now, and for how long."""
        now = self.clock.now()
        user_key, address_key = self._keys(username, address)
        held = self._wait(address_key, self.address_attempts, now)
        if held is not None:
            return Blocked(True, held)
        held = self._wait(user_key, self.attempts, now)
        return None if held is None else Blocked(False, held)

    def failed(self, username: str, address: str) -> None:
        now = self.clock.now()
        for key in self._keys(username, address):
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, username: str, address: str) -> None:
        """Forget the name's failures at this address (the address's stay counted)."""
        self._failures.pop(self._keys(username, address)[0], None)


async def csrf_token(request: web.Request) -> str:
    """This session's CSRF token (made on first use)."""
    session = await get_session(request)
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return str(session[CSRF_FIELD])


async def start_session(request: web.Request, staff_id: int) -> None:
    """Sign in: a brand-new session (new id, new CSRF token) holding only the staff id."""
    session = await new_session(request)
    session["staff_id"] = staff_id
    session["sid"] = secrets.token_urlsafe(16)
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


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
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400 or request.path.startswith(("/api/", "/telegram/")):
            raise
        return await _error_page(request, error.status)
    except Exception:
        log.exception("error on %s %s", request.method, request.path)
        return await _error_page(request, 500)


async def _error_page(request: web.Request, status: int) -> web.StreamResponse:
    context: dict[str, object] = {"status": status}
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
    session = await get_session(request)
    staff = None
    if "staff_id" in session:
        staff = await StaffUser.get_or_none(id=session["staff_id"], active=True)
    if staff is not None:
        request["staff"] = staff
        request["actor"] = Actor.staff(staff.id, staff.username, {Role(r) for r in staff.roles})
    elif not request.path.startswith(PUBLIC_PREFIXES):
        # Back to the page after signing in; a form's POST URL has no page, so the dashboard.
        target = str(request.rel_url) if request.method in ("GET", "HEAD") else "/"
        raise web.HTTPSeeOther(f"/login?next={quote(target, safe='/')}")
    return await handler(request)


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every form POST carries this session's CSRF token, or is refused with 403."""
    exempt = request.path.startswith(("/api/", "/telegram/"))
    if request.method in UNSAFE_METHODS and not exempt:
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
        raise web.HTTPForbidden(text="not allowed for your roles")
    return actor
