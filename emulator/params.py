"""Reading Bot API parameters from query string, JSON body or (multipart) form."""

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from emulator.errors import ApiError, bad_request

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str
    data: bytes


class Params:
    """Typed access to parameters whose values may be JSON-encoded strings."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]):
        self.values = values
        self.uploads = uploads

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else str(value)

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Integer') from None

    def boolean(self, name: str) -> bool:
        return self.values.get(name) in (True, "true", "True", "1", 1)

    def json(self, name: str, error: str | None = None) -> Any:
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(error or f"can't parse {name} JSON object") from None

    def chat_id(self) -> int:
        """The mandatory ``chat_id``; usernames never resolve here."""
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None

    def chat_id_or_none(self) -> int | None:
        try:
            return self.chat_id()
        except ApiError:
            return None


async def read_params(request: web.Request) -> Params:
    """Merge the query string with a JSON, urlencoded or multipart body."""
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.content_type == "application/json" and request.can_read_body:
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON body") from None
        values.update(body if isinstance(body, dict) else {})
    elif request.content_type in FORM_TYPES:
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                uploads[key] = Upload(value.filename, value.file.read())
            else:
                values[key] = value
    return Params(values, uploads)
