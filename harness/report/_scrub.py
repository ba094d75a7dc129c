"""Scrub text before it reaches a report: secrets, then PII.

The report quotes text written by others — a failed test's message, a chaos violation — and a
test may well have printed a customer query or an environment variable. Every string of the
summary goes through `scrub_obj` before it is written or rendered, so no section can forget.

Secrets are found two ways: the *values* of environment variables whose names say secret
(`*_API_KEY`, `*TOKEN*`, `*PASSWORD*`...), wherever they appear, and well-known token shapes
(`sk-...`, `Bearer ...`, `api_key=...`). PII goes through the harness's detector (`harness.pii`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TypeVar

from ..pii import redact

__all__ = ["SECRET_TAG", "scrub", "scrub_obj", "secret_values"]

SECRET_TAG = "[SECRET]"
_T = TypeVar("_T")

_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|AUTH", re.IGNORECASE)
# Shorter values would match ordinary words and numbers all over a report.
_MIN_SECRET_LEN = 8
_SHAPES = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"),
    re.compile(r"\b(?:ghp|gho|github_pat|xox[abp]|AKIA)[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/\-]{8,}=*"),
    re.compile(r"(?i)\b((?:api[_-]?key|token|secret|password|passwd)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}]{6,}"),
)


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of the environment variables named like secrets, longest first (so a value that
    contains another is replaced whole)."""
    env = os.environ if environ is None else environ
    found = {v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= _MIN_SECRET_LEN}
    return sorted(found, key=len, reverse=True)


def _scrub_secrets(text: str, values: list[str]) -> str:
    for value in values:
        if value in text:
            text = text.replace(value, SECRET_TAG)
    for shape in _SHAPES:
        # Keep the `api_key=` part of a key-value match: the reader sees which setting it was.
        text = shape.sub(lambda m: (m.group(1) if m.lastindex else "") + SECRET_TAG, text)
    return text


def scrub(text: str, *, values: list[str] | None = None) -> str:
    """`text` with secrets and PII replaced by tags ([SECRET], [EMAIL], [CARD]...)."""
    return redact(_scrub_secrets(text, secret_values() if values is None else values))


def scrub_obj(obj: _T, *, values: list[str] | None = None) -> _T:
    """Every string in a JSON-like tree (dict keys too), scrubbed; other values untouched."""
    secrets = secret_values() if values is None else values

    def walk(node: object) -> object:
        if isinstance(node, str):
            return redact(_scrub_secrets(node, secrets))
        if isinstance(node, dict):
            return {walk(k): walk(v) for k, v in node.items()}
        if isinstance(node, list | tuple):
            return [walk(v) for v in node]
        return node

    out: _T = walk(obj)  # type: ignore[assignment]
    return out
