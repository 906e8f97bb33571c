"""Bot API error values and their JSON responses."""

from typing import Any

from aiohttp import web


class ApiError(Exception):
    """A Bot API failure answered as ``{"ok": false, ...}``."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def response(self) -> web.Response:
        """Render the error the way Telegram does."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return web.json_response(body, status=self.code)


def bad_request(text: str) -> ApiError:
    """A 400 error with Telegram's ``Bad Request:`` prefix."""
    return ApiError(400, f"Bad Request: {text}")
