"""Run the service under uvicorn (binds 127.0.0.1 unless told otherwise)."""

from __future__ import annotations

import logging
from typing import Any

from ._settings import ServiceSettings

__all__ = ["serve"]


def serve(
    settings: ServiceSettings, *, reference: dict[str, Any] | None = None, log_level: str = "warning"
) -> None:
    if settings.workers > 1:  # the parent stays light: it only supervises
        from ._workers import serve_workers

        serve_workers(settings, reference=reference or {}, log_level=log_level)
        return
    import uvicorn

    from harness.process import freeze_startup_objects

    from .._logging import configure_logging
    from ._app import create_app, served_system

    configure_logging(logging.INFO)
    app = create_app(served_system(reference), settings)
    freeze_startup_objects()  # the imports and the app: never garbage, never walked again
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
