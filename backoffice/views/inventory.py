"""Stock levels per product and location, and a product's movements."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from backoffice.params import path_id, query_int
from backoffice.security import require_roles
from domain.errors import NotFound
from domain.returns import Role
from services.inventory import list_movements, list_stock_levels, product_stock

routes = web.RouteTableDef()


@routes.get("/inventory", name="inventory")
@aiohttp_jinja2.template("inventory.html")
async def show_inventory(request: web.Request) -> dict[str, object]:
    """Show stock levels per location, products running low first."""
    require_roles(request, Role.WAREHOUSE)
    search = request.query.get("q", "")[:100]
    page = await list_stock_levels(search, offset=query_int(request.query, "offset") or 0)
    return {"page": page, "search": search}


@routes.get("/inventory/{product_id}", name="inventory_product")
@aiohttp_jinja2.template("inventory_product.html")
async def show_product_stock(request: web.Request) -> dict[str, object]:
    """Show one product's levels and its movements, newest first."""
    require_roles(request, Role.WAREHOUSE)
    product_id = path_id(request, "product_id")
    try:
        stock = await product_stock(product_id)
    except NotFound:
        raise web.HTTPNotFound() from None
    before = query_int(request.query, "before")
    return {"stock": stock, "movements": await list_movements(product_id, before=before)}
