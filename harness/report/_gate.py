"""The release gate: GO or NO-GO from the summary's measured values and `[tool.harness.gate]`.

    [tool.harness.gate]
    coverage_line_min = 90.0        # % of the system under test's lines (coverage.py)
    coverage_branch_min = 85.0      # % of its branches
    graph_edge_coverage_min = 100.0 # % of the graph's edges exercised (in process or over HTTP)
    unit_pass_rate_min = 1.0        # passed / (tests - skipped), per tier; a tier that did not
    integration_pass_rate_min = 1.0 #   run fails its gate
    system_pass_rate_min = 1.0
    chaos_pass_rate_min = 1.0
    sla_required = true             # a load run's sla.json must be there and every check pass
    chaos_held_min = 1.0            # share of chaos experiments (resilience on) that held
    lost_requests_max = 0           # requests nobody accounts for (harness.measure: no outcome, or
                                    #   the audit log disagreeing), load run and chaos runs summed
    trials_pass_k_min = 0.9         # reports/trials.json's pooled pass^k (`harness trials`); off when unset
    trials_pass_k = 4               #   its k (default: the run's); needs --repeat >= k
    trials_confidence = 0.95        #   the interval's level: INCONCLUSIVE when it straddles the minimum
    mutation_score_min = 0.8        # reports/mutation.json's score (`harness mutate`); off when unset

A gate whose interval straddles its limit is neither passed nor failed: the verdict is then
INCONCLUSIVE (unless another gate fails: NO-GO), with how many more trials would settle it.
`harness gate` exits 1 for it, as for NO-GO: it is not a release.

`false` turns a threshold off; env `HARNESS_GATE_<KEY>` overrides. Missing evidence is never a
pass: no coverage figure, no sla.json, no chaos run each fail the gate that needs them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from .._config import HarnessSettings, build_settings
from ._summary import GateResult, Summary

__all__ = ["GateSettings", "evaluate", "load_gate_settings", "verdict"]

_TIERS = ("unit", "integration", "system", "chaos")


class GateSettings(HarnessSettings):
    model_config = SettingsConfigDict(
        env_prefix="HARNESS_GATE_",
        extra="forbid",
        frozen=True,
        pyproject_toml_table_header=("tool", "harness", "gate"),
    )

    coverage_line_min: float | None = Field(90.0, ge=0, le=100)
    coverage_branch_min: float | None = Field(85.0, ge=0, le=100)
    graph_edge_coverage_min: float | None = Field(100.0, ge=0, le=100)
    unit_pass_rate_min: float | None = Field(1.0, ge=0, le=1)
    integration_pass_rate_min: float | None = Field(1.0, ge=0, le=1)
    system_pass_rate_min: float | None = Field(1.0, ge=0, le=1)
    chaos_pass_rate_min: float | None = Field(1.0, ge=0, le=1)
    sla_required: bool = True
    chaos_held_min: float | None = Field(1.0, ge=0, le=1)
    lost_requests_max: int | None = Field(0, ge=0)
    trials_pass_k_min: float | None = Field(None, ge=0, le=1)  # off unless set: not every run repeats
    trials_pass_k: int | None = Field(None, ge=1)  # None: the k the run reported
    trials_confidence: float | None = Field(0.95, gt=0, lt=1)
    mutation_score_min: float | None = Field(None, ge=0, le=1)  # off unless set: not every run mutates

    @field_validator("*", mode="before")
    @classmethod
    def _false_is_off(cls, value: Any, info: Any) -> Any:
        # TOML has no null: `false` turns a threshold off, as in [tool.harness.sla].
        if info.field_name != "sla_required" and (value is False or value in ("false", "off")):
            return None
        return value


def load_gate_settings(pyproject: str | Path | None = None, **overrides: Any) -> GateSettings:
    return build_settings(GateSettings, pyproject, **overrides)


def _result(
    group: str, name: str, value: float | None, op: str, threshold: float | None, unit: str, what: str
) -> GateResult:
    assert threshold is not None
    if value is None:
        passed, reason = False, f"{what}: not measured, so no evidence (needs {op} {_fmt(threshold, unit)})"
    else:
        passed = value >= threshold if op == ">=" else value <= threshold
        word = "meets" if passed else "misses"
        reason = f"{what} {_fmt(value, unit)} {word} {op} {_fmt(threshold, unit)}"
    return GateResult(
        name=name,
        group=group,
        value=value,
        threshold=threshold,
        op=op,
        unit=unit,
        passed=passed,
        reason=reason,
    )


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.2f}%"
    if unit == "ratio":
        return f"{100 * value:.2f}%"
    return f"{value:g}" + (f" {unit}" if unit else "")


def _coverage(s: Summary, g: GateSettings) -> list[GateResult]:
    out = []
    cov = s.coverage
    if g.coverage_line_min is not None:
        value = cov.line_pct if cov else None
        out.append(
            _result("coverage", "coverage.line", value, ">=", g.coverage_line_min, "%", "line coverage")
        )
    if g.coverage_branch_min is not None:
        value = cov.branch_pct if cov else None
        out.append(
            _result("coverage", "coverage.branch", value, ">=", g.coverage_branch_min, "%", "branch coverage")
        )
    if g.graph_edge_coverage_min is not None:
        value = s.graph.edge_coverage_pct if s.graph else None
        out.append(
            _result(
                "coverage",
                "coverage.graph_edges",
                value,
                ">=",
                g.graph_edge_coverage_min,
                "%",
                "graph edge coverage",
            )
        )
    return out


def _pyramid(s: Summary, g: GateSettings) -> list[GateResult]:
    out = []
    tiers = {t.tier: t for t in s.pyramid.tiers}
    for tier in _TIERS:
        minimum = getattr(g, f"{tier}_pass_rate_min")
        if minimum is None:
            continue
        t = tiers.get(tier)
        rate = t.pass_rate if t and t.ran else None
        r = _result("pyramid", f"pyramid.{tier}", rate, ">=", minimum, "ratio", f"{tier} tier pass rate")
        if t and t.ran:
            r.reason += f" ({t.passed} passed, {t.failed} failed, {t.errors} errors, {t.skipped} skipped)"
        elif not (t and t.ran):
            r.reason = f"{tier} tier did not run (no junit/{tier}.xml): no evidence, so no pass"
        if r.passed and t and t.exit_code not in (None, 0):
            # Every test passed, yet pytest failed: a crash, a collection error, a coverage floor.
            r.passed, r.reason = False, f"{r.reason}; but the tier's pytest exited {t.exit_code}"
        out.append(r)
    return out


def _sla(s: Summary, g: GateSettings) -> list[GateResult]:
    if not g.sla_required:
        return []
    if s.sla is None:
        reason = "no load run report (sla.json): run the system tier or `harness load`"
        return [
            GateResult(
                name="sla",
                group="sla",
                value=None,
                threshold=None,
                op="pass",
                unit="",
                passed=False,
                reason=reason,
            )
        ]
    out = []
    for c in s.sla.checks:
        value = "not measured" if c.value is None else f"{c.value:.4g}"
        word = "meets" if c.passed else "misses"
        hedge = "" if c.decisive else " (not decisive: the 95% interval straddles the limit)"
        out.append(
            GateResult(
                name=f"sla.{c.name}",
                group="sla",
                value=c.value,
                threshold=c.limit,
                op=c.op,
                unit=c.unit,
                passed=c.passed,
                reason=f"SLA {c.name}: {c.metric} {value} {word} {c.op} {c.limit:g}{hedge}",
            )
        )
    return out


def _chaos(s: Summary, g: GateSettings) -> list[GateResult]:
    if g.chaos_held_min is None:
        return []
    c = s.chaos
    share = c.held / c.on_runs if c and c.on_runs else None
    r = _result("chaos", "chaos.held", share, ">=", g.chaos_held_min, "ratio", "chaos hypotheses held")
    if c and c.on_runs:
        broke = [
            e.name + (" (not exercised)" if e.verdict == "not_exercised" else "")
            for e in c.experiments
            if e.resilience == "on" and not e.held and e.verdict != "not_applicable"
        ]
        r.reason += f" ({c.held} of {c.on_runs}" + (f"; not held: {', '.join(broke)}" if broke else "")
        r.reason += f"; {c.not_applicable} not applicable, not counted)" if c.not_applicable else ")"
    return [r]


def _lost(s: Summary, g: GateSettings) -> list[GateResult]:
    if g.lost_requests_max is None:
        return []
    parts: list[tuple[str, int]] = []
    if s.sla is not None:
        parts.append(("load run", s.sla.lost))
    if s.chaos is not None:
        parts.append(("chaos", s.chaos.lost))
    value = float(sum(v for _, v in parts)) if parts else None
    r = _result("lost", "lost", value, "<=", g.lost_requests_max, "requests", "lost requests")
    if parts:
        # Lost means the one thing harness.measure says: sent, and accounted for by nobody.
        r.reason += " (unaccounted for: " + ", ".join(f"{n} {v}" for n, v in parts) + ")"
    return [r]


def _trials(s: Summary, g: GateSettings) -> list[GateResult]:
    if g.trials_pass_k_min is None:
        return []
    from ..trials import decide, more_trials, pooled  # only a gate with a trials threshold pays

    t, limit, level = s.trials, g.trials_pass_k_min, g.trials_confidence or 0.95
    k = g.trials_pass_k or (t.k if t else 1)
    counts = [(float(x.n), float(x.passed)) for x in t.scenarios if x.n >= k] if t else []
    what = f"pass^{k} over scenarios ({100 * level:g}% interval)"
    r = _result("trials", "trials.pass_k", None, ">=", limit, "ratio", what)
    if t is None or not counts:
        ran = "no trials run (reports/trials.json)" if t is None else f"no scenario ran {k} times"
        r.reason = f"{ran}: run `harness trials --repeat {k}`; no evidence, so no pass"
        return [r]
    est = pooled(counts, k, level)
    found = decide(est, limit)
    r.value, r.passed, r.inconclusive = est.value, found == "pass", found == "inconclusive"
    shown = f"{what} {_fmt(est.value, 'ratio')} [{_fmt(est.low, 'ratio')}, {_fmt(est.high, 'ratio')}]"
    word = "meets" if r.passed else "misses"
    r.reason = f"{shown} {word} >= {_fmt(limit, 'ratio')} ({len(counts)} scenarios)"
    if r.inconclusive:
        extra = more_trials(counts, limit, k=k, confidence=level)
        settle = (
            f"about {extra} more trials of every scenario would settle it (each rate staying as it is)"
            if extra is not None
            else "more repeats would not settle it (the scenarios differ among themselves): add scenarios"
        )
        r.reason = f"INCONCLUSIVE: {shown} straddles >= {_fmt(limit, 'ratio')}; {settle}"
    return [r]


def _mutation(s: Summary, g: GateSettings) -> list[GateResult]:
    if g.mutation_score_min is None:
        return []
    m = s.mutation
    value = m.score if m else None
    r = _result("mutation", "mutation.score", value, ">=", g.mutation_score_min, "ratio", "mutation score")
    if m is None:
        r.reason = "no mutation run (reports/mutation.json): run `harness mutate`; no evidence, so no pass"
    else:
        r.reason += f" ({m.run} mutants run, {m.survivors_total} survived)"
    return [r]


def evaluate(summary: Summary, settings: GateSettings) -> list[GateResult]:
    """Every gate in force, in report order: coverage, pyramid, SLA, chaos, lost requests, trials,
    mutation."""
    checks = (_coverage, _pyramid, _sla, _chaos, _lost, _trials, _mutation)
    return [r for check in checks for r in check(summary, settings)]


def verdict(gates: list[GateResult]) -> Literal["GO", "NO-GO", "INCONCLUSIVE"]:
    """GO when every gate passes; INCONCLUSIVE when the only ones that do not are inconclusive."""
    if gates and all(g.passed for g in gates):
        return "GO"
    if gates and all(g.passed or g.inconclusive for g in gates):
        return "INCONCLUSIVE"
    return "NO-GO"
