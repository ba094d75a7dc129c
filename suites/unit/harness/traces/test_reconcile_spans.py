"""A system that keeps no audit log is reconciled against its spans: each request's root server
span stands for its audit line. Every kind of loss the spans can show is shown counted as lost."""

from __future__ import annotations

import pandas as pd
import pytest

from harness.measure import COLUMNS, reconcile, spans_record
from harness.traces import Span, Trace, group_traces, trace_id_for

_KIND = {200: "answered", 503: "retriable", 0: "no_response"}


def _client(rows: list[tuple[str, int | None]]) -> pd.DataFrame:
    """Samples from (id, the HTTP status the client got, None for no outcome); all expect 200."""
    docs = [
        {"id": i, "status": s, "kind": None if s is None else _KIND[s], "expected": "answered"}
        for i, s in rows
    ]
    frame = pd.DataFrame(docs, columns=COLUMNS)
    frame["status"] = pd.to_numeric(frame["status"])
    return frame


def _server_span(rid: str, n: int, status: int | None, parent: str = "f" * 16) -> Span:
    attributes = {} if status is None else {"http.response.status_code": status}
    return Span(
        trace_id=trace_id_for(rid), span_id=f"{n:016x}", parent_span_id=parent, name="POST /ask",
        kind="server", start_ns=n, end_ns=n + 10, attributes=attributes,
    )  # fmt: skip


def _traces(*spans: Span) -> dict[str, Trace]:
    return group_traces(spans)


def test_every_request_with_its_server_span_and_status_reconciles_with_nothing_lost() -> None:
    client = _client([("a", 200), ("b", 503), ("c", 0)])
    spans = _traces(_server_span("a", 1, 200), _server_span("b", 2, 503))
    rec = reconcile(client, None, spans=spans)
    assert rec.server_record == "spans" and not rec.audit_checked
    assert (rec.sent, rec.answered, rec.failed, rec.lost) == (3, 1, 2, 0), rec
    assert rec.by_status["503"].server == 1


@pytest.mark.parametrize(
    ("client", "spans", "kind"),
    [
        ([("a", 200), ("b", 200)], [_server_span("a", 1, 200)], "missing_in_audit"),
        ([("a", 200)], [_server_span("a", 1, 500)], "status_mismatch"),
        ([("a", 200)], [_server_span("a", 1, 200), _server_span("a", 2, 200)], "duplicate_in_audit"),
        ([("a", 200), ("b", None)], [_server_span("a", 1, 200)], "no_outcome"),
    ],
    ids=["no span", "span says 500", "served twice", "no outcome"],
)
def test_each_loss_the_spans_show_is_counted_lost(client: list, spans: list[Span], kind: str) -> None:
    rec = reconcile(_client(client), None, spans=_traces(*spans))
    assert rec.server_record == "spans" and getattr(rec, kind) == 1 and rec.lost == 1, rec
    assert rec.examples


def test_a_client_timeout_the_system_answered_later_is_late_not_lost() -> None:
    rec = reconcile(_client([("a", 0)]), None, spans=_traces(_server_span("a", 1, 200)))
    assert rec.late_in_audit == 1 and rec.lost == 0


def test_a_trace_without_an_http_status_says_the_request_was_seen_but_not_with_what() -> None:
    # An in-process system's spans, or an agent framework's alone: no HTTP server span.
    spans = _traces(_server_span("a", 1, None))
    assert spans_record(spans, ["a"])["status"].isna().all()
    rec = reconcile(_client([("a", 200)]), None, spans=spans)
    assert rec.missing_in_audit == 0 and rec.status_mismatch == 0 and rec.lost == 0


def test_a_nested_server_span_is_not_a_second_serving() -> None:
    # A gateway and the service behind it: the service's SERVER span has a parent in the trace.
    gateway = _server_span("a", 1, 200)
    service = _server_span("a", 2, 200, parent=gateway.span_id)
    rec = reconcile(_client([("a", 200)]), None, spans=_traces(gateway, service))
    assert rec.duplicate_in_audit == 0 and rec.lost == 0


def test_a_traced_system_whose_spans_name_no_request_sent_has_every_answer_missing() -> None:
    # It does not propagate the traceparent: its traces have ids of their own, which cannot be
    # matched to a request (nor counted as unknown: a trace id does not name a request).
    other = Span(trace_id="1" * 32, span_id="2" * 16, name="POST /ask", start_ns=1, end_ns=2,
                 attributes={"http.response.status_code": 200})  # fmt: skip
    spans = _traces(other)
    assert spans_record(spans, ["a", "b"]).empty
    rec = reconcile(_client([("a", 200), ("b", 200), ("c", 0)]), None, spans=spans)
    assert rec.server_record == "spans" and rec.missing_in_audit == 2 and rec.lost == 2, rec
    assert rec.unknown_in_audit == 0 and "no trace came back" in rec.examples[0]


def test_an_audit_log_wins_over_spans() -> None:
    audit = pd.DataFrame([{"request_id": "a", "status": 200}])
    rec = reconcile(_client([("a", 200)]), audit, spans=_traces(_server_span("a", 1, 500)))
    assert rec.server_record == "audit log" and rec.audit_checked and rec.lost == 0
