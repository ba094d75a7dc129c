"""One sample per request sent, the same for every tier: what was sent, when, and what came back.

The load tier's Locust users and the chaos tier's generator both make a `Sample` from the
`Outcome` the system contract read (`harness.sut.HTTPContract`), and write or keep it in this one
shape; the analyses read it back with `read_samples` / `frame`. What each request counts as:

    kind          (the Outcome's) answered, rejected, retriable, error, no_response;
                  None: no outcome was ever recorded (still in flight when the run stopped)
    expected      answered, or rejected for a turn labelled to be refused
    ok            kind == expected
    failed        an outcome was recorded, and it is not the expected one
    unclear       kind error or no_response: the caller cannot tell whether to retry
    lost          not accounted for: no outcome, or the system's own record (the audit log)
                  missing it, disagreeing on its status, or holding it twice (see `reconcile`)

Request ids are the harness's own (`request_id`): "hr-" + run + worker + sequence, letters and
digits. Their format exempts them from PII redaction by design (`harness.pii.is_identifier`).
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..pii import is_identifier
from ..sut._model import Kind, Outcome

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COLUMNS",
    "UNCLEAR",
    "Sample",
    "frame",
    "new_run_id",
    "read_jsonl",
    "read_samples",
    "request_id",
]

Expected = Literal["answered", "rejected"]
#: Kinds that leave the caller not knowing what happened.
UNCLEAR: tuple[Kind, ...] = ("error", "no_response")
_ALPHABET = string.ascii_lowercase + string.digits


def new_run_id(k: int = 8) -> str:
    return "".join(random.choices(_ALPHABET, k=k))


def request_id(run: str, worker: str, seq: int) -> str:
    """The id of the `seq`-th request of `worker` in `run` (each part: lower-case letters, digits)."""
    rid = f"hr-{run}-{worker}-{seq}"
    if not is_identifier(rid):
        raise ValueError(f"request id {rid!r}: run and worker must be 1-16 lower-case letters or digits")
    return rid


@dataclass(slots=True)
class Sample:
    """One request: sent at `start` (epoch seconds), answered `ms` later (None: no outcome)."""

    id: str
    scenario: str = ""
    category: str = ""
    worker: str = "local"
    start: float = 0.0
    ms: float | None = None
    status: int | None = None  # HTTP status; 0: no response; None: no outcome recorded
    kind: Kind | None = None
    expected: Expected = "answered"
    error: str | None = None
    route: str | None = None
    escalated: bool | None = None
    escalation_reason: str | None = None
    fallback: str | None = None
    degraded: bool | None = None
    cache_hit: bool | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None
    server_ms: float | None = None
    misrouted: bool | None = None  # answered off its scenario's label (None: no label to judge by)
    # Streamed requests only (None otherwise), ms from the send: the first event, the first with
    # text, and each gap between events with text (chunks, not tokens: see harness.sut._stream).
    ttft_ms: float | None = None
    first_content_ms: float | None = None
    gaps_ms: list[float] | None = None
    chunks: int | None = None
    completed: bool | None = None  # the stream reached its final event (or done line)

    def record(self, outcome: Outcome, ms: float, label: tuple[str | None, bool] | None = None) -> Sample:
        """Fill in what came back; `label` is the scenario's (expected route, escalated)."""
        self.ms, self.kind = round(ms, 3), outcome.kind
        self.status = outcome.http_status if outcome.http_status is not None else 0
        self.error = outcome.error[:200] if outcome.error else None
        if outcome.kind == "answered":
            self.route, self.escalated = outcome.route, outcome.escalated
            self.escalation_reason, self.fallback = outcome.escalation_reason, outcome.fallback
            self.degraded, self.cache_hit = outcome.degraded, outcome.cache_hit
            self.tokens_in, self.tokens_out = outcome.tokens_in, outcome.tokens_out
            self.cost_usd, self.server_ms = outcome.cost_usd, outcome.server_ms
            if label is not None:
                self.misrouted = outcome.route != label[0] or outcome.escalated != label[1]
        return self

    def record_stream(self, timing: Any, completed: bool | None = None) -> Sample:
        """A streamed request's times (a `harness.sut.StreamTiming`), and whether it completed:
        its final event came (False: cut, an error event, or the client's timeout)."""
        self.ttft_ms, self.first_content_ms = timing.ttft_ms, timing.first_content_ms
        self.gaps_ms, self.chunks = list(timing.gaps_ms), timing.chunks
        self.completed = completed
        return self

    @property
    def ok(self) -> bool:
        return self.kind == self.expected

    @property
    def tokens(self) -> int:
        return (self.tokens_in or 0) + (self.tokens_out or 0)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))


COLUMNS: list[str] = [f.name for f in fields(Sample)]
_NUMERIC = (
    "start", "ms", "status", "tokens_in", "tokens_out", "cost_usd", "server_ms",
    "ttft_ms", "first_content_ms", "chunks",
)  # fmt: skip


def read_jsonl(path: Path, offset: int = 0) -> list[dict[str, Any]]:
    """The complete lines of a JSON Lines file from byte `offset`; a line cut short by a killed
    process (or not JSON at all) is skipped."""
    rows = []
    with path.open("rb") as handle:
        handle.seek(offset)
        for line in handle:
            if line.endswith(b"\n"):
                try:
                    doc = json.loads(line)
                except ValueError:
                    continue
                if isinstance(doc, dict):
                    rows.append(doc)
    return rows


def frame(rows: list[dict[str, Any]] | list[Sample]) -> pd.DataFrame:
    """Samples as a frame with every column, numbers as numbers, in order of start time, plus
    `end` (start + ms) and `ok`."""
    import pandas as pd

    records = [asdict(r) if isinstance(r, Sample) else r for r in rows]
    out = pd.DataFrame(records, columns=COLUMNS)
    for column in _NUMERIC:
        out[column] = pd.to_numeric(out[column], errors="coerce")
    out = out.sort_values("start", kind="stable").reset_index(drop=True)
    out["end"] = out["start"] + out["ms"] / 1000
    out["ok"] = out["kind"] == out["expected"]
    return out


def read_samples(folder: Path) -> pd.DataFrame:
    """Every process's samples (`samples-*.jsonl`) in one frame."""
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("samples-*.jsonl")):
        rows += read_jsonl(path)
    return frame(rows)
