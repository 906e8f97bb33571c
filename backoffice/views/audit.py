"""The audit log: events across all requests, changes outside them, and the last changes to
staff and policy."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from backoffice.messages import CHANGES
from backoffice.params import query_int
from backoffice.policy_form import settings_reader
from backoffice.security import require_roles
from domain.returns import Role
from services.audit import list_audit_entries, list_audit_events, recent_changes

routes = web.RouteTableDef()


@routes.get("/audit", name="audit")
@aiohttp_jinja2.template("audit.html")
async def show_audit(request: web.Request) -> dict[str, object]:
    """Show the events and the changes, filtered by actor and action."""
    require_roles(request, Role.ADMIN)
    who, action = request.query.get("who", "")[:100], request.query.get("action", "")[:30]
    actor, kind = who.strip(), action.strip()
    before = query_int(request.query, "before")
    page = await list_audit_events(actor=actor, action=kind, before=before)
    first = before is None
    return {
        "page": page,
        "who": who,
        "action": action,
        "entries": await list_audit_entries(actor=actor, action=kind) if first else [],
        "entry_actions": CHANGES,
        "setting_words": await settings_reader(request),
        "changes": await recent_changes() if first else [],
    }
