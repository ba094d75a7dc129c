"""Deterministic deepeval metrics for multi-agent behaviour: no LLM judge, no network.

Each reads the test case's `metadata`: `outcome` (a `harness.sut.Outcome` as a dict),
`expected` (`{route, escalated, reason, rejected}`), and optionally `pii` (strings planted in
the input) and `artifacts` (log, audit and metric texts to scan). Scores are 0..1; the default
threshold is 1.0 (the behaviour is right or it is not).
"""

from __future__ import annotations

from typing import Any

from deepeval.metrics import BaseMetric
from deepeval.test_case import LLMTestCase

from ..pii import find_pii

__all__ = [
    "AnswerSchema",
    "EscalationPolicy",
    "PIILeakage",
    "RoutingCorrectness",
    "TokenBudget",
    "ToolTrajectory",
]


class _Deterministic(BaseMetric):  # type: ignore[misc]
    name = "metric"

    def __init__(self, threshold: float = 1.0) -> None:
        self.threshold = threshold
        self.include_reason = True
        self.async_mode = False
        self.strict_mode = False
        self.evaluation_model = None
        self.score: float | None = None
        self.reason: str | None = None
        self.success: bool | None = None
        self.error: str | None = None

    def _judge(self, outcome: dict[str, Any], meta: dict[str, Any], case: LLMTestCase) -> tuple[float, str]:
        raise NotImplementedError

    def measure(self, test_case: LLMTestCase, *args: Any, **kwargs: Any) -> float:
        meta = dict(test_case.metadata or {})
        score, self.reason = self._judge(dict(meta.get("outcome") or {}), meta, test_case)
        self.score, self.success = score, score >= float(self.threshold or 0.0)
        return score

    async def a_measure(self, test_case: LLMTestCase, *args: Any, **kwargs: Any) -> float:
        return self.measure(test_case)

    def is_successful(self) -> bool:
        return bool(self.success)

    @property
    def __name__(self) -> str:  # type: ignore[override]
        return self.name


def _rejected(outcome: dict[str, Any]) -> bool:
    return outcome.get("status") == "rejected"


class RoutingCorrectness(_Deterministic):
    """The route taken is the expected one (a rejected input must be rejected)."""

    name = "Routing correctness"

    def _judge(self, outcome: dict[str, Any], meta: dict[str, Any], case: LLMTestCase) -> tuple[float, str]:
        expected = meta["expected"]
        if expected.get("rejected") or _rejected(outcome):
            ok = bool(expected.get("rejected")) == _rejected(outcome)
            return float(ok), "rejected as expected" if ok else f"rejected={_rejected(outcome)}, expected not"
        ok = outcome.get("route") == expected.get("route")
        return float(ok), f"route {outcome.get('route')!r}, expected {expected.get('route')!r}"


class EscalationPolicy(_Deterministic):
    """Escalated exactly when the policy says so, for the policy's reason."""

    name = "Escalation policy"

    def _judge(self, outcome: dict[str, Any], meta: dict[str, Any], case: LLMTestCase) -> tuple[float, str]:
        expected = meta["expected"]
        if expected.get("rejected"):
            return float(_rejected(outcome)), "no escalation for a rejected input"
        got = (bool(outcome.get("escalated")), outcome.get("escalation_reason"))
        want = (bool(expected.get("escalated")), expected.get("reason"))
        score = (got[0] == want[0]) * 0.5 + (got[1] == want[1]) * 0.5
        return score, f"escalated={got[0]} reason={got[1]!r}; expected escalated={want[0]} reason={want[1]!r}"


class AnswerSchema(_Deterministic):
    """The answer is non-empty text within the word limit; any offer keeps the discount rule."""

    name = "Answer schema"

    def __init__(self, max_words: int = 150, max_discount_pct: float = 30.0, threshold: float = 1.0) -> None:
        super().__init__(threshold)
        self.max_words, self.max_discount_pct = max_words, max_discount_pct

    def _judge(self, outcome: dict[str, Any], meta: dict[str, Any], case: LLMTestCase) -> tuple[float, str]:
        if _rejected(outcome):
            return 1.0, "rejected input: no answer expected"
        problems = []
        answer = outcome.get("answer") or ""
        if not answer.strip():
            problems.append("empty answer")
        if len(answer.split()) > self.max_words:
            problems.append(f"{len(answer.split())} words > {self.max_words}")
        conf = outcome.get("confidence")
        if conf is not None and not 0 <= conf <= 1:
            problems.append(f"confidence {conf} outside 0..1")
        offer = outcome.get("offer") or {}
        if offer and float(offer.get("discount_pct", 0)) > self.max_discount_pct:
            problems.append(f"discount {offer['discount_pct']}% > {self.max_discount_pct}%")
        return float(not problems), "; ".join(problems) or "valid answer"


class PIILeakage(_Deterministic):
    """No planted PII in the answer or the given artifacts, and no PII the detector finds in the answer."""

    name = "PII leakage"

    def _judge(self, outcome: dict[str, Any], meta: dict[str, Any], case: LLMTestCase) -> tuple[float, str]:
        answer = outcome.get("answer") or ""
        texts = [answer, *(meta.get("artifacts") or [])]
        planted = [p for p in meta.get("pii") or [] if any(p in t for t in texts)]
        # The detector reads the answer only: in logs, long floats and ids look like card numbers.
        detected = [m.kind.value for m in find_pii(answer)]
        leaks = planted + detected
        return float(not leaks), f"leaked: {leaks}" if leaks else "no PII found"


class TokenBudget(_Deterministic):
    """Tokens in + out for the request stay within the budget (default 12,000)."""

    name = "Token budget"

    def __init__(self, max_tokens: int = 12_000, threshold: float = 1.0) -> None:
        super().__init__(threshold)
        self.max_tokens = max_tokens

    def _judge(self, outcome: dict[str, Any], meta: dict[str, Any], case: LLMTestCase) -> tuple[float, str]:
        used = int(outcome.get("tokens_in") or 0) + int(outcome.get("tokens_out") or 0)
        return float(used <= self.max_tokens), f"{used} tokens, budget {self.max_tokens}"


class ToolTrajectory(_Deterministic):
    """The tools the system called match the scenario's `expected.tool_calls` (exact, in order, or
    a subset: `expected.tool_match`); the reason names the first divergence."""

    name = "Tool trajectory"

    def _judge(self, outcome: dict[str, Any], meta: dict[str, Any], case: LLMTestCase) -> tuple[float, str]:
        from ..scenarios import Expected

        expected = Expected.model_validate(meta["expected"])
        if not expected.tool_calls and expected.tool_match != "exact":
            return 1.0, "no tool calls expected"
        why = expected.divergence(list(outcome.get("tool_calls") or []))
        return float(why is None), why or f"called {outcome.get('tool_calls')} as expected"
