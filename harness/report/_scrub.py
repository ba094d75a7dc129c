"""Scrub text before it reaches a report: secrets, then PII.

The report quotes text written by others — a failed test's message, a chaos violation — and a
test may well have printed a customer query or an environment variable. Every string of the
summary goes through `scrub_obj` before it is written or rendered, so no section can forget.

Secrets: the values of environment variables whose names say secret, and well-known token shapes
(`harness._secrets`, shared with cassettes). PII goes through the harness's detector (`harness.pii`).
"""

from __future__ import annotations

from typing import TypeVar

from .._secrets import SECRET_TAG, scrub_secrets, secret_values
from ..pii import redact

__all__ = ["SECRET_TAG", "scrub", "scrub_obj", "secret_values"]

_T = TypeVar("_T")


def scrub(text: str, *, values: list[str] | None = None) -> str:
    """`text` with secrets and PII replaced by tags ([SECRET], [EMAIL], [CARD]...)."""
    return redact(scrub_secrets(text, secret_values() if values is None else values))


def scrub_obj(obj: _T, *, values: list[str] | None = None) -> _T:
    """Every string in a JSON-like tree (dict keys too), scrubbed; other values untouched."""
    secrets = secret_values() if values is None else values

    def walk(node: object) -> object:
        if isinstance(node, str):
            return redact(scrub_secrets(node, secrets))
        if isinstance(node, dict):
            return {walk(k): walk(v) for k, v in node.items()}
        if isinstance(node, list | tuple):
            return [walk(v) for v in node]
        return node

    out: _T = walk(obj)  # type: ignore[assignment]
    return out
