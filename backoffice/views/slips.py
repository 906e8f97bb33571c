"""The printable RMA slip and the photos (fetched through the bot, never exposing its token)."""

from __future__ import annotations

import aiohttp_jinja2
import segno
from aiohttp import web

from backoffice.i18n import reason_names
from backoffice.keys import PHOTOS
from backoffice.params import path_id
from domain.errors import DomainError
from services.attachments import attachment_file_id
from services.queue import return_detail

routes = web.RouteTableDef()


@routes.get("/returns/{return_id:\\d+}/slip", name="return_slip")
@aiohttp_jinja2.template("slip.html")
async def show_slip(request: web.Request) -> dict[str, object]:
    """Show the printable slip with the RMA number as a QR code."""
    try:
        detail = await return_detail(path_id(request, "return_id"), request["actor"])
    except DomainError:
        raise web.HTTPNotFound() from None
    qr = segno.make(detail.request.number, error="m").svg_data_uri(scale=4)
    return {"detail": detail, "qr": qr, "reason_names": await reason_names(request)}


@routes.get("/attachments/{attachment_id:\\d+}", name="attachment")
async def show_attachment(request: web.Request) -> web.StreamResponse:
    """Serve a customer's photo through the bot's Bot API connection."""
    file_id = await attachment_file_id(path_id(request, "attachment_id"), request["actor"])
    fetch = request.app.get(PHOTOS)
    if file_id is None or fetch is None:
        raise web.HTTPNotFound()
    data = await fetch(file_id)
    if data is None:
        raise web.HTTPNotFound()
    return web.Response(
        body=data, content_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"}
    )
