"""HTTP routes of the Bot API: ``/bot<token>/<method>`` and file downloads."""

from aiohttp import web

from emulator.errors import ApiError
from emulator.methods import BY_LOWER_NAME
from emulator.params import read_params
from emulator.state import Hub

HUB = web.AppKey("hub", Hub)
UNAUTHORIZED = ApiError(401, "Unauthorized")
NOT_FOUND = ApiError(404, "Not Found")


async def call_method(request: web.Request) -> web.Response:
    """Answer one Bot API call with ``{"ok": true, "result": ...}`` or an error."""
    hub = request.app[HUB]
    if request.match_info["token"] != hub.token:
        return UNAUTHORIZED.response()
    entry = BY_LOWER_NAME.get(request.match_info["method"].lower())
    if entry is None:
        return NOT_FOUND.response()
    name, handler = entry
    hub.calls[name] += 1
    async with hub.answering(name):
        try:
            params = await read_params(request)
            await hub.faults.apply(name, params.chat_id_or_none())
            result = await handler(hub, params)
        except ApiError as error:
            return error.response()
        return web.json_response({"ok": True, "result": result})


async def download_file(request: web.Request) -> web.Response:
    """Serve ``/file/bot<token>/<file_path>`` like Telegram's file server."""
    hub = request.app[HUB]
    if request.match_info["token"] != hub.token:
        return UNAUTHORIZED.response()
    stored = hub.files.by_path.get(request.match_info["path"])
    if stored is None:
        return NOT_FOUND.response()
    return web.Response(body=stored.data, content_type="application/octet-stream")


def add_routes(app: web.Application) -> None:
    app.router.add_route("*", "/bot{token}/{method}", call_method)
    app.router.add_get("/file/bot{token}/{path:.+}", download_file)
