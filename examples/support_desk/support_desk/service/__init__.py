"""The reference service: `POST /v1/chat`, `GET /health`, `GET /metrics` over the reference system.

harness serve --port 8000 --llm-base-url http://127.0.0.1:8400/v1

The app's names load on first use, so `harness serve --workers N`'s supervising parent never
imports FastAPI or LangGraph (its workers do).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._serve import serve
from ._settings import ServiceSettings, load_service_settings

if TYPE_CHECKING:
    from ._app import ChatRequest, create_app

__all__ = ["ChatRequest", "ServiceSettings", "create_app", "load_service_settings", "serve"]


def __getattr__(name: str) -> Any:
    if name in ("ChatRequest", "create_app"):
        from . import _app

        return getattr(_app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
