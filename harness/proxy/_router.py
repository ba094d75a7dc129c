"""Routing as gorilla/mux v1.8 does it for Toxiproxy's `Routes()`.

Unknown path: 404 `404 page not found\\n`. Known path, wrong method: 405, empty.
Unclean path (`//x`, `/a/../b`): 301 to the clean one. Only matched routes get the
middleware: an `X-Toxiproxy-Request-Id` header, 403 for browsers, 503 after 25 s.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import logging
import os
import posixpath
import random
import re
import struct
import time
from collections.abc import Awaitable, Callable
from urllib.parse import unquote, urlsplit

from ._errors import ApiError
from ._gojson import marshal
from ._http import Request, Response

__all__ = ["RouteHandler", "Router", "error_response", "text_error"]

log = logging.getLogger("harness.proxy")

RouteHandler = Callable[[Request, dict[str, str]], Awaitable[Response]]

HANDLER_TIMEOUT = 25.0
_TIMEOUT_BODY = b"<html><head><title>Timeout</title></head><body><h1>Timeout</h1></body></html>"


class Router:
    """Routes in the order added; `{var}` matches one path segment."""

    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], frozenset[str], RouteHandler]] = []

    def add(self, template: str, methods: str, handler: RouteHandler) -> None:
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self._routes.append((re.compile(pattern + r"\Z"), frozenset(methods.split()), handler))

    async def dispatch(self, request: Request) -> Response:
        raw_path, query = _split_target(request.target)
        path = unquote(raw_path)
        clean = clean_path(path)
        if clean != path:
            location = clean + (f"?{query}" if query else "")
            return Response(301, headers=[("Location", location)])
        path_matched = False
        for pattern, methods, handler in self._routes:
            match = pattern.match(path)
            if match is None:
                continue
            path_matched = True
            if request.method in methods:
                return await _middleware(request, match.groupdict(), handler)
        if path_matched:
            return Response(405)
        return text_error(404, "404 page not found")


def _split_target(target: str) -> tuple[str, str]:
    """Path and query of an origin-form (`/p?q`) or absolute-form (`http://h/p`) target."""
    if target.startswith("/"):
        path, _, query = target.partition("?")
        return path, query
    parts = urlsplit(target)
    return parts.path, parts.query


def clean_path(path: str) -> str:
    """Go's path.Clean, keeping a trailing slash as mux's cleanPath does."""
    if not path:
        return "/"
    if not path.startswith("/"):
        path = "/" + path
    clean = posixpath.normpath(path)
    if clean.startswith("//"):
        clean = "/" + clean.lstrip("/")
    if path.endswith("/") and clean != "/":
        clean += "/"
    return clean


async def _middleware(request: Request, params: dict[str, str], handler: RouteHandler) -> Response:
    request_id = ("X-Toxiproxy-Request-Id", new_request_id())
    if request.headers.get("user-agent", "").startswith("Mozilla/"):
        response = text_error(403, "User agent not allowed")
    else:
        response = await _run(request, params, handler)
    response.headers.append(request_id)
    return response


async def _run(request: Request, params: dict[str, str], handler: RouteHandler) -> Response:
    # Like http.TimeoutHandler: answer 503 after 25 s, but let the handler finish,
    # since cancelling it halfway could leave a proxy half-updated.
    task = asyncio.ensure_future(_guarded(request, params, handler))
    done, _ = await asyncio.wait([task], timeout=HANDLER_TIMEOUT)
    if not done:
        return Response(503, _TIMEOUT_BODY, [("Content-Type", "text/html; charset=utf-8")])
    return task.result()


async def _guarded(request: Request, params: dict[str, str], handler: RouteHandler) -> Response:
    try:
        return await handler(request, params)
    except ApiError as err:
        return error_response(err)
    except Exception as err:  # an unexpected bug answers 500, as Go's apiError would
        log.exception("API handler failed for %s %s", request.method, request.target)
        return error_response(ApiError(f"{type(err).__name__}: {err}", 500))


def error_response(err: ApiError) -> Response:
    """`{"error":..,"status":..}` plus a newline, written by Go's http.Error."""
    body = marshal({"error": err.message, "status": err.status}) + b"\n"
    return Response(err.status, body, _plain_headers())


def text_error(status: int, message: str) -> Response:
    return Response(status, message.encode() + b"\n", _plain_headers())


def _plain_headers() -> list[tuple[str, str]]:
    return [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("X-Content-Type-Options", "nosniff"),
    ]


_MACHINE = os.urandom(3)
_COUNTER = itertools.count(random.randrange(1 << 24))


def new_request_id() -> str:
    """A 20-character xid, the format zerolog's hlog.RequestIDHandler sends."""
    raw = (
        struct.pack(">I", int(time.time()) & 0xFFFFFFFF)
        + _MACHINE
        + struct.pack(">H", os.getpid() & 0xFFFF)
        + (next(_COUNTER) & 0xFFFFFF).to_bytes(3, "big")
    )
    return base64.b32hexencode(raw).decode().rstrip("=").lower()
