"""The audit log: one JSON line per request, so a run can reconcile what was sent and answered.

No PII by construction: the query is stored as a length and a hash, never as text; ids pass
through the redactor.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from ..reference import redact

__all__ = ["AuditLog"]


class AuditLog:
    """Append-only JSONL, one `write()` per line on an O_APPEND file: a killed process loses at most
    the line in flight, and service workers sharing the file never interleave their lines."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._fd: int | None = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, *, request_id: str | None, query: str, status: int, **fields: Any) -> None:
        if self._fd is None:
            return
        doc = {
            "ts": round(time.time(), 6),
            "request_id": redact(request_id) if request_id else None,
            "query_sha256": hashlib.sha256(query.encode()).hexdigest()[:16],
            "query_chars": len(query),
            "status": status,
            **{k: redact(v) if isinstance(v, str) else v for k, v in fields.items()},
        }
        line = (json.dumps(doc, ensure_ascii=False, default=str) + "\n").encode()
        with self._lock:
            written = os.write(self._fd, line)
            while written < len(line):  # only on a full disk or a signal: finish the line
                written += os.write(self._fd, line[written:])

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
