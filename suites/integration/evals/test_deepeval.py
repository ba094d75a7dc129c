"""deepeval, offline: deterministic metrics over every labelled scenario, and an optional judge."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from harness.evals import (
    AnswerSchema,
    EscalationPolicy,
    PIILeakage,
    RoutingCorrectness,
    TokenBudget,
    all_metrics,
    assert_metrics,
    case_for,
    helpfulness_judge,
    judge_or_skip_reason,
)
from harness.llm import DEFAULT_BASE_URL, MockLLM
from harness.scenarios import Scenario, load_scenarios
from harness.sut import CallableSystem, Outcome, Turn
from support_desk import SupportSystem, load_settings
from support_desk._logging import configure_logging
from support_desk.brain import brain_side_effect

SCENARIOS = load_scenarios()


@pytest.fixture
async def reference() -> AsyncIterator[tuple[CallableSystem, io.StringIO]]:
    logs = io.StringIO()
    handler = configure_logging(logging.INFO, logs)
    # No cache: each scenario is judged on its own, whatever ran before it.
    system = SupportSystem(load_settings(llm_base_url=DEFAULT_BASE_URL, cache={"enabled": False}))
    yield CallableSystem(system.ainvoke, name="reference"), logs
    logging.getLogger("support_desk").removeHandler(handler)
    await system.aclose()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
async def test_scenario_meets_every_metric(
    scenario: Scenario, reference: tuple[CallableSystem, io.StringIO]
) -> None:
    system, logs = reference
    async with MockLLM() as llm:
        llm.default.side_effect = brain_side_effect
        outcome = await system.ask(
            Turn(query=scenario.query, user_id=scenario.user_id, customer_tier=scenario.customer_tier)
        )
        prompts = [call.prompt for call in llm.calls]
    assert_metrics(case_for(scenario, outcome, artifacts=[logs.getvalue(), *prompts]), all_metrics())


def outcome(**fields: Any) -> Outcome:
    return Outcome(**({"route": "billing_support", "answer": "Paid.", "confidence": 0.9} | fields))


SCENARIO = Scenario.model_validate(
    {
        "id": "t-1",
        "query": "Card 4111 1111 1111 1111 charged twice",
        "language": "en",
        "category": "billing",
        "expected": {"route": "billing_support", "escalated": False, "reason": None},
        "pii": ["4111 1111 1111 1111"],
    }
)


@pytest.mark.parametrize(
    ("metric", "good", "bad"),
    [
        (RoutingCorrectness(), outcome(), outcome(route="technical_support")),
        (EscalationPolicy(), outcome(), outcome(escalated=True, escalation_reason="low_confidence")),
        (AnswerSchema(max_words=5), outcome(), outcome(answer="one two three four five six")),
        (AnswerSchema(), outcome(), outcome(offer={"description": "x", "discount_pct": 45})),
        (AnswerSchema(), outcome(), outcome(answer="  ")),
        (PIILeakage(), outcome(), outcome(answer="Your card 4111 1111 1111 1111 was refunded")),
        (TokenBudget(100), outcome(tokens_in=60, tokens_out=40), outcome(tokens_in=60, tokens_out=41)),
    ],
    ids=["routing", "escalation", "word-limit", "discount", "blank", "pii", "tokens"],
)
def test_each_metric_passes_the_right_behaviour_and_fails_the_wrong(
    metric: Any, good: Outcome, bad: Outcome
) -> None:
    assert_metrics(case_for(SCENARIO, good), [metric])
    with pytest.raises(AssertionError, match=metric.name):
        assert_metrics(case_for(SCENARIO, bad), [metric])


def test_pii_leakage_scans_artifacts_too() -> None:
    case = case_for(SCENARIO, outcome(), artifacts=['{"event": "llm_call", "query": "4111 1111 1111 1111"}'])
    metric = PIILeakage()
    assert metric.measure(case) == 0.0 and "4111" in (metric.reason or "")
    unplanted = case_for(SCENARIO, outcome(answer="Write to ana@example.com"))
    assert metric.measure(unplanted) == 0.0 and "EMAIL" in (metric.reason or "")


def test_deepeval_writes_nothing_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert_metrics(case_for(SCENARIO, outcome()), all_metrics())
    assert list(tmp_path.iterdir()) == []
    assert os.environ["DEEPEVAL_TELEMETRY_OPT_OUT"] == "YES"


def test_llm_judge_runs_only_when_configured() -> None:
    judge, reason = judge_or_skip_reason()
    if judge is None:
        pytest.skip(reason)
    assert_metrics(
        case_for(SCENARIO, outcome(answer="Sorry for the double charge; we refunded one.")),
        [helpfulness_judge(judge)],
    )


def test_judge_skip_reason_names_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_JUDGE_BASE_URL", raising=False)
    judge, reason = judge_or_skip_reason()
    assert judge is None and "HARNESS_JUDGE_BASE_URL" in reason and "HARNESS_JUDGE_MODEL" in reason
