"""Failures tagged by MAST, the taxonomy of multi-agent LLM failures (Cemri et al. 2025, "Why Do
Multi-Agent LLM Systems Fail?"): 3 categories, 14 modes.

The harness cannot read an agent's mind; it tags a mode only where what it observes points to
one, and lists every tag with its evidence. The mapping (also in docs/summary-schema.md):

    observation                                             mode(s)
    answered on the wrong route (load run vs labels)        FM-2.3 task derailment, FM-1.2 role
    a required escalation did not happen; escalation SLA    FM-1.1 disobey task specification
    lost request (reconciliation), dropped handoff          FM-2.4 withholding, FM-1.4 lost history
    invalid handoff caught and escalated                    FM-2.4, FM-1.4 (contained)
    schema violation / garbled handoff passed through       FM-3.2 no or incomplete verification
    unrecognised route label, escalated                     FM-2.2 fail to ask for clarification (contained)
    hung request: no response, deadline passed              FM-1.5 unaware of termination conditions
    duplicated handoff, token budget or inflation breached  FM-1.3 step repetition
    empty or truncated answer not caught                    FM-3.1 premature termination
    hallucinated tool call not caught                       FM-2.6 reasoning-action mismatch
    spans: one agent visited 3+ times in a request          FM-1.3 step repetition
    spans: an LLM output stopped at its token limit         FM-3.1 premature termination
    spans: the system's span disagrees with the reply's status  FM-2.4 information withholding
    failed test: by keywords of its name and message        see TEST_RULES (first match)

"Contained" means the system noticed and handed the query to a human: shown, not a breach.
Tests of the harness's own parts (marker `harness_self`: proxy, mock LLM, stack, this report)
are never tagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..traces import TracesRun
from ._summary import ChaosSection, Evidence, FailedTest, MastTag, SlaSection

__all__ = [
    "CATEGORIES",
    "MODES",
    "TEST_RULES",
    "Observation",
    "tag",
    "tag_chaos",
    "tag_sla",
    "tag_tests",
    "tag_traces",
]

CATEGORIES = {
    "FC1": "Specification and system design",
    "FC2": "Inter-agent misalignment",
    "FC3": "Task verification",
}
MODES = {
    "FM-1.1": "Disobey task specification",
    "FM-1.2": "Disobey role specification",
    "FM-1.3": "Step repetition",
    "FM-1.4": "Loss of conversation history",
    "FM-1.5": "Unaware of termination conditions",
    "FM-2.1": "Conversation reset",
    "FM-2.2": "Fail to ask for clarification",
    "FM-2.3": "Task derailment",
    "FM-2.4": "Information withholding",
    "FM-2.5": "Ignored other agent's input",
    "FM-2.6": "Reasoning-action mismatch",
    "FM-3.1": "Premature termination",
    "FM-3.2": "No or incomplete verification",
    "FM-3.3": "Incorrect verification",
}


@dataclass(frozen=True)
class Observation:
    modes: tuple[str, ...]
    source: str
    detail: str
    contained: bool = False


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    modes: tuple[str, ...]


def _rule(pattern: str, *modes: str) -> _Rule:
    return _Rule(re.compile(pattern, re.IGNORECASE), modes)


#: Keywords in a failed test's id and message -> modes. The first rule that matches decides, so
#: the specific come first: "test_dropped_handoff_escalates" is about the handoff, not escalation.
TEST_RULES = (
    _rule(r"handoff|\blost\b|_lost|dropped", "FM-2.4", "FM-1.4"),
    _rule(r"unrecogni[sz]ed|ambiguous|clarif", "FM-2.2"),
    _rule(r"\bhang|_hang|\bhung|deadline|termination", "FM-1.5"),
    _rule(r"hallucinat|tool_call", "FM-2.6"),
    _rule(r"schema|invalid_output|repair|malformed", "FM-3.2"),
    _rule(r"truncat|empty_answer|premature", "FM-3.1"),
    _rule(r"\bloop|repeat|repetition|duplicate|token_budget|inflation", "FM-1.3"),
    _rule(r"misrout|wrong[_ ]?route|routing|route_correct", "FM-2.3", "FM-1.2"),
    _rule(r"session|history|reset_conversation", "FM-2.1"),
    _rule(r"ignor", "FM-2.5"),
    _rule(r"confidence|verif", "FM-3.3"),
    _rule(r"\bpii\b|_pii|leak|redact", "FM-1.1"),
    _rule(r"escalat|policy|vip|cancellation|refund", "FM-1.1"),
)

#: Chaos fault kinds whose failed hypothesis points at a mode by itself.
FAULT_MODES = {
    "drop": ("FM-2.4", "FM-1.4"),
    "corrupt": ("FM-3.2",),
    "duplicate": ("FM-1.3",),
    "delay": ("FM-1.5",),
    "hang": ("FM-1.5",),
    "invalid_route": ("FM-2.2",),
    "schema_violation": ("FM-3.2",),
    "malformed": ("FM-3.2",),
    "hallucinated_tool": ("FM-2.6",),
    "empty": ("FM-3.1",),
    "truncated": ("FM-3.1",),
}
_VIOLATION_MODES = (
    (re.compile(r"misrouted_rate"), ("FM-2.3",)),
    (re.compile(r"token_inflation"), ("FM-1.3",)),
    (re.compile(r"^lost "), ("FM-2.4", "FM-1.4")),
)


def tag_tests(failed: Iterable[FailedTest]) -> list[Observation]:
    out = []
    for test in failed:
        if test.subject == "harness":
            continue  # a test of the harness's own machinery says nothing about the agents
        text = f"{test.classname}.{test.name} {test.message}"
        modes = next((r.modes for r in TEST_RULES if r.pattern.search(text)), ())
        test.mast = list(modes)
        if modes:
            detail = f"{test.classname}::{test.name} failed: {test.message or test.kind}"
            out.append(Observation(modes, f"junit:{test.tier}", detail))
    return out


def tag_sla(
    sla: SlaSection,
    labelled: dict[str, int],
    reasons: dict[str, int],
    contained: dict[str, list[str]] | None = None,
) -> list[Observation]:
    """`labelled`: counts from the samples against the scenario labels (`wrong_route`,
    `missed_escalation`); `reasons`: escalation reason -> answers; `contained`: the reasons with
    which the system escalates a failure it caught itself, and the MAST modes of each (declared:
    `[tool.harness.system.vocabulary] contained_reasons`)."""
    src, out = f"sla:{sla.profile}", []
    if labelled.get("missed_escalation"):
        out.append(
            Observation(
                ("FM-1.1",),
                src,
                f"{labelled['missed_escalation']} answers the labels send to "
                "a human were answered by an agent",
            )
        )
    if labelled.get("wrong_route"):
        out.append(
            Observation(
                ("FM-2.3", "FM-1.2"),
                src,
                f"{labelled['wrong_route']} answers on a route other than the labelled one",
            )
        )
    for check in sla.checks:
        if check.passed:
            continue
        if check.name.startswith("escalation_rate"):
            out.append(Observation(("FM-1.1",), src, f"SLA {check.name}: {check.value} vs {check.limit}"))
        elif check.name == "tokens_per_request_max":
            out.append(Observation(("FM-1.3",), src, f"tokens per request {check.value} >= {check.limit}"))
    if sla.lost:
        out.append(Observation(("FM-2.4", "FM-1.4"), src, f"{sla.lost} requests lost (reconciliation)"))
    hung = labelled.get("no_response", 0) + sla.no_outcome
    if hung:
        out.append(
            Observation(("FM-1.5",), src, f"{hung} requests hung: no response before the client gave up")
        )
    for reason, modes in (contained or {}).items():
        if reasons.get(reason):
            detail = f"{reasons[reason]} answers escalated with reason {reason}"
            out.append(Observation(tuple(modes), src, detail, contained=True))
    return out


def tag_chaos(chaos: ChaosSection) -> list[Observation]:
    out = []
    for e in chaos.experiments:
        if e.resilience != "on" or e.verdict != "failed":
            continue  # bite runs are meant to fail; aborted ones injected nothing
        modes = FAULT_MODES.get(e.fault, ())
        for violation in e.violations:
            modes += tuple(m for pattern, ms in _VIOLATION_MODES if pattern.search(violation) for m in ms)
        if modes:
            detail = f"{e.title} ({e.fault}): {'; '.join(e.violations) or 'hypothesis failed'}"
            out.append(Observation(tuple(dict.fromkeys(modes)), f"chaos:{e.name}", detail))
    return out


#: What a run's spans show -> modes (`harness.traces` findings).
_TRACE_MODES = {"loop": ("FM-1.3",), "truncated": ("FM-3.1",), "status_mismatch": ("FM-2.4",)}


def tag_traces(runs: Iterable[TracesRun]) -> list[Observation]:
    """Loops between agents, LLM outputs cut at their token limit, and replies whose status the
    system's own spans contradict: seen only in the spans, for any traced system."""
    return [
        Observation(_TRACE_MODES[f.kind], f"traces:{run.source}", f"{f.count} x {f.kind}: {f.example}")
        for run in runs
        for f in run.findings
    ]


def tag(observations: Iterable[Observation]) -> list[MastTag]:
    """One tag per (mode, contained), in taxonomy order, escaped failures first."""
    grouped: dict[tuple[str, bool], list[Evidence]] = {}
    for obs in observations:
        for mode in obs.modes:
            grouped.setdefault((mode, obs.contained), []).append(
                Evidence(source=obs.source, detail=obs.detail)
            )
    tags = [
        MastTag(
            mode=mode,
            name=MODES[mode],
            category=CATEGORIES[f"FC{mode[3]}"],
            contained=contained,
            count=len(evidence),
            evidence=evidence,
        )
        for (mode, contained), evidence in grouped.items()
    ]
    return sorted(tags, key=lambda t: (t.contained, t.mode))
