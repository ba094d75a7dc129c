"""SLA thresholds (`[tool.harness.sla]`, overridable per profile) and their evaluation.

    [tool.harness.sla]
    p95_ms_max = 2000              # client-side end-to-end P95 < 2000 ms
    error_rate_max = 0.02          # failed / sent < 2%
    invalid_rate_max = 0           # 2xx replies that break the contract / sent <= 0 (none at all)
    escalation_rate_min = 0.15     # escalated / answered between 15% ...
    escalation_rate_max = 0.20     # ... and 20%, both inclusive
    tokens_per_request_max = 12000 # mean tokens in + out per answered request < 12,000

Also known, off unless set: `p50_ms_max`, `p99_ms_max`, `p999_ms_max`,
`cost_per_request_usd_max`, `cache_hit_rate_min`, and for streamed runs `ttft_p95_ms_max`,
`first_content_p95_ms_max`, `itl_p99_ms_max` (inter-chunk gaps) and `goodput_min` (the share of
requests meeting every latency SLO set; see _streaming). `false` turns a default off. A `_max` bound is
strict (the value must stay below it), a `_min` bound, the escalation band and
`invalid_rate_max` are inclusive. An invalid reply (an empty answer and no escalation, a route off
the declared vocabulary, a 2xx that is not the declared JSON) is a failure too: it counts in the
error rate, and apart.

Each check reports the measured value with its bootstrap 95% interval; the verdict uses the value,
and `decisive` says whether the whole interval falls on the same side (a run too short to tell
shows `decisive: false`). Beside the thresholds, a run fails when any request is lost (see
_reconcile) or none was sent: numbers from an unaccounted run are not evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .._config import find_pyproject, read_toml, table
from .._exceptions import LoadError
from ..measure import Check

__all__ = ["SLA", "Check", "evaluate", "load_sla"]


class SLA(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    p50_ms_max: float | None = Field(None, gt=0)
    p95_ms_max: float | None = Field(2000.0, gt=0)
    p99_ms_max: float | None = Field(None, gt=0)
    p999_ms_max: float | None = Field(None, gt=0)
    error_rate_max: float | None = Field(0.02, ge=0, le=1)
    invalid_rate_max: float | None = Field(0.0, ge=0, le=1)  # answers that break the contract
    escalation_rate_min: float | None = Field(0.15, ge=0, le=1)
    escalation_rate_max: float | None = Field(0.20, ge=0, le=1)
    tokens_per_request_max: float | None = Field(12_000.0, gt=0)
    cost_per_request_usd_max: float | None = Field(None, gt=0)
    cache_hit_rate_min: float | None = Field(None, ge=0, le=1)
    # Streamed runs (`stream = true` profiles): see harness.load._streaming.
    ttft_p95_ms_max: float | None = Field(None, gt=0)  # the first event
    first_content_p95_ms_max: float | None = Field(None, gt=0)  # the first text
    itl_p99_ms_max: float | None = Field(None, gt=0)  # the gaps between chunks
    goodput_min: float | None = Field(None, ge=0, le=1)  # requests meeting every latency SLO / sent

    @field_validator("*", mode="before")
    @classmethod
    def _false_turns_off(cls, value: Any) -> Any:
        return None if value is False else value


# threshold -> (metric path in the report, operator, unit)
_CHECKS: dict[str, tuple[str, str, str]] = {
    "p50_ms_max": ("latency_ms.client.p50", "<", "ms"),
    "p95_ms_max": ("latency_ms.client.p95", "<", "ms"),
    "p99_ms_max": ("latency_ms.client.p99", "<", "ms"),
    "p999_ms_max": ("latency_ms.client.p999", "<", "ms"),
    "error_rate_max": ("rates.error", "<", "ratio"),
    "invalid_rate_max": ("rates.invalid", "<=", "ratio"),
    "escalation_rate_min": ("rates.escalation", ">=", "ratio"),
    "escalation_rate_max": ("rates.escalation", "<=", "ratio"),
    "tokens_per_request_max": ("tokens.per_request", "<", "tokens"),
    "cost_per_request_usd_max": ("cost_usd.per_request", "<", "usd"),
    "cache_hit_rate_min": ("rates.cache_hit", ">=", "ratio"),
    "ttft_p95_ms_max": ("streaming.ttft_ms.p95", "<", "ms"),
    "first_content_p95_ms_max": ("streaming.first_content_ms.p95", "<", "ms"),
    "itl_p99_ms_max": ("streaming.inter_chunk_ms.p99", "<", "ms"),
    "goodput_min": ("streaming.goodput", ">=", "ratio"),
}


def _describe(exc: ValidationError, source: str) -> str:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "(table)"
    if err["type"] == "extra_forbidden":
        return f"{source}: unknown key {key!r}; known: {', '.join(SLA.model_fields)}"
    return f"{source}: {key} = {err.get('input')!r}: {err['msg']}"


def load_sla(
    pyproject: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    profile: str | None = None,
) -> SLA:
    """Defaults < `[tool.harness.sla]` < the profile's `sla` table; a bad key is named."""
    found = Path(pyproject) if pyproject else find_pyproject()
    source = f"{found} [tool.harness.sla]"
    base = table(read_toml(found, LoadError), "tool.harness.sla", source=source) if found else {}
    try:
        sla = SLA.model_validate(base)
    except ValidationError as exc:
        raise LoadError(_describe(exc, source)) from None
    if not overrides:
        return sla
    where = f"load profile {profile!r} sla" if profile else "sla overrides"
    try:
        return SLA.model_validate({**base, **overrides})
    except ValidationError as exc:
        raise LoadError(_describe(exc, where)) from None


def _holds(value: float, op: str, limit: float) -> bool:
    return {"<": value < limit, "<=": value <= limit, ">=": value >= limit, "==": value == limit}[op]


def _lookup(metrics: Mapping[str, Any], path: str) -> Mapping[str, Any] | None:
    node: Any = metrics
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node if isinstance(node, Mapping) else None


def _check(name: str, metric: str, op: str, unit: str, limit: float, stat: Mapping[str, Any] | None) -> Check:
    value = None if stat is None else stat.get("value")
    ci = None if stat is None else stat.get("ci95")
    if value is None:  # nothing measured (e.g. no request answered): not a pass
        return Check(
            name=name,
            metric=metric,
            op=op,
            limit=limit,
            value=None,
            ci95=None,
            unit=unit,
            passed=False,
            decisive=False,
        )
    passed = _holds(value, op, limit)
    decisive = ci is not None and _holds(ci[0], op, limit) == passed and _holds(ci[1], op, limit) == passed
    return Check(
        name=name,
        metric=metric,
        op=op,
        limit=limit,
        value=value,
        ci95=tuple(ci) if ci is not None else None,
        unit=unit,
        passed=passed,
        decisive=decisive,
    )


def evaluate(sla: SLA, metrics: Mapping[str, Any], *, lost: int, sent: int) -> list[Check]:
    """Every configured threshold against `metrics`, then the run's own conditions."""
    checks = []
    for name, (metric, op, unit) in _CHECKS.items():
        limit = getattr(sla, name)
        if limit is not None:
            checks.append(_check(name, metric, op, unit, float(limit), _lookup(metrics, metric)))
    exact = {"ci95": None}
    checks.append(_check("lost_max", "requests.lost", "==", "requests", 0.0, {"value": float(lost), **exact}))
    checks.append(_check("sent_min", "requests.sent", ">=", "requests", 1.0, {"value": float(sent), **exact}))
    for check in checks[-2:]:
        check.decisive = True  # counts, not estimates
    return checks
