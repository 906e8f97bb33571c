"""JSON control API under ``/_emulator`` and the demo chat page."""

import asyncio
import base64
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from emulator.api import HUB
from emulator.driver import Driver
from emulator.faults import Fault
from emulator.state import PrivateChat

STATIC = Path(__file__).parent / "static"
Action = Callable[[Driver, int, dict[str, Any]], Awaitable[dict[str, Any]]]


async def _photo(driver: Driver, user_id: int, body: dict[str, Any]) -> dict[str, Any]:
    photo = body["photo"]
    data = photo.file.read() if isinstance(photo, web.FileField) else base64.b64decode(photo)
    return await driver.send_photo(user_id, data, body.get("caption") or None)


def _chat_id(body: dict[str, Any]) -> int | None:
    """The group a user writes in (``chat_id``); none: their private chat."""
    return int(body["chat_id"]) if body.get("chat_id") else None


ACTIONS: dict[str, Action] = {
    "text": lambda d, uid, b: d.send_text(uid, b["text"], chat_id=_chat_id(b)),
    "command": lambda d, uid, b: d.send_command(
        uid, b["command"], b.get("args", ""), chat_id=_chat_id(b)
    ),
    "contact": lambda d, uid, b: d.share_contact(
        uid,
        b.get("phone_number"),
        first_name=b.get("first_name"),
        contact_user_id=b.get("contact_user_id"),
    ),
    "photo": _photo,
    "sticker": lambda d, uid, b: d.send_sticker(uid, b.get("emoji", "👍")),
    "callback": lambda d, uid, b: d.press_button(
        uid, int(b["message_id"]), text=b.get("text"), data=b.get("data")
    ),
}


@web.middleware
async def control_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Map lookup and input errors of control calls to JSON 404/400 answers."""
    try:
        return await handler(request)
    except LookupError as exc:
        status = 400 if isinstance(exc, KeyError) else 404
        return web.json_response({"error": str(exc)}, status=status)
    except (ValueError, TypeError) as exc:
        return web.json_response({"error": str(exc)}, status=400)


def _driver(request: web.Request) -> Driver:
    return Driver(request.config_dict[HUB])


async def _body(request: web.Request) -> Any:
    if request.content_type == "multipart/form-data":
        return dict(await request.post())
    return await request.json() if request.can_read_body else {}


async def list_users(request: web.Request) -> web.Response:
    return web.json_response(_driver(request).users())


async def create_user(request: web.Request) -> web.Response:
    body = await _body(request)
    named = ("username", "last_name", "language_code", "phone_number")
    options = {k: body[k] for k in named if k in body}
    options["user_id"] = int(body["id"]) if body.get("id") else None
    driver = _driver(request)
    return web.json_response(driver.create_user(body.get("first_name") or "User", **options))


async def list_groups(request: web.Request) -> web.Response:
    return web.json_response(_driver(request).groups())


async def create_group(request: web.Request) -> web.Response:
    """A group: ``{"title", "type": "group" | "supergroup", "members": [user ids]}``."""
    body = await _body(request)
    group = _driver(request).create_group(
        body["title"],
        members=[int(user_id) for user_id in body.get("members", [])],
        chat_type=body.get("type", "group"),
    )
    return web.json_response(group)


async def _act(driver: Driver, user_id: int, action: str, body: dict[str, Any]) -> Any:
    if action not in ACTIONS:
        raise LookupError(f"unknown action {action!r}")
    return await ACTIONS[action](driver, user_id, body)


async def user_action(request: web.Request) -> web.Response:
    body = await _body(request)
    user_id, action = int(request.match_info["user_id"]), request.match_info["action"]
    return web.json_response(await _act(_driver(request), user_id, action, body))


async def batch(request: web.Request) -> web.Response:
    """Run several user actions concurrently: ``[{"user_id", "action", ...}, ...]``."""
    driver = _driver(request)
    items = await request.json()
    calls = [_act(driver, int(item["user_id"]), item["action"], item) for item in items]
    return web.json_response(await asyncio.gather(*calls))


async def chat_state(request: web.Request) -> web.Response:
    """Whole transcript; with ``after=<version>`` wait (long poll) for a newer version."""
    hub = request.config_dict[HUB]
    chat = hub.find_chat(int(request.match_info["chat_id"]))
    after, wait = int(request.query.get("after", -1)), float(request.query.get("timeout", 0))
    with contextlib.suppress(TimeoutError):
        await hub.wait_until(chat, lambda: chat.version > after, wait)
    messages = _driver(request).messages(chat.id, include_user=True)
    state = {"version": chat.version, "keyboard": chat.keyboard, "messages": messages}
    about = {
        "chat": chat.api(),
        "user": chat.user if isinstance(chat, PrivateChat) else None,
        "last_action": chat.last_action,
        "notice": chat.notice,
    }
    return web.json_response(state | about)


async def next_message(request: web.Request) -> web.Response:
    chat_id, wait = int(request.match_info["chat_id"]), float(request.query.get("timeout", 5))
    try:
        message = await _driver(request).next_bot_message(chat_id, wait)
    except TimeoutError:
        return web.json_response({"error": "timeout"}, status=408)
    return web.json_response(message)


async def resend(request: web.Request) -> web.Response:
    update_id = int(request.match_info["update_id"])
    return web.json_response(await _driver(request).resend_update(update_id))


async def add_fault(request: web.Request) -> web.Response:
    fault = request.config_dict[HUB].faults.add(Fault(**await request.json()))
    return web.json_response(vars(fault))


async def clear_faults(request: web.Request) -> web.Response:
    request.config_dict[HUB].faults.clear()
    return web.json_response({"ok": True})


async def block(request: web.Request) -> web.Response:
    faults, chat_id = request.config_dict[HUB].faults, int(request.match_info["chat_id"])
    if request.method == "DELETE":
        faults.unblock(chat_id)
    else:
        faults.block(chat_id)
    return web.json_response({"blocked": sorted(faults.blocked)})


async def stats(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    delivered = {str(chat_id): count for chat_id, count in hub.delivered.items()}
    return web.json_response({"calls": hub.calls, "delivered": delivered})


async def webhook_targets(request: web.Request) -> web.Response:
    hub = request.config_dict[HUB]
    await hub.webhooks.set_targets((await request.json())["urls"])
    return web.json_response({"targets": hub.webhooks.targets})


async def file_bytes(request: web.Request) -> web.Response:
    stored = request.config_dict[HUB].files.by_id.get(request.match_info["file_id"])
    if stored is None:
        raise LookupError("file not found")
    return web.Response(body=stored.data, content_type="application/octet-stream")


async def chat_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "chat.html")


def build_control_app() -> web.Application:
    """The sub-application mounted at ``/_emulator``."""
    app = web.Application(middlewares=[control_errors])
    app.router.add_get("/chat", chat_page)
    app.router.add_static("/static", STATIC)
    app.router.add_get("/users", list_users)
    app.router.add_post("/users", create_user)
    app.router.add_post("/users/{user_id}/{action}", user_action)
    app.router.add_get("/groups", list_groups)
    app.router.add_post("/groups", create_group)
    app.router.add_post("/batch", batch)
    app.router.add_get("/chats/{chat_id}", chat_state)
    app.router.add_get("/chats/{chat_id}/next", next_message)
    app.router.add_post("/updates/{update_id}/resend", resend)
    app.router.add_post("/faults", add_fault)
    app.router.add_delete("/faults", clear_faults)
    app.router.add_put("/blocked/{chat_id}", block)
    app.router.add_delete("/blocked/{chat_id}", block)
    app.router.add_get("/stats", stats)
    app.router.add_put("/webhook/targets", webhook_targets)
    app.router.add_get("/files/{file_id}", file_bytes)
    return app
