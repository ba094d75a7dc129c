"""Run the service under uvicorn (binds 127.0.0.1 unless told otherwise, and says so when told)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from harness.process import warn_if_exposed

from ._settings import ServiceSettings

if TYPE_CHECKING:
    import uvicorn

__all__ = ["serve", "uvicorn_config", "uvicorn_server"]

# Idle keep-alive connections close after this (uvicorn's default, said here so it is chosen):
# a connection holds memory whether or not it ever sends another request.
KEEP_ALIVE_S = 5
# The largest request head (line and headers) uvicorn's h11 parser buffers; more is a 400.
MAX_HEAD_BYTES = 16 * 1024


def uvicorn_config(app: Any, settings: ServiceSettings, *, log_level: str = "warning") -> uvicorn.Config:
    """The one uvicorn configuration of a service process (one worker or several).

    Not `limit_concurrency`: its 503s are written by uvicorn before the app is called, so they
    would have no audit line and not the service's error shape; the rate limit (429) and the
    read timeout (408, `AuditMiddleware`) bound what a flood of requests holds instead."""
    import uvicorn

    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=5,
        timeout_keep_alive=KEEP_ALIVE_S,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
    )


def uvicorn_server(app: Any, settings: ServiceSettings, *, log_level: str = "warning") -> uvicorn.Server:
    import uvicorn

    return uvicorn.Server(uvicorn_config(app, settings, log_level=log_level))


def serve(
    settings: ServiceSettings, *, reference: dict[str, Any] | None = None, log_level: str = "warning"
) -> None:
    warn_if_exposed(
        settings.host,
        "the service's API (POST /v1/chat, /health, /metrics"
        + (", and /_control/handoff: anyone can inject handoff faults" if settings.chaos_control else "")
        + ") is reachable from other hosts",
        prog="support-desk serve",
    )
    if settings.workers > 1:  # the parent stays light: it only supervises
        from ._workers import serve_workers

        serve_workers(settings, reference=reference or {}, log_level=log_level)
        return
    from harness.process import freeze_startup_objects

    from .._logging import configure_logging
    from ._app import create_app, served_system

    configure_logging(logging.INFO)
    app = create_app(served_system(reference), settings)
    freeze_startup_objects()  # the imports and the app: never garbage, never walked again
    uvicorn_server(app, settings, log_level=log_level).run()
