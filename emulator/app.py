"""Assembling the aiohttp application."""

from aiohttp import web

from emulator import api, control
from emulator.state import Hub

MAX_UPLOAD = 50 * 1024 * 1024


def build_app(hub: Hub) -> web.Application:
    """Bot API, file downloads, control API and chat page for ``hub``."""
    app = web.Application(client_max_size=MAX_UPLOAD)
    app[api.HUB] = hub
    api.add_routes(app)
    app.add_subapp("/_emulator", control.build_control_app())
    app.on_shutdown.append(_release_waiters)
    return app


async def _release_waiters(app: web.Application) -> None:
    hub = app[api.HUB]
    await hub.updates.close()
    await hub.webhooks.stop()
