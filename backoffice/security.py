"""Sessions, sign-in, CSRF, login throttling, security headers and error pages."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session, new_session
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.returns import Actor, Role
from models import LoginFailure, StaffUser

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
# Expired failures deleted per sign-in attempt (each attempt adds at most one).
PRUNE_BATCH = 10
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

    The failures are ``LoginFailure`` rows, so every instance of the back-office, and one
    restarted, counts the same ones. An attempt is counted as failed before its password is
    checked, and only then compared with the others: of a burst of parallel attempts each
    sees at least those counted before it, so no more than the limit get to a password check.
    The price: attempts of one burst also count each other, so a few may be refused (with
    the full wait) that would have fitted; one person does not race themselves, an attacker
    does.
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

    async def admit(self, username: str, address: str) -> LoginFailure | Blocked:
        """Count this attempt as failed and let it be checked, unless the name or the address
        is held: then say for how long, and count nothing."""
        now = self.clock.now()
        await self._prune(now)
        attempt = await LoginFailure.create(address=address, username=username, failed_at=now)
        held = await self._held(attempt, now)
        if held is not None:
            await attempt.delete()
            return held
        return attempt

    async def succeeded(self, attempt: LoginFailure) -> None:
        """Un-count ``attempt`` and forget the name's failures at its address (the address's
        stay counted)."""
        async with in_transaction():
            await attempt.delete()
            await LoginFailure.filter(address=attempt.address, username=attempt.username).update(
                username=None
            )

    async def _held(self, attempt: LoginFailure, now: datetime) -> Blocked | None:
        others = LoginFailure.filter(
            address=attempt.address, failed_at__gt=now - self.window
        ).exclude(id=attempt.id)
        wait = await self._wait(others, self.address_attempts, now)
        if wait is not None:
            return Blocked(True, wait)
        wait = await self._wait(others.filter(username=attempt.username), self.attempts, now)
        return None if wait is None else Blocked(False, wait)

    async def _wait(
        self, failures: QuerySet[LoginFailure], limit: int, now: datetime
    ) -> timedelta | None:
        """How long until fewer than ``limit`` of ``failures`` are left, if ``limit`` are."""
        oldest_of_limit = await failures.order_by("-failed_at").offset(limit - 1).first()
        return None if oldest_of_limit is None else oldest_of_limit.failed_at + self.window - now

    async def _prune(self, now: datetime) -> None:
        """Delete a few failures the window has left: more than each attempt adds, so the
        table keeps only about a window's worth, without one attempt paying for a backlog."""
        expired = LoginFailure.filter(failed_at__lte=now - self.window).limit(PRUNE_BATCH)
        await LoginFailure.filter(id__in=Subquery(expired.values("id"))).delete()


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
