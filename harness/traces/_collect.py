"""Spans from a `spans.jsonl` that a receiver is still appending to: wait for the traces of the
requests sent (exporters batch, so a request's spans arrive a moment after its reply)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from ._derive import Trace, group_traces
from ._model import read_spans

__all__ = ["collect_traces"]


def collect_traces(
    path: str | Path,
    trace_ids: Iterable[str],
    *,
    agents: Iterable[str] = (),
    timeout_s: float = 10.0,
    settle_s: float = 0.5,
) -> dict[str, Trace]:
    """The traces in `path`, once each of `trace_ids` has spans and the file stopped growing for
    `settle_s` (or `timeout_s` passed: a trace still missing is missing from the result)."""
    wanted, path = set(trace_ids), Path(path)
    deadline = time.monotonic() + timeout_s
    size, still_since = -1, time.monotonic()
    while True:
        now_size = path.stat().st_size if path.exists() else 0
        if now_size != size:
            size, still_since = now_size, time.monotonic()
        traces = group_traces(read_spans([path]) if path.exists() else [], agents)
        settled = time.monotonic() - still_since >= settle_s
        if (wanted <= traces.keys() and settled) or time.monotonic() >= deadline:
            return traces
        time.sleep(0.1)
