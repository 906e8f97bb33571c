"""The JSON API ``/api/v1``: upserts of the shop's records and reads of return requests.

Every route but the OpenAPI document needs ``Authorization: Bearer <token>``. Errors are
JSON ``{"error": code, "message": words}`` (plus ``rows`` for bad items), unknown paths and
methods under ``/api/`` included (``json_errors``); the document in ``backoffice.openapi``
describes every request and response. The API holds no session (``security.page_sessions``).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from datetime import date
from http import HTTPStatus
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from backoffice import payloads
from backoffice.keys import CLOCK, ZONE
from backoffice.openapi import MAX_BODY_BYTES, openapi_document
from domain.errors import NotFound
from domain.returns import Actor, Status
from services.api import read_return
from services.imports import (
    ImportRejected,
    ImportResult,
    upsert_customers,
    upsert_orders,
    upsert_products,
)
from services.queue import QueueFilter, list_returns
from services.tokens import verify_api_token

log = logging.getLogger("returndesk.api")
routes = web.RouteTableDef()
API = "/api/v1"
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
LIMIT = re.compile(r"\d{1,3}")
STATUSES = {str(s) for s in Status}
# The name of the token a call came with.
API_CLIENT = web.RequestKey("api_client", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """A refusal with its HTTP status, stable code and words for the developer."""

    def __init__(self, status: int, error: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.extra = status, error, message, extra

    def response(self) -> web.Response:
        body = {"error": self.error, "message": self.message, **self.extra}
        return web.json_response(body, status=self.status)


def _unauthorized(sent: bool) -> web.Response:
    challenge = 'Bearer realm="returndesk"' + (', error="invalid_token"' if sent else "")
    response = ApiError(401, "unauthorized", "A live API token is needed.").response()
    response.headers["WWW-Authenticate"] = challenge
    return response


def _bearer(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _invalid_rows(errors: Sequence[Any]) -> ApiError:
    return ApiError(
        422,
        "invalid_rows",
        "Some items are not valid; nothing was written.",
        rows=payloads.row_errors_json(errors),
    )


def _http_error(error: web.HTTPException) -> web.Response:
    """The router's refusal (no such path, not that method, …) in the API's own words."""
    status = HTTPStatus(error.status)
    code = status.phrase.lower().replace(" ", "_").replace("-", "_")
    response = ApiError(status, code, f"{status.description}.").response()
    if "Allow" in error.headers:
        response.headers["Allow"] = error.headers["Allow"]
    return response


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer every refusal or failure under ``/api/`` as the API's JSON error: a view's,
    and the router's for an unknown path or method too."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    try:
        return await handler(request)
    except ApiError as error:
        return error.response()
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return _http_error(error)
    except Exception:
        log.exception("API error on %s %s", request.method, request.path)
        return ApiError(500, "internal_error", "Something went wrong.").response()


def api_view(handler: Handler) -> Handler:
    """Let only live tokens through, and turn the services' refusals into API errors."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        token = _bearer(request)
        name = await verify_api_token(token) if token else None
        if name is None:
            return _unauthorized(bool(request.headers.get("Authorization")))
        request[API_CLIENT] = name
        try:
            return await handler(request)
        except (ImportRejected, payloads.ItemErrors) as rejected:
            raise _invalid_rows(rejected.errors) from None
        except NotFound:
            raise ApiError(404, "not_found", "No such thing.") from None

    return guarded


def _actor(request: web.Request) -> Actor:
    # Recorded as updated_by (100 characters at most) on what the call writes.
    return Actor.system(f"api:{request[API_CLIENT]}"[:100])


async def _json_array(request: web.Request) -> list[dict[str, Any]]:
    """The body as a JSON array of objects, read up to the size limit."""
    too_large = ApiError(413, "body_too_large", f"The body is over {MAX_BODY_BYTES} bytes.")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise too_large
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise too_large
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise ApiError(400, "malformed_json", "The body is not JSON.") from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ApiError(400, "wrong_shape", "The body must be a JSON array of objects.")
    if len(data) > payloads.MAX_ITEMS:
        raise ApiError(400, "too_many_items", f"At most {payloads.MAX_ITEMS} items per call.")
    return data


def _upserted(result: ImportResult) -> web.Response:
    return web.json_response(asdict(result))


@routes.put(f"{API}/products", name="api_products")
@api_view
async def put_products(request: web.Request) -> web.StreamResponse:
    """Create or update products by SKU."""
    rows = payloads.product_rows(await _json_array(request))
    return _upserted(await upsert_products(rows, actor=_actor(request), clock=request.app[CLOCK]))


@routes.put(f"{API}/customers", name="api_customers")
@api_view
async def put_customers(request: web.Request) -> web.StreamResponse:
    """Create or update customers by external id or phone."""
    rows = payloads.customer_rows(await _json_array(request))
    return _upserted(await upsert_customers(rows, actor=_actor(request)))


@routes.put(f"{API}/orders", name="api_orders")
@api_view
async def put_orders(request: web.Request) -> web.StreamResponse:
    """Create or update orders by order number, each with its lines."""
    rows = payloads.order_rows(await _json_array(request))
    return _upserted(await upsert_orders(rows, actor=_actor(request)))


def _day(query: MultiMapping[str], name: str) -> date | None:
    if name not in query:
        return None
    raw = query[name]
    try:
        if not DAY.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, "invalid_date", f"`{name}` must be a date: YYYY-MM-DD.") from None


def _returns_query(query: MultiMapping[str]) -> tuple[QueueFilter, str | None, int]:
    """Filters, the queue's cursor and the page size from the query string; 400 if bad."""
    status = query.get("status")
    if status is not None and status not in STATUSES:
        raise ApiError(400, "invalid_status", f"`status` is one of {sorted(STATUSES)}.")
    since, until = payloads.clamp_dates(_day(query, "since"), _day(query, "until"))
    cursor = None
    if "after" in query:
        cursor = payloads.decode_cursor(query["after"])
        if cursor is None:
            raise ApiError(400, "invalid_cursor", "`after` must be a `next_cursor` value.")
    raw_limit = query.get("limit", "50")
    if not LIMIT.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= 100:
        raise ApiError(400, "invalid_limit", "`limit` is a whole number from 1 to 100.")
    return QueueFilter(status=status or "", since=since, until=until), cursor, int(raw_limit)


@routes.get(f"{API}/returns", name="api_returns")
@api_view
async def get_returns(request: web.Request) -> web.StreamResponse:
    """List return requests, newest first, one page at a time."""
    filters, cursor, limit = _returns_query(request.query)
    page = await list_returns(filters, zone=request.app[ZONE], cursor=cursor, size=limit)
    return web.json_response(payloads.queue_page_json(page))


@routes.get(API + "/returns/{number}", name="api_return")
@api_view
async def get_return(request: web.Request) -> web.StreamResponse:
    """Read one return request by its RMA number."""
    number = request.match_info["number"]
    # RMA numbers are short and printable; anything else cannot be one (nor reach the DB).
    if len(number) > 20 or not number.isprintable():
        raise NotFound("return_not_found", number=number)
    return web.json_response(payloads.return_json(await read_return(number)))


@routes.get(f"{API}/openapi.json", name="api_openapi")
async def get_openapi(request: web.Request) -> web.StreamResponse:
    """Serve the OpenAPI document (no token needed)."""
    return web.json_response(openapi_document())
