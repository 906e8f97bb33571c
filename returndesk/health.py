"""Liveness and readiness for load balancers and process managers."""

from __future__ import annotations

from aiohttp import web

from services.health import database_ready


async def healthz(_request: web.Request) -> web.Response:
    """Alive: the process answers."""
    return web.json_response({"status": "alive"})


async def readyz(_request: web.Request) -> web.Response:
    """Ready: the database answers and every migration is applied."""
    ready, reason = await database_ready()
    return web.json_response(
        {"status": "ready" if ready else "not ready", "reason": reason},
        status=200 if ready else 503,
    )


def add_health(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz, name="healthz")
    app.router.add_get("/readyz", readyz, name="readyz")
