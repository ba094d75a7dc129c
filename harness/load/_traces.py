"""A load run's traces: the spans its requests left (a system declared `traces = true`, on a
stack of the run's own), matched to the samples by the trace id each request's traceparent
carried, summarised into `traces.json` for the release report."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..traces import Prices, Sent, Trace, TracesRecord, TracesRun, collect_traces, summarise, trace_id_for

__all__ = ["collect_run_traces", "write_traces"]


def _sent(client: pd.DataFrame) -> dict[str, Sent]:
    out = {}
    for row in client.itertuples(index=False):
        ms = getattr(row, "ms", None)
        out[trace_id_for(str(row.id))] = Sent(
            request_id=str(row.id),
            ok=bool(getattr(row, "ok", False)),
            escalated=bool(getattr(row, "escalated", False) is True),
            latency_ms=None if ms is None or pd.isna(ms) else float(ms),
            error=None if pd.isna(getattr(row, "error", None)) else str(row.error),
            status=None if pd.isna(getattr(row, "status", None)) else int(row.status),
        )
    return out


def collect_run_traces(client: pd.DataFrame, spans: Path, agents: Iterable[str]) -> dict[str, Trace]:
    """The traces of the run's requests. A stack of the run's own has stopped by now (its system
    flushed its last spans as it shut down); an attached one may still be receiving the last
    batch: wait for it a little, for the requests the system answered (one that timed out may
    never have reached it)."""
    answered = client["status"].fillna(0) > 0
    ids = (trace_id_for(str(i)) for i in client.loc[answered, "id"])
    return collect_traces(spans, ids, agents=agents, timeout_s=5.0, settle_s=0.5)


def write_traces(
    client: pd.DataFrame,
    traces: dict[str, Trace],
    folder: Path,
    reports: Path,
    prices: Prices | None = None,
) -> TracesRun:
    """Summarise the run's traces into `folder/traces.json` and `reports/traces.json`."""
    sent = _sent(client)
    run = summarise(traces, sent, source=f"load {folder.name}", prices=prices)
    record = TracesRecord(runs=[run])
    record.write(folder / "traces.json")
    record.write(reports / "traces.json")
    return run
