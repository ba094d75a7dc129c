"""Secrets in text, found once for every writer: a report quoting a test's output and a cassette
recording an LLM exchange mask the same things the same way.

Two ways to find one: the *values* the caller knows are secret (the recorder's API key, the
environment's `*_API_KEY` / `*TOKEN*` values), wherever they appear, and well-known token shapes
(`sk-...`, `Bearer ...`, AWS `AKIA...`, Google `AIza...`, GitHub `ghp_...`, `api_key=...`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

__all__ = ["SECRET_TAG", "scrub_secrets", "secret_spans", "secret_values"]

SECRET_TAG = "[SECRET]"
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|AUTH", re.IGNORECASE)
# Shorter values would match ordinary words and numbers all over a report.
_MIN_SECRET_LEN = 8
_SHAPES = (
    re.compile(r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-]{6,}"),  # OpenAI, Anthropic (sk-ant-...), Stripe-like
    re.compile(r"\b(?:gh[pousr]_|gho|github_pat|xox[abp]|AKIA)[A-Za-z0-9_\-]{8,}"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/\-]{8,}=*"),
    # Group 1 is kept: the reader sees which setting it was (`api_key=[SECRET]`).
    re.compile(r"(?i)\b((?:api[_-]?key|token|secret|password|passwd)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}]{6,}"),
)


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of the environment variables named like secrets, longest first (so a value that
    contains another is replaced whole)."""
    env = os.environ if environ is None else environ
    found = {v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= _MIN_SECRET_LEN}
    return sorted(found, key=len, reverse=True)


def secret_spans(text: str, values: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Where secrets lie in `text`: (start, end) of each known value and each token shape."""
    spans = [(m.start(), m.end()) for v in values if v for m in re.finditer(re.escape(v), text)]
    for shape in _SHAPES:
        spans += [(m.end(1) if m.lastindex else m.start(), m.end()) for m in shape.finditer(text)]
    return spans


def scrub_secrets(text: str, values: Iterable[str] = ()) -> str:
    """`text` with every secret (known value or token shape) replaced by [SECRET]."""
    for value in values:
        if value and value in text:
            text = text.replace(value, SECRET_TAG)
    for shape in _SHAPES:
        text = shape.sub(lambda m: (m.group(1) if m.lastindex else "") + SECRET_TAG, text)
    return text
