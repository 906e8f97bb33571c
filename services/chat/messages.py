"""What comes in from the chat and what goes back out, as plain values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Incoming:
    """One update from a customer's private chat, already parsed by the adapter."""

    update_id: int
    chat_id: int
    user_id: int
    language_code: str = ""
    command: str = ""
    argument: str = ""
    text: str = ""
    contact_phone: str = ""
    contact_user_id: int | None = None
    photo_file_id: str = ""
    press: str = ""
    other: str = ""


@dataclass(frozen=True)
class Button:
    """An inline button: a catalog key (or a literal ``label``) and opaque callback data."""

    key: str
    data: str
    params: Mapping[str, Any] = field(default_factory=dict)
    label: str | None = None


@dataclass(frozen=True)
class Percent:
    """A percentage (``Percent(Decimal("2.5"))`` is 2.5 %), written the reader's way."""

    value: Decimal


@dataclass(frozen=True)
class Reply:
    """One message to send: a catalog key and its parameters.

    Parameter values may be text (escaped when rendered), numbers, Decimal money, a
    ``Percent``, aware datetimes, another ``Reply`` (rendered in place) or a tuple of them
    (one per line).
    ``count`` picks the plural form.
    """

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    buttons: tuple[tuple[Button, ...], ...] = ()
    ask_contact: bool = False
    remove_keyboard: bool = False
    count: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What the bot does for one update."""

    language: str
    replies: tuple[Reply, ...] = ()
    notice: str | None = None
    duplicate: bool = False
