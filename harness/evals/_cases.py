"""Build deepeval test cases from a scenario and what the system did with it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from deepeval.test_case import LLMTestCase

from ..pii import redact
from ..scenarios import Scenario
from ..sut import Outcome

__all__ = ["all_metrics", "assert_metrics", "case_for"]


def case_for(scenario: Scenario, outcome: Outcome, *, artifacts: Sequence[str] = ()) -> LLMTestCase:
    """The input is stored redacted: deepeval may print it in a failure message."""
    return LLMTestCase(
        input=redact(scenario.query) or "(empty)",
        actual_output=outcome.answer or "",
        expected_output=str(scenario.expected.route),
        name=scenario.id,
        metadata={
            "outcome": outcome.model_dump(),
            "expected": scenario.expected.model_dump(mode="json"),
            "pii": list(scenario.pii),
            "artifacts": list(artifacts),
        },
    )


def all_metrics(**options: Any) -> list[Any]:
    from ._metrics import (
        AnswerSchema,
        EscalationPolicy,
        PIILeakage,
        RoutingCorrectness,
        TokenBudget,
        ToolTrajectory,
    )

    return [
        RoutingCorrectness(),
        EscalationPolicy(),
        AnswerSchema(),
        PIILeakage(),
        TokenBudget(options.get("max_tokens", 12_000)),
        ToolTrajectory(),
    ]


def assert_metrics(case: LLMTestCase, metrics: Sequence[Any] | None = None) -> None:
    """`deepeval.assert_test` run synchronously: its async path leaves an event loop open and,
    inside a running loop, patches asyncio globally (nest_asyncio)."""
    from deepeval import assert_test  # type: ignore[attr-defined]

    assert_test(case, list(metrics) if metrics is not None else all_metrics(), run_async=False)
