"""Stock levels per product and location, a product's movements, and scrapping defective units."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp_jinja2
from aiohttp import web

from backoffice.actions import flash
from backoffice.keys import CLOCK
from backoffice.params import form_count, path_id, query_cursor, query_int
from backoffice.refusals import Refusal, attempt
from backoffice.security import require_roles
from domain.errors import NotFound
from domain.returns import Role
from services.inventory import (
    StockRow,
    list_movements,
    list_stock_levels,
    product_stock,
    scrap_defective,
)

routes = web.RouteTableDef()


@routes.get("/inventory", name="inventory")
@aiohttp_jinja2.template("inventory.html")
async def show_inventory(request: web.Request) -> dict[str, object]:
    """Show stock levels per location, products running low first."""
    require_roles(request, Role.WAREHOUSE)
    search = request.query.get("q", "")[:100]
    page = await list_stock_levels(search, offset=query_int(request.query, "offset") or 0)
    return {"page": page, "search": search}


async def _product_page(
    request: web.Request,
    refusal: Refusal | None = None,
    entered: Mapping[str, object] | None = None,
) -> web.StreamResponse:
    product_id = path_id(request, "product_id")
    try:
        stock = await product_stock(product_id)
    except NotFound:
        raise web.HTTPNotFound() from None
    movements = await list_movements(product_id, before=query_cursor(request.query, "before"))
    context = {"stock": stock, "movements": movements, "refusal": refusal, "entered": entered or {}}
    response = aiohttp_jinja2.render_template("inventory_product.html", request, context)
    response.set_status(400 if refusal else 200)
    return response


@routes.get("/inventory/{product_id}", name="inventory_product")
async def show_product_stock(request: web.Request) -> web.StreamResponse:
    """Show one product's levels, its movements newest first, and the scrapping form."""
    require_roles(request, Role.WAREHOUSE)
    return await _product_page(request)


async def _scrap(request: web.Request, product_id: int) -> StockRow:
    form = await request.post()
    return await scrap_defective(
        product_id,
        form_count(form, "quantity"),
        str(form.get("note", "")),
        actor=request["actor"],
        clock=request.app[CLOCK],
        form_key=str(form.get("form_key", "")),
    )


@routes.post("/inventory/{product_id}/scrap", name="inventory_scrap")
async def post_scrap(request: web.Request) -> web.StreamResponse:
    """Scrap defective units of the product."""
    require_roles(request, Role.WAREHOUSE)
    product_id = path_id(request, "product_id")
    refusal = await attempt(_scrap(request, product_id))
    if refusal is not None:
        return await _product_page(request, refusal, await request.post())
    await flash(request, "ok", "done")
    raise web.HTTPSeeOther(f"/inventory/{product_id}")
