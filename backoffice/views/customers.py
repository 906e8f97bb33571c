"""Customers: the list, one customer's history, their data export and anonymization."""

from __future__ import annotations

import json

import aiohttp_jinja2
from aiohttp import web

from backoffice.actions import flash
from backoffice.i18n import reason_names
from backoffice.keys import CLOCK
from backoffice.params import path_id, query_int
from backoffice.refusals import attempt
from backoffice.security import require_roles
from domain.errors import NotFound
from domain.returns import Role
from services.customers import (
    RETENTION_DAYS,
    anonymize_customer,
    customer_profile,
    export_customer,
    list_customers,
)

routes = web.RouteTableDef()


@routes.get("/customers", name="customers")
@aiohttp_jinja2.template("customers.html")
async def show_customers(request: web.Request) -> dict[str, object]:
    """Show one page of customers, searched by name, phone, e-mail or external id."""
    require_roles(request, Role.REVIEWER, Role.FINANCE)
    search = request.query.get("q", "")[:100]
    page = await list_customers(search, before=query_int(request.query, "before"))
    return {"page": page, "search": search}


@routes.get("/customers/{customer_id}", name="customer_page")
@aiohttp_jinja2.template("customer.html")
async def show_customer(request: web.Request) -> dict[str, object]:
    """Show a customer's orders, requests, return rate and survey answers."""
    require_roles(request, Role.REVIEWER, Role.FINANCE)
    try:
        profile = await customer_profile(
            path_id(request, "customer_id"), now=request.app[CLOCK].now()
        )
    except NotFound:
        raise web.HTTPNotFound() from None
    return {
        "profile": profile,
        "retention_days": RETENTION_DAYS,
        "reason_names": await reason_names(request),
    }


@routes.get("/customers/{customer_id}/export.json", name="customer_export")
async def download_customer_data(request: web.Request) -> web.StreamResponse:
    """Download everything held about the customer as JSON (admins only)."""
    actor = require_roles(request, Role.ADMIN)
    customer_id = path_id(request, "customer_id")
    try:
        data = await export_customer(customer_id, actor=actor)
    except NotFound:
        raise web.HTTPNotFound() from None
    return web.json_response(
        data,
        dumps=lambda d: json.dumps(d, ensure_ascii=False, indent=2),
        headers={
            "Content-Disposition": f'attachment; filename="customer-{customer_id}.json"',
            "Cache-Control": "no-store",
        },
    )


@routes.post("/customers/{customer_id}/anonymize", name="customer_anonymize")
async def post_anonymize(request: web.Request) -> web.StreamResponse:
    """Anonymize the customer if all their requests ended long enough ago (admins only)."""
    actor = require_roles(request, Role.ADMIN)
    customer_id = path_id(request, "customer_id")
    refusal = await attempt(anonymize_customer(customer_id, actor=actor, clock=request.app[CLOCK]))
    await flash(request, "error" if refusal else "ok", refusal.code if refusal else "done")
    raise web.HTTPSeeOther(f"/customers/{customer_id}")
