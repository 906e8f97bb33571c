"""CSV import of products, customers and orders, with the report of bad rows."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiDictProxy

from backoffice.keys import CLOCK
from backoffice.refusals import refusal_of
from backoffice.security import require_roles
from domain.errors import DomainError, ValidationError
from domain.returns import Actor, Role
from services.imports import (
    FIELDS,
    ImportRejected,
    ImportResult,
    read_csv,
    upsert_customers,
    upsert_orders,
    upsert_products,
)

routes = web.RouteTableDef()


def _file_text(form: MultiDictProxy[Any]) -> str:
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        raise ValidationError("no_file")
    try:
        return upload.file.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("file_not_utf8") from None


async def _import(request: web.Request, kind: str, text: str, actor: Actor) -> ImportResult:
    """Read the file and land it all, or raise with the bad rows (nothing lands then)."""
    if kind not in FIELDS:
        raise ValidationError("unknown_import_kind")
    rows = read_csv(text, kind)
    if kind == "products":
        return await upsert_products(rows, actor=actor, clock=request.app[CLOCK])
    upsert = upsert_customers if kind == "customers" else upsert_orders
    return await upsert(rows, actor=actor)


@routes.get("/imports", name="imports")
@aiohttp_jinja2.template("imports.html")
async def show_imports(request: web.Request) -> dict[str, object]:
    """Show the upload form with the expected columns."""
    require_roles(request, Role.ADMIN)
    return {"fields": FIELDS, "kind": "", "result": None, "refusal": None, "bad_rows": []}


@routes.post("/imports", name="imports_upload")
async def post_import(request: web.Request) -> web.StreamResponse:
    """Import an uploaded CSV file and show what landed, or why nothing did."""
    actor = require_roles(request, Role.ADMIN)
    form = await request.post()
    kind = str(form.get("kind", ""))
    context: dict[str, object] = {"fields": FIELDS, "kind": kind, "result": None, "bad_rows": []}
    try:
        context["result"] = await _import(request, kind, _file_text(form), actor)
        context["refusal"] = None
    except ImportRejected as rejected:
        context["refusal"] = refusal_of(rejected.code)
        context["bad_rows"] = [(e.line, refusal_of(e.reason, e.params)) for e in rejected.errors]
    except DomainError as error:
        context["refusal"] = refusal_of(error.code, error.params)
    response = aiohttp_jinja2.render_template("imports.html", request, context)
    response.set_status(400 if context["refusal"] else 200)
    return response
