"""Every per-agent setting, shown applied to *that* agent's calls and to no other agent's.

The reference system has four agents that call an LLM, each behind a guard of its own. What each
setting reaches, by agent (a row is one setting; `own` means each agent has its own instance with
the shared value, so one agent's state never leaks into another's):

| setting                          | supervisor | technical | billing | general |
|----------------------------------|------------|-----------|---------|---------|
| timeouts.fast_agent_s            | yes        |           | yes     | yes     |
| timeouts.technical_s             |            | yes       |         |         |
| models.cheap                     | always     |           | simple  | simple  |
| models.strong                    |            | always    | complex | complex |
| models.complex_min_words         |            |           | yes     | yes     |
| prices (by the answering model)  | yes        | yes       | yes     | yes     |
| retry.attempts/initial_s/max_s   | own        | own       | own     | own     |
| breaker.failure_threshold/reset  | own        | own       | own     | own     |
| rate_limit.requests_per_minute   | own        | own       | own     | own     |
| rate_limit.max_wait_s            | own        | own       | own     | own     |
| answer_max_words                 |            | yes       | yes     | yes     |
| max_discount_pct                 |            | yes       | yes     | yes     |
| escalation_confidence            |            | yes       | yes     | yes     |

Each test is parametrised over the agents, and each sets a value no default has, so a setting
wired to the wrong agent, or to none, fails here rather than in a chaos run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from harness.llm import Call, MockLLM, Reply, Usage, faults
from support_desk import FakeClock, SupportSystem
from support_desk import specialist_reply as answer
from support_desk._settings import ModelPrice, TimeoutSettings

Make = Callable[..., SupportSystem]
HangCalls = Callable[[SupportSystem, str], None]  # the `hang_calls_of` fixture
SUPERVISOR = "supervisor"
SPECIALISTS = ("technical_support", "billing_support", "general_support")
AGENTS = (SUPERVISOR, *SPECIALISTS)
TIMEOUT_OF = {
    SUPERVISOR: "fast_agent_s",
    "technical_support": "technical_s",
    "billing_support": "fast_agent_s",
    "general_support": "fast_agent_s",
}
NO_RETRY = {"attempts": 1, "jitter": False}


def script(mock_llm: MockLLM, agent: str, reply: Any) -> None:
    """`agent`'s calls answer `reply` (a list: one item a call); the supervisor routes to it.
    A supervisor's own script should end its requests (`escalate_to_human`)."""
    if agent != SUPERVISOR:
        mock_llm.agent(SUPERVISOR).return_value = agent
    route = mock_llm.agent(agent)
    if isinstance(reply, list):
        route.side_effect = reply
    else:
        route.return_value = reply


def ok(agent: str) -> Any:
    """A reply that ends a request well at `agent`."""
    return "escalate_to_human" if agent == SUPERVISOR else answer("All done.", 0.9)


def read_timeout(call: Call) -> float:
    """The timeout the agent gave this LLM call (what httpx was told, so what bounds it)."""
    return float(call.request.extensions["timeout"]["read"])


# -- timeouts.fast_agent_s and timeouts.technical_s -------------------------------------------------


@pytest.mark.parametrize("field", ["fast_agent_s", "technical_s"])
@pytest.mark.parametrize("agent", AGENTS)
async def test_each_agent_timeout_bounds_its_own_agents_calls_only(
    make_system: Make, mock_llm: MockLLM, agent: str, field: str
) -> None:
    distinct = 4.75  # no default is 4.75: a call bounded by it got exactly this setting
    system = make_system(timeouts={field: distinct})
    script(mock_llm, agent, ok(agent))
    await system.ainvoke("A question for one agent")
    defaults = TimeoutSettings()
    assert {c.agent for c in mock_llm.calls} == {SUPERVISOR, agent}
    for call in mock_llm.calls:
        own = TIMEOUT_OF[str(call.agent)]
        expected = distinct if own == field else getattr(defaults, own)
        assert read_timeout(call) == expected, f"{call.agent} should be bounded by timeouts.{own}"


@pytest.mark.parametrize("agent", AGENTS)
async def test_an_agents_own_timeout_fires_naming_its_setting(
    make_system: Make, mock_llm: MockLLM, agent: str, hang_calls_of: HangCalls
) -> None:
    # Distinct, small and far below the deadline: only the agent's own timeout can fire.
    budgets = {"fast_agent_s": 0.05, "technical_s": 0.25}
    system = make_system(timeouts={**budgets, "request_deadline_s": 30}, retry=NO_RETRY)
    if agent != SUPERVISOR:
        mock_llm.agent(SUPERVISOR).return_value = agent
    hang_calls_of(system, agent)
    result = await asyncio.wait_for(system.ainvoke("Anyone there?"), timeout=5)
    setting = TIMEOUT_OF[agent]
    (error,) = result.errors
    assert (error["agent"], error["code"]) == (agent, "llm_timeout")
    assert f"within its {budgets[setting]:.1f} s budget (timeouts.{setting})" in error["message"]
    assert result.degraded


# -- models.cheap, models.strong, models.complex_min_words, prices ----------------------------------

MODELS = {"cheap": "m-cheap", "strong": "m-strong"}
PRICES = {
    "m-cheap": ModelPrice(input_per_mtok=1.0, output_per_mtok=2.0),
    "m-strong": ModelPrice(input_per_mtok=30.0, output_per_mtok=60.0),
}
MIN_WORDS = 7
QUERIES = {  # no question marks, no code: only the word count decides
    "short": " ".join(["word"] * (MIN_WORDS - 1)),
    "complex": " ".join(["word"] * MIN_WORDS),  # exactly models.complex_min_words
}
MODEL_OF = {
    (SUPERVISOR, "short"): "cheap",
    (SUPERVISOR, "complex"): "cheap",
    ("technical_support", "short"): "strong",
    ("technical_support", "complex"): "strong",
    ("billing_support", "short"): "cheap",
    ("billing_support", "complex"): "strong",
    ("general_support", "short"): "cheap",
    ("general_support", "complex"): "strong",
}


def priced(content: Any, model: str | None = None) -> Reply:
    return Reply(content=content, usage=Usage(prompt_tokens=1000, completion_tokens=100), model=model)


def cost_of(model: str) -> float:
    price = PRICES[model]
    return float(1000 * price.input_per_mtok + 100 * price.output_per_mtok) / 1_000_000


@pytest.mark.parametrize(("agent", "query"), sorted(MODEL_OF))
async def test_each_agent_calls_the_model_the_routing_gives_it(
    make_system: Make, mock_llm: MockLLM, agent: str, query: str
) -> None:
    system = make_system(models={**MODELS, "complex_min_words": MIN_WORDS}, prices=PRICES)
    script(mock_llm, agent, priced(ok(agent)))
    if agent != SUPERVISOR:
        mock_llm.agent(SUPERVISOR).return_value = priced(agent)
    result = await system.ainvoke(QUERIES[query])
    model = MODELS[MODEL_OF[agent, query]]
    assert [c.model for c in mock_llm.agent(agent).calls] == [model]
    assert result.agents[agent]["model"] == model
    assert result.agents[agent]["cost_usd"] == pytest.approx(cost_of(model))
    if agent != SUPERVISOR:  # and the supervisor, whatever the query, kept the cheap model
        assert [c.model for c in mock_llm.agent(SUPERVISOR).calls] == [MODELS["cheap"]]


@pytest.mark.parametrize("agent", AGENTS)
async def test_each_agents_call_is_priced_by_the_model_that_answered(
    make_system: Make, mock_llm: MockLLM, agent: str
) -> None:
    # A provider may answer with another model than the one asked for (a fallback, an alias):
    # the bill is the answering model's.
    system = make_system(models=MODELS, prices=PRICES)
    asked = MODELS[MODEL_OF[agent, "short"]]
    answered = next(m for m in PRICES if m != asked)
    script(mock_llm, agent, priced(ok(agent), model=answered))
    if agent != SUPERVISOR:
        mock_llm.agent(SUPERVISOR).return_value = priced(agent)
    result = await system.ainvoke(QUERIES["short"])
    assert mock_llm.agent(agent).calls[0].model == asked
    assert result.agents[agent]["model"] == answered
    assert result.agents[agent]["cost_usd"] == pytest.approx(cost_of(answered))


# -- retry.attempts, retry.initial_s, retry.max_s (each agent's own policy) -------------------------


@pytest.mark.parametrize("agent", AGENTS)
async def test_each_agent_retries_its_own_calls_as_configured(
    make_system: Make, mock_llm: MockLLM, clock: FakeClock, agent: str
) -> None:
    system = make_system(retry={"attempts": 4, "initial_s": 0.25, "max_s": 0.6, "jitter": False})
    script(mock_llm, agent, faults.Status(503))
    result = await system.ainvoke("Is anyone answering?")
    assert mock_llm.agent(agent).call_count == 4
    assert clock.sleeps == [0.25, 0.5, 0.6]  # doubling from initial_s, capped at max_s
    assert [c.agent for c in mock_llm.calls].count(SUPERVISOR) == (4 if agent == SUPERVISOR else 1)
    assert result.errors[0]["agent"] == agent and result.errors[0]["code"] == "llm_5xx"
    assert system.nodes.guards[agent].breaker.consecutive_failures == 1  # one failed call, retried


@pytest.mark.parametrize("agent", AGENTS)
async def test_each_agent_waits_at_least_what_retry_after_asks(
    make_system: Make, mock_llm: MockLLM, clock: FakeClock, agent: str
) -> None:
    system = make_system(retry={"attempts": 3, "initial_s": 0.25, "max_s": 2, "jitter": False})
    script(mock_llm, agent, [faults.Status(503, retry_after=1), faults.Status(503), ok(agent)])
    result = await system.ainvoke("Busy?")
    assert clock.sleeps == [1.0, 0.5] and not result.degraded


# -- breaker.failure_threshold, breaker.reset_timeout_s (each agent's own breaker) ------------------


@pytest.mark.parametrize("agent", AGENTS)
async def test_each_agents_breaker_opens_and_probes_on_its_own(
    make_system: Make, mock_llm: MockLLM, clock: FakeClock, agent: str
) -> None:
    system = make_system(breaker={"failure_threshold": 2, "reset_timeout_s": 7}, retry=NO_RETRY)
    script(mock_llm, agent, [faults.Status(500), faults.Status(500), ok(agent)])

    def breakers(open_one: str) -> dict[str, str]:
        return {a: (open_one if a == agent else "closed") for a in AGENTS}

    await system.ainvoke("first failure")
    assert system.health()["breakers"] == breakers("closed")  # one failure below the threshold
    await system.ainvoke("second failure")
    assert system.health()["breakers"] == breakers("open")
    refused = await system.ainvoke("while it is open")
    assert mock_llm.agent(agent).call_count == 2
    assert (refused.errors[0]["agent"], refused.errors[0]["code"]) == (agent, "circuit_open")
    clock.advance(6.9)
    assert system.health()["breakers"] == breakers("open")
    clock.advance(0.2)  # past breaker.reset_timeout_s
    assert system.health()["breakers"] == breakers("half_open")
    probe = await system.ainvoke("after the reset timeout")
    assert not probe.degraded and system.health()["breakers"] == breakers("closed")


# -- rate_limit.requests_per_minute, rate_limit.max_wait_s (each agent's own limiter) ---------------


async def test_the_supervisors_limiter_admits_its_allowance_then_refuses(
    make_system: Make, mock_llm: MockLLM
) -> None:
    system = make_system(rate_limit={"requests_per_minute": 2, "max_wait_s": 0.01}, retry=NO_RETRY)
    script(mock_llm, SUPERVISOR, ok(SUPERVISOR))
    results = [await system.ainvoke(f"request {i}") for i in range(3)]
    assert mock_llm.agent(SUPERVISOR).call_count == 2
    refused = results[2].errors[0]
    assert (refused["agent"], refused["code"]) == (SUPERVISOR, "rate_limited")
    assert "within 0.01 s (limit 2/min" in refused["message"]


@pytest.mark.parametrize("agent", SPECIALISTS)
async def test_each_specialists_limiter_is_its_own(make_system: Make, mock_llm: MockLLM, agent: str) -> None:
    # Short budgets, so a limiter that waited for its whole budget instead of max_wait_s would
    # say so in its message rather than hold the test for seconds.
    system = make_system(
        rate_limit={"requests_per_minute": 2, "max_wait_s": 0.01},
        timeouts={"fast_agent_s": 0.3, "technical_s": 0.4},
        retry=NO_RETRY,
    )
    # One request: the supervisor once, the specialist twice (its answer is repaired).
    script(mock_llm, agent, ["not json", answer("Fixed.", 0.9), answer("Never sent.", 0.9)])
    first = await system.ainvoke("first request")
    second = await system.ainvoke("second request")
    assert not first.degraded and mock_llm.agent(agent).call_count == 2
    # The supervisor's second call is admitted: the specialist's two did not use its allowance.
    assert mock_llm.agent(SUPERVISOR).call_count == 2
    refused = second.errors[0]
    assert (refused["agent"], refused["code"]) == (agent, "rate_limited")
    assert "within 0.01 s (limit 2/min" in refused["message"]


# -- answer_max_words, max_discount_pct, escalation_confidence (the specialists) --------------------


@pytest.mark.parametrize("agent", SPECIALISTS)
async def test_each_specialist_holds_answers_to_answer_max_words(
    make_system: Make, mock_llm: MockLLM, agent: str
) -> None:
    system = make_system(answer_max_words=12)
    too_long, just_fits = " ".join(["word"] * 13), " ".join(["word"] * 12)
    script(mock_llm, agent, [answer(too_long, 0.9), answer(just_fits, 0.9)])
    result = await system.ainvoke("Explain it briefly")
    first, repair = mock_llm.agent(agent).calls
    assert "at most 12 words" in first.system_prompt
    assert "answer has 13 words; the limit is 12" in repair.last_user_message
    assert result.answer == just_fits and not result.degraded
    assert "12 words" not in mock_llm.agent(SUPERVISOR).calls[0].system_prompt


@pytest.mark.parametrize("agent", SPECIALISTS)
async def test_each_specialist_holds_offers_to_max_discount_pct(
    make_system: Make, mock_llm: MockLLM, agent: str
) -> None:
    system = make_system(max_discount_pct=20)
    offer = {"description": "Sorry about that"}
    script(
        mock_llm,
        agent,
        [
            answer("Here.", 0.9, offer={**offer, "discount_pct": 21}),
            answer("Here.", 0.9, {**offer, "discount_pct": 20}),
        ],
    )
    result = await system.ainvoke("I was overcharged")
    first, repair = mock_llm.agent(agent).calls
    assert '"discount_pct": <0 to 20>' in first.system_prompt
    assert "business rule: at most 20%" in repair.last_user_message
    assert result.offer == {**offer, "discount_pct": 20.0}


@pytest.mark.parametrize(("confidence", "escalated"), [(0.79, True), (0.8, False)])
@pytest.mark.parametrize("agent", SPECIALISTS)
async def test_each_specialist_escalates_below_escalation_confidence(
    make_system: Make, mock_llm: MockLLM, agent: str, confidence: float, escalated: bool
) -> None:
    system = make_system(escalation_confidence=0.8)
    script(mock_llm, agent, answer("Perhaps.", confidence))
    result = await system.ainvoke("Not sure about this")
    assert (result.route, result.escalated) == (agent, escalated)
    assert result.escalation_reason == ("low_confidence" if escalated else None)


# -- the cache, per specialist: an answer comes back whole -----------------------------------------


@pytest.mark.parametrize("agent", SPECIALISTS)
async def test_each_specialists_cached_answer_comes_back_whole(
    make_system: Make, mock_llm: MockLLM, agent: str
) -> None:
    system = make_system()
    offer = {"description": "A month free", "discount_pct": 10.0}
    script(mock_llm, agent, answer("Try this.", 0.91, offer=offer))
    fresh = await system.ainvoke("The same question twice")
    cached = await system.ainvoke("the same question, twice!")
    assert cached.cache_hit and not fresh.cache_hit
    fields = ("route", "answer", "confidence", "offer", "escalated")
    assert [getattr(cached, f) for f in fields] == [getattr(fresh, f) for f in fields]
    assert fresh.offer == offer and mock_llm.agent(agent).call_count == 1
