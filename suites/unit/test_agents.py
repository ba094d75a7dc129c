"""Every agent of the reference graph, driven through the scripted mock LLM."""

from __future__ import annotations

import pytest

from harness.llm import MockLLM, Reply, Usage, faults
from support_desk import SupportSystem, load_settings
from support_desk import specialist_reply as answer
from support_desk._accounting import cost_usd

SPECIALISTS = ["technical_support", "billing_support", "general_support"]


@pytest.mark.parametrize("route", SPECIALISTS)
async def test_supervisor_routes_to_each_specialist(
    system: SupportSystem, mock_llm: MockLLM, route: str
) -> None:
    mock_llm.agent("supervisor").return_value = route
    mock_llm.agent(route).return_value = answer("Done.", 0.92)
    result = await system.ainvoke("Something about my account", user_id="u1")
    assert (result.route, result.answer, result.escalated) == (route, "Done.", False)
    assert result.confidence == pytest.approx(0.92)
    assert result.path == ["supervisor", route]
    mock_llm.agent(route).assert_called_once()


async def test_supervisor_prompt_is_cheap_model_at_temperature_zero(
    system: SupportSystem, mock_llm: MockLLM
) -> None:
    mock_llm.agent("supervisor").return_value = "general_support"
    mock_llm.agent("general_support").return_value = answer()
    await system.ainvoke("What time do you open?")
    call = mock_llm.agent("supervisor").calls[0]
    assert call.model == system.settings.models.cheap
    assert call.temperature == 0
    assert "technical_support" in call.prompt and call.last_user_message == "What time do you open?"


@pytest.mark.parametrize(
    ("route", "query", "model_attr"),
    [
        ("technical_support", "App crashes", "strong"),
        ("billing_support", "Invoice question", "cheap"),
        ("general_support", "Opening hours", "cheap"),
        ("billing_support", "Why was I charged twice? And when is the refund processed? ", "strong"),
    ],
)
async def test_model_routing_per_agent_and_complexity(
    system: SupportSystem, mock_llm: MockLLM, route: str, query: str, model_attr: str
) -> None:
    mock_llm.agent("supervisor").return_value = route
    mock_llm.agent(route).return_value = answer()
    await system.ainvoke(query.replace("refund", "credit"))
    assert mock_llm.agent(route).calls[0].model == getattr(system.settings.models, model_attr)


async def test_supervisor_decision_to_escalate(system: SupportSystem, mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").return_value = "ESCALATE_TO_HUMAN"
    result = await system.ainvoke("Your staff insulted me")
    assert result.escalated and result.escalation_reason == "supervisor_decision"
    assert result.route == "escalate_to_human" and "HD-" in result.answer
    assert [c.agent for c in mock_llm.calls] == ["supervisor"]


@pytest.mark.parametrize("reply", ["banana", "billing or technical", "", '{"route": 3}'])
async def test_unrecognised_decision_escalates_without_calling_a_specialist(
    system: SupportSystem, mock_llm: MockLLM, reply: str
) -> None:
    mock_llm.agent("supervisor").return_value = reply
    result = await system.ainvoke("Hmm")
    assert result.escalated and result.escalation_reason == "unrecognised_route"
    # Asked once again, naming the labels; no specialist is called.
    assert [c.agent for c in mock_llm.calls] == ["supervisor", "supervisor"]
    assert "technical_support, billing_support" in mock_llm.calls[1].last_user_message
    assert result.tokens_in > 0 and len({c.model for c in mock_llm.calls}) == 1


async def test_spanish_json_decision_is_followed(system: SupportSystem, mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").return_value = {"ruta": "x", "route": "Facturación"}
    mock_llm.agent("billing_support").return_value = answer("Tu factura está bien.")
    result = await system.ainvoke("¿Por qué mi factura es tan alta?")
    assert result.route == "billing_support" and not result.escalated


async def test_vip_is_escalated_before_any_llm_call(system: SupportSystem, mock_llm: MockLLM) -> None:
    result = await system.ainvoke("What are your opening hours?", customer_tier="vip")
    assert result.escalated and result.escalation_reason == "vip_customer"
    assert mock_llm.calls == [] and result.tokens_in == 0


@pytest.mark.parametrize("query", ["Quiero cancelar mi cuenta", "I want a REFUND", "reembolso"])
async def test_cancellation_or_refund_escalates_before_any_llm_call(
    system: SupportSystem, mock_llm: MockLLM, query: str
) -> None:
    result = await system.ainvoke(query)
    assert result.escalation_reason == "cancellation_or_refund" and mock_llm.calls == []


@pytest.mark.parametrize(("confidence", "escalated"), [(0.69, True), (0.7, False), (None, True), (0.0, True)])
async def test_confidence_threshold(
    system: SupportSystem, mock_llm: MockLLM, confidence: float | None, escalated: bool
) -> None:
    mock_llm.agent("supervisor").return_value = "billing_support"
    mock_llm.agent("billing_support").return_value = answer("Maybe.", confidence)
    result = await system.ainvoke("Strange charge on my invoice")
    assert result.escalated is escalated
    assert result.route == "billing_support"
    if escalated:
        assert result.escalation_reason == "low_confidence"


async def test_invalid_output_gets_one_repair_attempt(system: SupportSystem, mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").return_value = "billing_support"
    mock_llm.agent("billing_support").side_effect = [
        answer("20% off", 0.9, offer={"description": "Sorry", "discount_pct": 45}),
        answer("15% off", 0.9, offer={"description": "Sorry", "discount_pct": 15}),
    ]
    result = await system.ainvoke("I was overcharged")
    assert result.offer == {"description": "Sorry", "discount_pct": 15.0}
    repair = mock_llm.agent("billing_support").calls[1]
    assert "discount_pct is 45%" in repair.last_user_message and not result.degraded
    assert result.agents["billing_support"]["calls"] == 2


@pytest.mark.parametrize(
    ("route", "fallback", "escalated"),
    [
        ("technical_support", "generic", False),
        ("general_support", "generic", False),
        ("billing_support", "escalation", True),
    ],
)
async def test_output_still_invalid_after_repair_falls_back(
    system: SupportSystem, mock_llm: MockLLM, route: str, fallback: str, escalated: bool
) -> None:
    mock_llm.agent("supervisor").return_value = route
    mock_llm.agent(route).return_value = "not json at all"
    result = await system.ainvoke("Help me")
    assert mock_llm.agent(route).call_count == 2
    assert (result.fallback, result.escalated, result.degraded) == (fallback, escalated, True)
    assert result.errors[0]["code"] == "invalid_output"


async def test_empty_completion_is_invalid_output(system: SupportSystem, mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").return_value = "general_support"
    mock_llm.agent("general_support").return_value = faults.Empty()
    result = await system.ainvoke("Hello?")
    assert result.fallback == "generic" and result.errors[0]["code"] == "invalid_output"


async def test_tokens_and_cost_come_from_usage(system: SupportSystem, mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").return_value = Reply(
        content="technical_support", usage=Usage(prompt_tokens=120, completion_tokens=3)
    )
    mock_llm.agent("technical_support").return_value = Reply(
        content='{"answer": "Reinstall.", "confidence": 0.8}',
        usage=Usage(prompt_tokens=400, completion_tokens=60),
    )
    result = await system.ainvoke("Error 500 when saving")
    s = system.settings
    assert (result.tokens_in, result.tokens_out) == (520, 63)
    assert result.agents["supervisor"]["tokens_in"] == 120
    assert result.agents["technical_support"]["tokens_out"] == 60
    expected = cost_usd(s.models.cheap, 120, 3, s.prices) + cost_usd(s.models.strong, 400, 60, s.prices)
    assert result.cost_usd == pytest.approx(expected)
    assert result.agents["technical_support"]["model"] == s.models.strong


async def test_repeated_query_is_served_from_cache(system: SupportSystem, mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").return_value = "general_support"
    mock_llm.agent("general_support").return_value = answer("9 to 5.", 0.95)
    first = await system.ainvoke("What are your opening hours?")
    second = await system.ainvoke("what are your OPENING hours")
    assert not first.cache_hit and second.cache_hit and second.answer == "9 to 5."
    assert len(mock_llm.calls) == 2 and second.tokens_in == 0
    assert system.health()["cache"]["hits"] == 1


async def test_escalated_answers_are_not_cached(system: SupportSystem, mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").return_value = "general_support"
    mock_llm.agent("general_support").return_value = answer("Not sure.", 0.3)
    await system.ainvoke("Odd question")
    await system.ainvoke("Odd question")
    assert mock_llm.agent("general_support").call_count == 2


async def test_pii_is_redacted_before_it_reaches_the_llm(system: SupportSystem, mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").return_value = "billing_support"
    mock_llm.agent("billing_support").return_value = answer()
    await system.ainvoke("My card 4111 1111 1111 1111 and mail ana.garcia@example.com were charged")
    for call in mock_llm.calls:
        assert "4111" not in call.prompt and "ana.garcia" not in call.prompt
    assert "[CARD]" in mock_llm.calls[0].prompt


async def test_every_request_is_tagged_with_the_agent_header(
    system: SupportSystem, mock_llm: MockLLM
) -> None:
    mock_llm.agent("supervisor").return_value = "technical_support"
    mock_llm.agent("technical_support").return_value = answer()
    await system.ainvoke("Crash")
    assert [c.agent for c in mock_llm.calls] == ["supervisor", "technical_support"]


def test_sync_invoke_works_outside_an_event_loop() -> None:
    with MockLLM() as llm:
        llm.agent("supervisor").return_value = "general_support"
        llm.agent("general_support").return_value = answer("Hi!")
        from harness.llm import DEFAULT_BASE_URL

        system = SupportSystem(load_settings(llm_base_url=DEFAULT_BASE_URL))
        assert system.invoke("Hello there").answer == "Hi!"
