"""The mock on httpx2's transports too: the openai SDK 3.x (and langchain-openai's `ChatOpenAI` on
it) sends through httpx2, which respx does not see, so an unmodified `AsyncOpenAI()` would go to
the network. While any `MockLLM` is started, httpx2's HTTP transports are patched: a request to a
started mock's `base_url` is answered by that mock (converted to httpx and back, its faults raised
as the httpx2 exceptions of the same name); any other request fails as "not mocked", as respx does
for httpx, so a test can never reach the network by accident.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from ._mock import MockLLM

__all__ = ["install", "uninstall"]

_lock = threading.Lock()
_mocks: list[MockLLM] = []
_originals: dict[str, Callable[..., Any]] = {}


def _httpx2() -> Any:
    try:
        import httpx2
    except ImportError:  # an older openai SDK: httpx alone, which respx covers
        return None
    return httpx2


def install(mock: MockLLM) -> None:
    """Route httpx2 requests for `mock.base_url` to `mock` until `uninstall(mock)`."""
    module = _httpx2()
    if module is None:
        return
    with _lock:
        _mocks.append(mock)
        if _originals:
            return
        sync, async_ = module.HTTPTransport, module.AsyncHTTPTransport
        _originals["sync"], _originals["async"] = sync.handle_request, async_.handle_async_request
        sync.handle_request = _handle
        async_.handle_async_request = _handle_async


def uninstall(mock: MockLLM) -> None:
    module = _httpx2()
    if module is None:
        return
    with _lock:
        if mock in _mocks:
            _mocks.remove(mock)
        if not _mocks and _originals:
            module.HTTPTransport.handle_request = _originals.pop("sync")
            module.AsyncHTTPTransport.handle_async_request = _originals.pop("async")


def _owner(url: str) -> MockLLM | None:
    with _lock:
        return next((m for m in _mocks if url == m.base_url or url.startswith(m.base_url + "/")), None)


def _answer(request: Any) -> Any:
    """The httpx2 response the owning mock gives `request` (a httpx2.Request)."""
    httpx2 = _httpx2()
    url = str(request.url)
    mock = _owner(url)
    if mock is None:
        raise httpx2.ConnectError(
            f"MockLLM: {request.method} {url} not mocked: no started MockLLM serves it "
            f"(serving: {', '.join(m.base_url for m in _mocks)}); give the client that base_url",
            request=request,
        )
    mirror = httpx.Request(request.method, url, headers=request.headers.raw, content=request.content)
    try:
        response = mock.dispatch(mirror)
    except httpx.TransportError as exc:  # a scripted timeout or connection error
        kind = getattr(httpx2, type(exc).__name__, httpx2.TransportError)
        raise kind(str(exc), request=request) from None
    return httpx2.Response(
        response.status_code, headers=response.headers.raw, content=response.content, request=request
    )


def _handle(self: Any, request: Any) -> Any:
    request.read()
    return _answer(request)


async def _handle_async(self: Any, request: Any) -> Any:
    await request.aread()
    return _answer(request)
