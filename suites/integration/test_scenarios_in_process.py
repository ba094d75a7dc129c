"""Every labelled scenario through the reference system, in process, with the router brain as its LLM.

The labels in `harness/scenarios/data/customer_queries.jsonl` say how the system must behave when
its LLM is `support_desk.brain`: route, escalation and reason (or rejection) must agree on every
scenario, and no PII planted in a query may reach any LLM prompt.

One system serves the whole module (one event loop): its cache is off and its rate limit out of
reach, so no scenario can influence another and the order does not matter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from harness._exceptions import InputValidationError
from harness.llm import DEFAULT_BASE_URL, MockLLM
from harness.scenarios import Scenario, load_scenarios
from support_desk import FakeClock, SupportSystem, load_settings
from support_desk.brain import brain_side_effect

SCENARIOS = load_scenarios()
BEFORE_ANY_LLM = {"vip_customer", "cancellation_or_refund"}


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def system() -> AsyncIterator[SupportSystem]:
    settings = load_settings(
        llm_base_url=DEFAULT_BASE_URL,
        cache={"enabled": False},
        rate_limit={"requests_per_minute": 1_000_000},
        retry={"jitter": False},
    )
    system = SupportSystem(settings, clock=FakeClock())
    yield system
    await system.aclose()


@pytest.fixture
def brain_llm(mock_llm: MockLLM) -> MockLLM:
    mock_llm.default.side_effect = brain_side_effect
    return mock_llm


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
async def test_scenario_matches_its_labels(
    system: SupportSystem, brain_llm: MockLLM, scenario: Scenario
) -> None:
    expected = scenario.expected
    kwargs = {"user_id": scenario.user_id, "customer_tier": scenario.customer_tier}
    if expected.rejected:
        with pytest.raises(InputValidationError):
            await system.ainvoke(scenario.query, **kwargs)
        assert brain_llm.calls == []
        return
    result = await system.ainvoke(scenario.query, **kwargs)
    got = (result.route, result.escalated, result.escalation_reason)
    want = (expected.route, expected.escalated, expected.reason)
    assert got == want, f"{scenario.id} ({scenario.category}): {scenario.query[:120]!r}"
    assert not result.degraded and result.fallback is None
    if expected.reason in BEFORE_ANY_LLM:
        assert brain_llm.calls == [], "policy escalations happen before any LLM call"
    for value in scenario.pii:
        for call in brain_llm.calls:
            assert value not in call.prompt, f"{scenario.id}: planted PII reached {call.agent}'s prompt"


def test_the_labels_cover_every_outcome() -> None:
    # A guard on the data: the run above covers every rule that can end a request.
    reasons = {s.expected.reason for s in SCENARIOS if not s.expected.rejected}
    assert {"vip_customer", "cancellation_or_refund", "supervisor_decision", "low_confidence"} <= reasons
    assert "unrecognised_route" in reasons and None in reasons
