"""Measurement, once for every tier: the sample, the audit log, reconciliation and the statistics.

    from harness.measure import Sample, frame, reconcile, read_audit, percentile

Load runs, chaos experiments and the release gate count requests by the same definitions
(answered, failed, unclear, lost: see `_sample` and `_reconcile`), read a system's audit log with
the same reader (format `harness.audit/1`, `_audit`), and take percentiles by the same
convention (nearest rank, q in 0..1, with bootstrap intervals: `_stats`). The reports the load
and chaos tiers hand the release report are typed here, below all three: `SlaReport` (sla.json)
and `ChaosReport` (chaos.json).
"""

from ._audit import (
    AGENT_COLUMNS,
    AUDIT_COLUMNS,
    AUDIT_FORMAT,
    AUDIT_SCOPE_KEY,
    AuditLog,
    AuditMiddleware,
    audit_fields,
    read_audit,
)
from ._chaos_report import ChaosReport, ChaosRequests, ExperimentResult, FaultFired, PhaseStats
from ._reconcile import Reconciliation, ServerRecord, StatusCount, reconcile, spans_record
from ._sample import COLUMNS, UNCLEAR, Sample, frame, new_run_id, read_jsonl, read_samples, request_id
from ._sla_report import Check, RunHeader, SlaReport
from ._stats import (
    PERCENTILES,
    bootstrap_diff,
    mann_whitney_greater,
    mean_ci,
    percentile,
    percentile_ci,
    percentile_rows,
    percentiles,
    proportion_ci,
    quick_percentiles,
    two_proportions_greater,
)

__all__ = [
    "AGENT_COLUMNS",
    "AUDIT_COLUMNS",
    "AUDIT_FORMAT",
    "AUDIT_SCOPE_KEY",
    "COLUMNS",
    "PERCENTILES",
    "UNCLEAR",
    "AuditLog",
    "AuditMiddleware",
    "ChaosReport",
    "ChaosRequests",
    "Check",
    "ExperimentResult",
    "FaultFired",
    "PhaseStats",
    "Reconciliation",
    "RunHeader",
    "Sample",
    "ServerRecord",
    "SlaReport",
    "StatusCount",
    "audit_fields",
    "bootstrap_diff",
    "frame",
    "mann_whitney_greater",
    "mean_ci",
    "new_run_id",
    "percentile",
    "percentile_ci",
    "percentile_rows",
    "percentiles",
    "proportion_ci",
    "quick_percentiles",
    "read_audit",
    "read_jsonl",
    "read_samples",
    "reconcile",
    "request_id",
    "spans_record",
    "two_proportions_greater",
]
