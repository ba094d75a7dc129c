"""Reconciliation, the one for every tier (load, chaos, the gate): every request sent is answered or
failed, and the system saw what the client saw.

Client side, by construction of the samples: sent = answered + failed + no outcome, where
answered means the outcome the scenario expects (an answer, or a rejection for one labelled to
be refused), failed means any other outcome (an error reply, a reply that is not the system's,
no response at all: a timeout, a refused connection), and "no outcome" means a request still in
flight when the run stopped. `unclear` counts the failures that leave the caller not knowing
whether to retry (an error without a retry signal, no response).

System side, matching the client's request ids (sent as `X-Request-Id`) to the audit log's
lines of this run (`harness.audit/1`): every request the client got an HTTP status for must have
exactly one audit line with that same status. Lost, which fails a run, is the sum of:

- no_outcome:        sent, but the client recorded no response at all
- missing_in_audit:  the client got an HTTP status, the service has no line for the id
- status_mismatch:   both have the id, with different statuses
- unknown_in_audit:  the service logged an id of this run that the client never recorded
- duplicate_in_audit: the service logged one id more than once

A client timeout (status 0) is a failure, not a loss, with or without an audit line.

A system that keeps no audit log but exports OpenTelemetry traces is reconciled against its spans
instead (`server_record` "spans", `spans_record`): the root server span of each request's trace
(the trace id its traceparent carried) stands for its audit line, with the HTTP status that span
recorded. No span: missing; another status: a mismatch; two root server spans: a duplicate.
A trace cannot name a request the client never sent (its id is a hash), so `unknown_in_audit`
stays 0; and when no request's trace came back at all (the system does not propagate the
traceparent, or exports nothing) every answered request is missing: a system declared traced
promised them. With neither record, only `no_outcome` can be checked (`server_record` null).
The `*_in_audit` fields keep their names for either record.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._sample import UNCLEAR

if TYPE_CHECKING:
    import pandas as pd

    from ..traces import Trace

__all__ = ["Reconciliation", "ServerRecord", "StatusCount", "reconcile", "spans_record"]

ServerRecord = Literal["audit log", "spans"]

_EXAMPLES = 10


class StatusCount(BaseModel):
    """Requests of one HTTP status, as the client and as the system's audit log saw them."""

    model_config = ConfigDict(extra="forbid")
    client: int = 0
    server: int = 0


class Reconciliation(BaseModel):
    """The `requests` section of sla.json and of each chaos.json experiment (see above)."""

    model_config = ConfigDict(extra="forbid")
    sent: int = 0
    answered: int = 0
    failed: int = 0
    no_outcome: int = 0
    unclear: int = 0
    invalid: int = 0  # failed with a 2xx that does not keep the contract (junk, not an answer)
    missing_in_audit: int = 0
    status_mismatch: int = 0
    unknown_in_audit: int = 0
    duplicate_in_audit: int = 0
    late_in_audit: int = 0  # answered by the system after the client had given up
    audit_checked: bool = False  # the audit log was read (server_record "audit log")
    server_record: ServerRecord | None = None  # what the server side was checked against
    by_status: dict[str, StatusCount] = Field(default_factory=dict)
    examples: list[str] = Field(default_factory=list)
    # Stored, not computed, so that the file says it; `reconcile` sets it, reading checks it.
    lost: int = 0

    def unaccounted(self) -> int:
        """What `lost` must be: the requests nobody accounts for."""
        return (
            self.no_outcome + self.missing_in_audit + self.status_mismatch
            + self.unknown_in_audit + self.duplicate_in_audit
        )  # fmt: skip

    @model_validator(mode="after")
    def _lost_adds_up(self) -> Self:
        if self.lost != self.unaccounted():
            raise ValueError(f"lost is {self.lost}, but its parts add up to {self.unaccounted()}")
        return self

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump()


def _status_key(value: Any) -> str:
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    return "none" if missing else str(int(value))


def _client_side(client: pd.DataFrame, rec: Reconciliation) -> None:
    rec.sent = len(client)
    has_status = client["kind"].notna()
    rec.no_outcome = int((~has_status).sum())
    rec.answered = int((has_status & (client["kind"] == client["expected"])).sum())
    rec.failed = int(has_status.sum()) - rec.answered
    rec.unclear = int(client["kind"].isin(UNCLEAR).sum())
    rec.invalid = int((client["kind"] == "invalid").sum())
    rec.examples += [f"{i}: no response recorded" for i in client.loc[~has_status, "id"].head(_EXAMPLES)]
    for status, count in client["status"].value_counts(dropna=False).items():
        rec.by_status.setdefault(_status_key(status), StatusCount()).client = int(count)


def _server_side(
    client: pd.DataFrame, audit: pd.DataFrame, rec: Reconciliation, source: ServerRecord
) -> None:
    rec.audit_checked, rec.server_record = source == "audit log", source
    counts = audit["request_id"].value_counts()
    rec.duplicate_in_audit = int((counts - 1).clip(lower=0).sum())
    lines = "audit lines" if source == "audit log" else "root server spans (served more than once)"
    rec.examples += [f"{i}: {n} {lines}" for i, n in counts[counts > 1].head(_EXAMPLES).items()]
    first = audit.drop_duplicates("request_id").set_index("request_id")["status"]
    for status, count in first.value_counts(dropna=False).items():
        rec.by_status.setdefault(_status_key(status), StatusCount()).server = int(count)
    answered = client[client["status"].notna() & (client["status"] != 0)].set_index("id")["status"]
    in_audit = answered.index.isin(first.index)
    missing = answered.index[~in_audit]
    rec.missing_in_audit = len(missing)
    record = "the audit log" if source == "audit log" else "its spans (no trace came back: sampled out?)"
    rec.examples += [f"{i}: answered to the client, not in {record}" for i in missing[:_EXAMPLES]]
    known = first.dropna()  # a span without an HTTP status says it was seen, not with what
    both = answered[answered.index.isin(known.index)]
    differ = both.index[both.to_numpy() != known.loc[both.index].to_numpy()]
    rec.status_mismatch = len(differ)
    rec.examples += [f"{i}: the client and {source} disagree on the status" for i in differ[:_EXAMPLES]]
    gave_up = client.loc[client["status"] == 0, "id"]
    rec.late_in_audit = int(gave_up.isin(first.index).sum())
    unknown = first.index[~first.index.isin(client["id"])]
    rec.unknown_in_audit = len(unknown)
    rec.examples += [f"{i}: in the audit log, never recorded by the client" for i in unknown[:_EXAMPLES]]


def spans_record(traces: Mapping[str, Trace], request_ids: Iterable[str]) -> pd.DataFrame:
    """The system's spans as its record of the requests (columns `request_id`, `status`, like an
    audit log's): a row per root server span of each request's trace, or one with no status for a
    trace without one. Empty when no request's trace came back: the system was declared traced,
    so every answered request is then missing (it exports nothing, or drops the traceparent)."""
    import pandas as pd

    from ..traces import trace_id_for

    rows = []
    for rid in request_ids:
        trace = traces.get(trace_id_for(rid))
        if trace is not None:
            statuses: list[int | None] = [*trace.http_statuses()] or [None]
            rows += [{"request_id": rid, "status": s} for s in statuses]
    record = pd.DataFrame(rows, columns=["request_id", "status"])
    record["status"] = pd.to_numeric(record["status"], errors="coerce")
    return record


def reconcile(
    client: pd.DataFrame, audit: pd.DataFrame | None, spans: Mapping[str, Trace] | None = None
) -> Reconciliation:
    """Account for every request of the run against the system's own record: its audit log
    (`audit`, None when it keeps none), else its traces by trace id (`spans`), else nothing."""
    rec = Reconciliation()
    _client_side(client, rec)
    if audit is not None:
        _server_side(client, audit, rec, "audit log")
    elif spans is not None:
        _server_side(client, spans_record(spans, client["id"].astype(str)), rec, "spans")
    rec.by_status = dict(sorted(rec.by_status.items()))
    rec.lost = rec.unaccounted()
    return rec
