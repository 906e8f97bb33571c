"""API tokens: the admin lists, makes (seeing the token once) and revokes them."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from backoffice.actions import flash
from backoffice.keys import CLOCK
from backoffice.security import require_roles
from domain.errors import DomainError, NotFound
from services.tokens import create_api_token, list_api_tokens, revoke_api_token

routes = web.RouteTableDef()


async def _page(request: web.Request, **context: object) -> web.Response:
    actor = require_roles(request)
    tokens = await list_api_tokens(actor=actor)
    response = aiohttp_jinja2.render_template(
        "tokens.html", request, {"tokens": tokens, "new_token": None, "failed": False, **context}
    )
    # The page may carry a token in plain text: never keep it in a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.get("/tokens", name="tokens")
async def show_tokens(request: web.Request) -> web.StreamResponse:
    """Show every API token, live and revoked."""
    return await _page(request)


@routes.post("/tokens", name="token_create")
async def create_token(request: web.Request) -> web.StreamResponse:
    """Make a token and show it this once (it is kept only as a hash)."""
    actor = require_roles(request)
    form = await request.post()
    try:
        name = str(form.get("name", ""))
        plain = await create_api_token(name, actor=actor, clock=request.app[CLOCK])
    except DomainError:
        response = await _page(request, failed=True)
        response.set_status(422)
        return response
    return await _page(request, new_token=plain)


@routes.post("/tokens/{token_id:\\d{1,9}}/revoke", name="token_revoke")
async def revoke_token(request: web.Request) -> web.StreamResponse:
    """Revoke a token: calls with it are refused from now on."""
    actor = require_roles(request)
    token_id = int(request.match_info["token_id"])
    try:
        await revoke_api_token(token_id, actor=actor, clock=request.app[CLOCK])
    except NotFound:
        raise web.HTTPNotFound() from None
    await flash(request, "ok", "done")
    raise web.HTTPSeeOther(str(request.app.router["tokens"].url_for()))
