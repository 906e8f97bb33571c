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
from domain.returns import Role
from services.imports import FIELDS, ImportRejected, ImportResult, import_file, read_csv

routes = web.RouteTableDef()


def _upload(form: MultiDictProxy[Any]) -> web.FileField:
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        raise ValidationError("no_file")
    return upload


def _file_text(upload: web.FileField) -> str:
    try:
        return upload.file.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("file_not_utf8") from None


async def _import(request: web.Request, kind: str, form: MultiDictProxy[Any]) -> ImportResult:
    """Read the file and land it all, or raise with the bad rows (nothing lands then)."""
    upload = _upload(form)
    text = _file_text(upload)
    if kind not in FIELDS:
        raise ValidationError("unknown_import_kind")
    rows = read_csv(text, kind)
    actor, clock = request["actor"], request.app[CLOCK]
    return await import_file(kind, rows, source=upload.filename, actor=actor, clock=clock)


@routes.get("/imports", name="imports")
@aiohttp_jinja2.template("imports.html")
async def show_imports(request: web.Request) -> dict[str, object]:
    """Show the upload form with the expected columns."""
    require_roles(request, Role.ADMIN)
    return {"fields": FIELDS, "kind": "", "result": None, "refusal": None, "bad_rows": []}


@routes.post("/imports", name="imports_upload")
async def post_import(request: web.Request) -> web.StreamResponse:
    """Import an uploaded CSV file and show what landed, or why nothing did."""
    require_roles(request, Role.ADMIN)
    form = await request.post()
    kind = str(form.get("kind", ""))
    context: dict[str, object] = {"fields": FIELDS, "kind": kind, "result": None, "bad_rows": []}
    try:
        context["result"] = await _import(request, kind, form)
        context["refusal"] = None
    except ImportRejected as rejected:
        context["refusal"] = refusal_of(rejected.code)
        context["bad_rows"] = [(e.line, refusal_of(e.reason, e.params)) for e in rejected.errors]
    except DomainError as error:
        context["refusal"] = refusal_of(error.code, error.params)
    response = aiohttp_jinja2.render_template("imports.html", request, context)
    response.set_status(400 if context["refusal"] else 200)
    return response
