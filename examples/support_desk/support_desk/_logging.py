"""Structured JSON logs: one object per line, PII redacted from every field.

Fields: ts, level, logger, event, and when known trace_id, agent, latency_ms, tokens_in,
tokens_out, error_code, plus any `extra=`. Redaction happens in the formatter, so no handler or
caller can forget it; identifiers are exempt by their format (`harness.pii.is_identifier`).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from harness.pii import redact, redact_obj

__all__ = ["JsonFormatter", "configure_logging", "log_event"]

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
logger = logging.getLogger("support_desk")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": redact(record.getMessage()),
        }
        extra = {k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")}
        doc.update(redact_obj(extra))  # ids (trace_id, request_id) keep their value: see harness.pii
        if record.exc_info and record.exc_info[0] is not None:
            doc["error_type"] = record.exc_info[0].__name__
            doc["error"] = redact(str(record.exc_info[1]))
        return json.dumps(doc, ensure_ascii=False, default=str)


def configure_logging(level: int | str = logging.INFO, stream: Any = None) -> logging.Handler:
    """Send `support_desk.*` logs as JSON lines to `stream` (stderr by default); returns the handler."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("support_desk")
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def log_event(event: str, *, level: int = logging.INFO, **fields: Any) -> None:
    logger.log(level, event, extra={k: v for k, v in fields.items() if v is not None})
