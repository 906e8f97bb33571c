"""Validation of ``reply_markup`` values."""

from typing import Any

from emulator.errors import bad_request
from emulator.params import Params

MARKUP_ERROR = "can't parse reply keyboard markup JSON object"


def parse_markup(params: Params) -> dict[str, Any] | None:
    """Decode and check an inline keyboard, reply keyboard, removal or force reply."""
    markup = params.json("reply_markup", MARKUP_ERROR)
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request(MARKUP_ERROR)
    if "inline_keyboard" in markup:
        _check_rows(markup["inline_keyboard"], _check_inline_button)
    elif "keyboard" in markup:
        markup["keyboard"] = _check_rows(markup["keyboard"], _check_reply_button)
    elif markup.get("remove_keyboard") is not True and markup.get("force_reply") is not True:
        raise bad_request(MARKUP_ERROR)
    return markup


def _check_rows(rows: Any, check: Any) -> list[list[dict[str, Any]]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(MARKUP_ERROR)
    return [[check(button) for button in row] for row in rows]


def _check_inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed")
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= 64:
        raise bad_request("BUTTON_DATA_INVALID")
    if len(button) == 1:
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed")
    return button


def _check_reply_button(button: Any) -> dict[str, Any]:
    if isinstance(button, str):
        button = {"text": button}
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request("can't parse keyboard button: text must be a non-empty String")
    return button
