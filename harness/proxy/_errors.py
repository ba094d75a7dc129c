"""Toxiproxy's fixed API errors (`api.go`), each a message with an HTTP status.

The messages are the real server's, word for word, because clients match on them;
that is why they cannot carry a hint on how to fix the request.
"""

from __future__ import annotations

from .._exceptions import ProxyError

__all__ = [
    "ApiError",
    "bad_request_body",
    "internal",
    "invalid_stream",
    "invalid_toxic_type",
    "missing_field",
    "proxy_already_exists",
    "proxy_not_found",
    "toxic_already_exists",
    "toxic_not_found",
]


class ApiError(ProxyError):
    """An error the HTTP API reports as `{"error": message, "status": status}`."""

    code = "proxy_api_error"

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def bad_request_body(detail: str) -> ApiError:
    return ApiError(f"bad request body: {detail}", 400)


def missing_field(detail: str) -> ApiError:
    return ApiError(f"missing required field: {detail}", 400)


def proxy_not_found() -> ApiError:
    return ApiError("proxy not found", 404)


def proxy_already_exists() -> ApiError:
    return ApiError("proxy already exists", 409)


def invalid_stream() -> ApiError:
    return ApiError("stream was invalid, can be either upstream or downstream", 400)


def invalid_toxic_type() -> ApiError:
    return ApiError("invalid toxic type", 400)


def toxic_already_exists() -> ApiError:
    return ApiError("toxic already exists", 409)


def toxic_not_found() -> ApiError:
    return ApiError("toxic not found", 404)


def internal(detail: str) -> ApiError:
    """Any other failure: Go reports the error's own text with a 500."""
    return ApiError(detail, 500)
