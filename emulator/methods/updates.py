"""Bot API methods for receiving updates: getUpdates and webhooks."""

import re
from typing import Any

from emulator.errors import bad_request
from emulator.params import Params
from emulator.state import Hub

SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _allowed_updates(hub: Hub, params: Params) -> None:
    allowed = params.json("allowed_updates", "can't parse allowed_updates JSON array")
    if allowed is not None:
        if not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON array")
        hub.updates.allowed = [str(kind) for kind in allowed]


async def get_updates(hub: Hub, params: Params) -> list[dict[str, Any]]:
    limit = min(max(params.integer("limit") or 100, 1), 100)
    timeout = max(float(params.json("timeout") or 0), 0.0)
    if not hub.webhooks.active:
        _allowed_updates(hub, params)
    return await hub.updates.poll(params.integer("offset"), limit, timeout)


async def set_webhook(hub: Hub, params: Params) -> bool:
    url = params.text("url") or ""
    if url and not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    secret = params.text("secret_token")
    if secret is not None and not SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    _allowed_updates(hub, params)
    if params.boolean("drop_pending_updates"):
        hub.updates.drop_all()
    max_connections = min(max(params.integer("max_connections") or 40, 1), 100)
    await hub.webhooks.configure(url, secret, max_connections)
    return True


async def delete_webhook(hub: Hub, params: Params) -> bool:
    if params.boolean("drop_pending_updates"):
        hub.updates.drop_all()
    await hub.webhooks.configure("", None, 40)
    return True


async def get_webhook_info(hub: Hub, params: Params) -> dict[str, Any]:
    return hub.webhooks.info()


HANDLERS = {
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
}
