"""Refusals shown on the page that was submitted: their words, and the field they concern.

The words are those of the one code → msgid table (``backoffice.messages.ERRORS``); the
page names the field by its label and shows the details staff can act on (what was entered,
the limits) by their names (``backoffice.names.FORM_FIELDS`` and ``REFUSAL_DETAILS``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from backoffice.messages import ERRORS
from domain.errors import DomainError, NotFound


@dataclass(frozen=True)
class Refusal:
    """Why a form was refused: the words' msgid, the field concerned, the other details."""

    code: str
    message: str
    field: str
    params: Mapping[str, str]


def refusal_of(code: str, params: Mapping[str, Any] | None = None) -> Refusal:
    params = {k: str(v) for k, v in (params or {}).items()}
    name = params.pop("field", "")
    return Refusal(code, ERRORS.get(code, ERRORS["invalid_input"]), name, params)


async def attempt(work: Awaitable[object]) -> Refusal | None:
    """Await a service call: None if it went through, its refusal if refused.

    Something that does not exist (or is not the actor's to see) is a 404 page.
    """
    try:
        await work
    except NotFound:
        raise web.HTTPNotFound() from None
    except DomainError as error:
        return refusal_of(error.code, error.params)
    return None
