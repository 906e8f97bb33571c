"""The printable RMA slip and the photos (the local copy, else fetched through the bot,
never exposing its token)."""

from __future__ import annotations

import mimetypes

import aiohttp_jinja2
import segno
from aiohttp import web

from backoffice.i18n import reason_names
from backoffice.keys import PHOTOS
from backoffice.params import path_id
from domain.errors import DomainError
from services.attachments import extension_of, find_photo
from services.queue import return_detail

routes = web.RouteTableDef()
PHOTO_HEADERS = {"Cache-Control": "private, max-age=86400"}


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
    """Serve a customer's photo: its local copy, or through the bot while there is none."""
    photo = await find_photo(path_id(request, "attachment_id"), request["actor"])
    if photo is None:
        raise web.HTTPNotFound()
    if photo.local_copy is not None:
        return web.FileResponse(photo.local_copy, headers=PHOTO_HEADERS)
    fetch = request.app.get(PHOTOS)
    data = await fetch(photo.telegram_file_id) if fetch else None
    if data is None:
        raise web.HTTPNotFound()
    content_type = mimetypes.types_map[f".{extension_of(data)}"]
    return web.Response(body=data, content_type=content_type, headers=PHOTO_HEADERS)
