"""The reference service: `POST /v1/chat`, `GET /health`, `GET /metrics` over the reference system.

harness serve --port 8000 --llm-base-url http://127.0.0.1:8400/v1
"""

from ._app import ChatRequest, create_app
from ._serve import serve
from ._settings import ServiceSettings, load_service_settings

__all__ = ["ChatRequest", "ServiceSettings", "create_app", "load_service_settings", "serve"]
