"""The bot's HTTP client: python-telegram-bot's requests over aiohttp instead of httpx.

PTB's own ``HTTPXRequest`` spends about four times the CPU per Bot API call (httpcore's pool
bookkeeping scans every pooled connection on each request); for the chat that was most of the
cost of an update (bench/README.md, "Customer chat under load").
"""

from __future__ import annotations

import re

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]

URL_PATH = re.compile(r"(\w+://[^/\s'\"]+)/[^\s'\"]*")


class AiohttpRequest(BaseRequest):
    """Bot API requests over one aiohttp session, with ``HTTPXRequest``'s defaults.

    Parameters go as form fields (files as multipart), as PTB encodes them; aiohttp's
    timeouts become ``TimedOut`` and its other errors ``NetworkError``, which PTB and the
    outbox sender expect. aiohttp has no write timeout: ``write_timeout`` is not applied.
    """

    __slots__ = ("_connect_timeout", "_pool_size", "_pool_timeout", "_read_timeout", "_session")

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (in the running loop)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(  # noqa: PLR0917 - BaseRequest.do_request takes them positionally
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return the HTTP status and the body."""
        if self._session is None:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        timeout = self._timeout(read_timeout, connect_timeout, pool_timeout)
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout, allow_redirects=False
            ) as response:
                return response.status, await response.read()
        # aiohttp's messages may hold the URL, and so the bot token: neither they nor the
        # original errors (as causes in a logged traceback) go further
        except TimeoutError:  # aiohttp's timeouts are TimeoutErrors
            raise TimedOut from None
        except aiohttp.ClientError as error:
            text = URL_PATH.sub(r"\1/…", str(error))
            raise NetworkError(f"aiohttp.{type(error).__name__}: {text}") from None

    def _timeout(
        self, read: ODVInput[float], connect: ODVInput[float], pool: ODVInput[float]
    ) -> aiohttp.ClientTimeout:
        read = self._read_timeout if isinstance(read, DefaultValue) else read
        connect = self._connect_timeout if isinstance(connect, DefaultValue) else connect
        pool = self._pool_timeout if isinstance(pool, DefaultValue) else pool
        # aiohttp's ``connect`` covers waiting for a pooled connection and opening one
        waiting = None if connect is None or pool is None else connect + pool
        return aiohttp.ClientTimeout(connect=waiting, sock_connect=connect, sock_read=read)


def _body(request_data: RequestData | None) -> dict[str, str] | aiohttp.FormData | None:
    if request_data is None:
        return None
    fields = request_data.json_parameters
    files = request_data.multipart_data
    if not files:
        return fields
    form = aiohttp.FormData(fields)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
