"""`harness serve`: any in-process system (a LangGraph graph, a callable, a factory) over HTTP, so
a team with no API of its own still gets the system and chaos tiers, with no code.

    POST /      {"query", "user_id"?, "customer_tier"?, "session_id"?}  ->  the Outcome as JSON
    GET /health {"status": "ok", "system": NAME}

The reply is the `Outcome` itself (the declaration's default reply fields read it as it is):
200 answered, 422 rejected, 503 a retriable error, 500 any other (each with `error`). A request
id sent in `X-Request-Id` is echoed back, and with `--audit-log` every request is written in the
harness audit format (`harness.measure.AuditMiddleware`), so load and chaos runs reconcile on
both sides. The system is built once, before the server starts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ._exceptions import ConfigError
from .sut import Outcome, SystemUnderTest, Turn, load_declaration, load_system

__all__ = ["serve_app", "serve_system"]

_TURN_FIELDS = ("query", "user_id", "customer_tier", "session_id")


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


def serve_app(system: SystemUnderTest, *, name: str = "system", audit_log: str | Path | None = None) -> Any:
    """The ASGI app (Starlette) that answers turns with `system`."""
    from starlette.applications import Starlette
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
            return JSONResponse({"status": "rejected", "error": turn}, 422, headers=headers)
        outcome = await system.ask(turn)
        doc = outcome.model_dump(mode="json", exclude={"latency_ms", "http_status"})
        return JSONResponse(doc, _status(outcome), headers=headers)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "system": name})

    app = Starlette(routes=[Route("/", ask, methods=["POST"]), Route("/health", health)])
    return AuditMiddleware(app, audit_log, paths=("/",)) if audit_log else app


def serve_system(
    spec: str | None, host: str, port: int, *, audit_log: str | None = None, pyproject: str | None = None
) -> None:
    """Serve the system `spec` names (default: the declared `python`) until stopped."""
    import uvicorn

    decl = load_declaration(pyproject)
    target = spec or decl.python
    if not target:
        raise ConfigError(
            "harness serve: no in-process system to serve; set [tool.harness.system] python = "
            "'pkg.module:attr' or pass --system"
        )
    app = serve_app(load_system(target, declaration=decl), name=decl.name, audit_log=audit_log)
    uvicorn.run(app, host=host, port=port, log_level="warning")
