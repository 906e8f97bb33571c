"""The back-office application factory."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import get_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from yarl import URL

from backoffice import names, security
from backoffice.i18n import words_for
from backoffice.keys import CATALOGS, CLOCK, CURRENCY, THROTTLE, ZONE
from backoffice.messages import ERRORS, EVENTS, STATUSES
from backoffice.navigation import menu_for
from backoffice.views import (
    api,
    audit,
    auth,
    customers,
    dashboard,
    exports,
    finance,
    imports,
    inventory,
    policies,
    reports,
    returns,
    slips,
    staff,
    tokens,
)
from domain.clock import Clock
from locales import load_catalogs
from services.form_keys import new_form_key
from services.login_throttle import LoginThrottle

HERE = Path(__file__).resolve().parent
SESSION_HOURS = 10
# exports come before returns and inventory: /returns/export.csv is not a request's id
VIEWS = (
    *(auth, dashboard, exports, slips, returns, tokens, api),
    *(inventory, finance, customers, policies, staff, imports, audit, reports),
)


def session_storage(secret_key: str, *, secure: bool) -> EncryptedCookieStorage:
    """HttpOnly, SameSite=Lax encrypted cookies keyed from the secret key."""
    key = hashlib.sha256(f"session:{secret_key}".encode()).digest()
    return EncryptedCookieStorage(
        key,
        cookie_name="returndesk_session",
        httponly=True,
        samesite="Lax",
        secure=secure,
        max_age=SESSION_HOURS * 3600,
    )


async def page_context(request: web.Request) -> dict[str, Any]:
    """What every template may use: words, the signed-in actor, the CSRF token."""
    if security.for_machines(request):
        return {}  # the API and the webhook render no page (and hold no session)
    words = words_for(request)
    session = await get_session(request)
    routes = {name for name in request.app.router.named_resources()}
    return {
        "menu": menu_for(request.get("actor"), routes),
        "flash": session.pop("flash", None),
        "errors": ERRORS,
        "statuses": STATUSES,
        "codes": names,
        "events": EVENTS,
        "_": words.gettext,
        "ngettext": words.ngettext,
        "words": words,
        "staff": request.get("staff"),
        "actor": request.get("actor"),
        "csrf_token": await security.csrf_token(request),
        "new_form_key": new_form_key,
        "path": request.path,
        "here": _here(request),
    }


def _here(request: web.Request) -> str:
    """Where the language buttons return: the page with its query (filters, report, page).
    The sign-in page keeps only what it would follow (never an outside address)."""
    if request.path != "/login":
        return request.path_qs
    query = {"next": security.safe_next(request.query.get("next", "/"))}
    if request.query.get("session") == "ended":
        query["session"] = "ended"
    elif query["next"] == "/":
        return "/login"
    return str(URL("/login").with_query(query))


def create_app(
    *,
    secret_key: str,
    clock: Clock,
    zone: ZoneInfo,
    currency: str = "CNY",
    secure_cookies: bool = False,
    app: web.Application | None = None,
) -> web.Application:
    """The back-office on ``app`` (a new one if not given), ready to serve."""
    app = app or web.Application()
    app.middlewares.extend(
        [
            security.security_headers,
            api.json_errors,
            security.page_sessions(session_storage(secret_key, secure=secure_cookies)),
            security.error_pages,
            security.signed_in,
            security.csrf,
        ]
    )
    app[CLOCK], app[ZONE], app[CURRENCY] = clock, zone, currency
    app[CATALOGS] = load_catalogs(domain="backoffice")
    app[THROTTLE] = LoginThrottle(clock)
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        context_processors=[page_context],
        undefined=jinja2.StrictUndefined,
    )
    app.router.add_static("/static/", HERE / "static", name="static")
    for view in VIEWS:
        app.router.add_routes(view.routes)
    return app
