"""`harness serve`: any in-process system (a LangGraph graph, a callable, a factory) over HTTP, so
a team with no API of its own still gets the system and chaos tiers, with no code.

    POST /      {"query", "user_id"?, "customer_tier"?, "session_id"?}  ->  the Outcome as JSON
    GET /health {"status": "ok", "system": NAME}

The reply is the `Outcome` itself (the declaration's default reply fields read it as it is):
200 answered, 422 rejected, 503 a retriable error, 500 any other. Every error reply, the
server's own too (404, 405, 408, 413), carries `error` and `retriable`. A request id sent in
`X-Request-Id` is echoed back, and with `--audit-log` every request but `/health` is written in
the harness audit format (`harness.measure.AuditMiddleware`), so load and chaos runs reconcile on
both sides. A request's read is bounded: a body over `max_body_bytes` gets 413, one not whole
within `read_timeout_s` of its headers 408, and its connection is closed. The system is built
once, before the server starts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._exceptions import ConfigError
from .process import warn_if_exposed
from .sut import Outcome, SystemUnderTest, Turn, load_declaration, load_system

if TYPE_CHECKING:
    import uvicorn
    from starlette.responses import JSONResponse

__all__ = ["serve_app", "serve_system", "uvicorn_server"]

_TURN_FIELDS = ("query", "user_id", "customer_tier", "session_id")
MAX_BODY_BYTES = 1_048_576
READ_TIMEOUT_S = 5.0


def _failed(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    from starlette.responses import JSONResponse

    doc = {"status": "rejected" if status in (400, 422) else "error", "error": message, "retriable": False}
    return JSONResponse(doc, status, headers=headers)


def _status(outcome: Outcome) -> int:
    if outcome.status == "ok":
        return 200
    if outcome.status == "rejected":
        return 422
    return 503 if outcome.retriable else 500


def _turn(body: Any, request_id: str | None) -> Turn | str:
    """The turn a request body asks, or why it asks none."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"].strip():
        return 'the body must be a JSON object with a non-empty "query" string'
    fields = {k: body[k] for k in _TURN_FIELDS if isinstance(body.get(k), str)}
    return Turn(**fields, request_id=request_id)


def serve_app(
    system: SystemUnderTest,
    *,
    name: str = "system",
    audit_log: str | Path | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    read_timeout_s: float = READ_TIMEOUT_S,
) -> Any:
    """The ASGI app (Starlette) that answers turns with `system`."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from .measure import AuditMiddleware

    async def ask(request: Request) -> JSONResponse:
        rid = request.headers.get("x-request-id")
        headers = {"X-Request-Id": rid} if rid else {}
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        turn = _turn(body, rid)
        if isinstance(turn, str):
            return _failed(422, turn, headers)
        outcome = await system.ask(turn)
        doc = outcome.model_dump(mode="json", exclude={"latency_ms", "http_status"})
        return JSONResponse(doc, _status(outcome), headers=headers)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "system": name})

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        where = f"{request.method} {request.url.path}"
        fix = "the API is POST / and GET /health"
        return _failed(exc.status_code, f"{exc.detail}: {where}; {fix}", dict(exc.headers or {}))

    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        return _failed(500, f"internal error: {type(exc).__name__}")

    app = Starlette(
        routes=[Route("/", ask, methods=["POST"]), Route("/health", health)],
        exception_handlers={HTTPException: http_error, Exception: crashed},
    )
    return AuditMiddleware(
        app, audit_log, skip=("/health",), max_body_bytes=max_body_bytes, read_timeout_s=read_timeout_s
    )


def uvicorn_server(app: Any, host: str, port: int) -> uvicorn.Server:
    """The server `harness serve` runs: idle keep-alive connections closed after 5 s, request
    heads up to 16 KiB (uvicorn's defaults, chosen here). Not `limit_concurrency`: its 503s never
    reach the app, so they would go unaudited; the read timeout bounds what a flood holds."""
    import uvicorn

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=16 * 1024,
    )
    return uvicorn.Server(config)


def serve_system(
    spec: str | None, host: str, port: int, *, audit_log: str | None = None, pyproject: str | None = None
) -> None:
    """Serve the system `spec` names (default: the declared `python`) until stopped."""
    decl = load_declaration(pyproject)
    target = spec or decl.python
    if not target:
        raise ConfigError(
            "harness serve: no in-process system to serve; set [tool.harness.system] python = "
            "'pkg.module:attr' or pass --system"
        )
    app = serve_app(load_system(target, declaration=decl), name=decl.name, audit_log=audit_log)
    warn_if_exposed(
        host, f"{decl.name} (POST /, GET /health) is reachable from other hosts", prog="harness serve"
    )
    uvicorn_server(app, host, port).run()
