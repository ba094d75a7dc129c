"""How `LLMClient` puts one POST on the wire: httpx or aiohttp, behind one small interface.

Why two: httpx is what respx (and so `harness.llm.MockLLM`) intercepts, so in-process tests and
a caller's own `httpx.AsyncClient` go through it. aiohttp costs far less CPU a call: 0.27 ms
against httpx's 1.5 ms on this machine (10 concurrent calls to the mock LLM server; httpx over
an aiohttp transport still 0.8 ms), and the service makes two calls a request on one event loop,
so `harness serve` uses it unless `llm_http` says otherwise. Both map every failure the same way,
and one integration test runs the same faults over real sockets through each.

`post_lines` is the streamed form: each line of a 2xx body goes to `on_line` as it arrives (the
whole read under the same one timeout, so a stream that stalls mid-answer ends at the budget);
an error status's body comes back whole, as from `post`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from ._errors import LLMConnectionError, LLMMalformedResponseError, LLMTimeoutError

__all__ = ["AiohttpTransport", "HttpReply", "HttpxTransport", "Transport"]


@dataclass(frozen=True)
class HttpReply:
    status: int
    retry_after: str | None  # the raw Retry-After header
    body: bytes


class Transport(Protocol):
    async def post(
        self, url: str, body: bytes, headers: dict[str, str], *, timeout: float, where: dict[str, str]
    ) -> HttpReply: ...

    async def post_lines(
        self,
        url: str,
        body: bytes,
        headers: dict[str, str],
        on_line: Callable[[bytes], None],
        *,
        timeout: float,
        where: dict[str, str],
    ) -> HttpReply: ...

    async def aclose(self) -> None: ...


def _prefix(where: dict[str, str]) -> str:
    return f"{where['agent']} ({where['model']})"


class HttpxTransport:
    def __init__(self, client: httpx.AsyncClient | None = None, *, verify: Any = True) -> None:
        self._own = client is None
        self._client = client or httpx.AsyncClient(
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50), verify=verify
        )

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], *, timeout: float, where: dict[str, str]
    ) -> HttpReply:
        with _httpx_failures(where):
            response = await self._client.post(url, content=body, headers=headers, timeout=timeout)
        return HttpReply(response.status_code, response.headers.get("retry-after"), response.content)

    async def post_lines(
        self,
        url: str,
        body: bytes,
        headers: dict[str, str],
        on_line: Callable[[bytes], None],
        *,
        timeout: float,
        where: dict[str, str],
    ) -> HttpReply:
        with _httpx_failures(where):
            async with (
                asyncio.timeout(timeout),  # the whole stream, not each read: a stall is bounded
                self._client.stream("POST", url, content=body, headers=headers, timeout=timeout) as response,
            ):
                if not 200 <= response.status_code < 300:
                    content = await response.aread()
                    return HttpReply(response.status_code, response.headers.get("retry-after"), content)
                async for line in response.aiter_lines():
                    on_line(line.encode())
                return HttpReply(response.status_code, response.headers.get("retry-after"), b"")

    async def aclose(self) -> None:
        if self._own:
            await self._client.aclose()


class AiohttpTransport:
    """One `aiohttp.ClientSession`, made on first use (it belongs to the running event loop)."""

    def __init__(self, *, ssl_context: Any = None) -> None:
        self._ssl = ssl_context
        self._session: Any = None

    def _client(self) -> Any:
        # Imported here, not at the top: in-process users (httpx) never pay its ~200 ms import;
        # once imported, the statement is a dictionary lookup.
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=200, ssl=self._ssl if self._ssl is not None else True),
                # No aiohttp timers: asyncio.timeout below nests properly with the agent's own
                # (aiohttp's would turn a cancel meant for the agent's budget into its own
                # TimeoutError, which a retry then outlives).
                timeout=aiohttp.ClientTimeout(),
            )
        return self._session

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], *, timeout: float, where: dict[str, str]
    ) -> HttpReply:
        async def read(response: Any) -> bytes:
            return bytes(await response.read())

        return await self._exchange(url, body, headers, read, timeout=timeout, where=where)

    async def post_lines(
        self,
        url: str,
        body: bytes,
        headers: dict[str, str],
        on_line: Callable[[bytes], None],
        *,
        timeout: float,
        where: dict[str, str],
    ) -> HttpReply:
        async def read(response: Any) -> bytes:
            if not 200 <= response.status < 300:
                return bytes(await response.read())
            async for line in response.content:  # split at b"\n", as it arrives
                on_line(line.rstrip(b"\r\n"))
            return b""

        return await self._exchange(url, body, headers, read, timeout=timeout, where=where)

    async def _exchange(
        self,
        url: str,
        body: bytes,
        headers: dict[str, str],
        read: Callable[[Any], Any],
        *,
        timeout: float,
        where: dict[str, str],
    ) -> HttpReply:
        import aiohttp

        try:
            async with (
                asyncio.timeout(timeout),
                self._client().post(url, data=body, headers=headers) as response,
            ):
                return HttpReply(response.status, response.headers.get("Retry-After"), await read(response))
        except TimeoutError:  # aiohttp's own timeout errors are TimeoutErrors too
            raise _timed_out(where) from None
        except aiohttp.ClientPayloadError as exc:
            if isinstance(exc.__cause__, aiohttp.http_exceptions.ContentEncodingError):
                raise _undecodable(exc, where) from exc
            raise _unreachable(exc, where) from exc  # the body stopped short: the connection dropped
        except (aiohttp.ClientError, OSError) as exc:  # refused, reset, closed mid-answer
            raise _unreachable(exc, where) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


@contextmanager
def _httpx_failures(where: dict[str, str]) -> Iterator[None]:
    """httpx's failures as the LLM errors `LLMClient` retries by (one mapping for both calls)."""
    try:
        yield
    except (TimeoutError, httpx.TimeoutException):  # TimeoutError: the whole-stream budget
        raise _timed_out(where) from None
    except httpx.DecodingError as exc:  # a body its own Content-Encoding cannot decode
        raise _undecodable(exc, where) from exc
    except httpx.RequestError as exc:  # refused, reset, closed or cut mid-answer
        raise _unreachable(exc, where) from exc


def _unreachable(exc: BaseException, where: dict[str, str]) -> LLMConnectionError:
    return LLMConnectionError(f"{_prefix(where)}: cannot reach the LLM: {type(exc).__name__}: {exc}", **where)


def _timed_out(where: dict[str, str]) -> LLMTimeoutError:
    return LLMTimeoutError(f"{_prefix(where)}: LLM call timed out", **where)


def _undecodable(exc: BaseException, where: dict[str, str]) -> LLMMalformedResponseError:
    return LLMMalformedResponseError(f"{_prefix(where)}: undecodable reply: {exc}", **where)
