"""The reference system's labelled scenarios: a sound data set, and labels that follow its rules."""

from __future__ import annotations

from collections import Counter

import pytest

from harness import InputValidationError
from harness.pii import redact
from harness.scenarios import Scenario, load_scenarios
from harness.sut import load_declaration
from support_desk import EscalationReason, Route
from support_desk._policy import sanitise_query

MAX_CHARS = 4000  # the reference system's default max_query_chars
DECLARATION = load_declaration()
SCENARIOS = load_scenarios(DECLARATION.scenarios_path, DECLARATION.vocabulary)
CATEGORIES = DECLARATION.vocabulary.categories
LANGUAGES = ("en", "es")
_BEFORE_ANY_LLM = {EscalationReason.VIP, EscalationReason.CANCELLATION}
_TO_A_HUMAN = _BEFORE_ANY_LLM | {EscalationReason.SUPERVISOR, EscalationReason.UNRECOGNISED_ROUTE}


def test_the_declared_vocabulary_is_the_systems_own() -> None:
    vocabulary = DECLARATION.vocabulary
    assert set(vocabulary.routes) == {r.value for r in Route}
    assert set(vocabulary.escalation_reasons) == {r.value for r in EscalationReason}


def test_the_scenarios_ship_with_the_package() -> None:
    from importlib import resources

    assert resources.files("support_desk").joinpath("data", "customer_queries.jsonl").is_file()


def test_at_least_200_covering_every_category_in_both_languages() -> None:
    assert len(SCENARIOS) >= 200
    by_language = Counter(s.language for s in SCENARIOS)
    assert set(by_language) == set(LANGUAGES)
    assert min(by_language.values()) >= 0.4 * len(SCENARIOS)
    pairs = {(s.category, s.language) for s in SCENARIOS}
    assert {(c, lang) for c in CATEGORIES for lang in LANGUAGES} <= pairs


def test_ids_and_queries_are_unique() -> None:
    assert len({s.id for s in SCENARIOS}) == len(SCENARIOS)
    assert len({s.query for s in SCENARIOS}) == len(SCENARIOS)


def test_every_route_and_escalation_reason_is_labelled() -> None:
    routes = {s.expected.route for s in SCENARIOS}
    assert {r.value for r in Route} | {None} == routes
    reasons = {s.expected.reason for s in SCENARIOS if s.expected.escalated}
    need_faults = {
        EscalationReason.AGENT_UNAVAILABLE,
        EscalationReason.DEADLINE,
        EscalationReason.INVALID_HANDOFF,
    }
    assert reasons == {r.value for r in EscalationReason} - need_faults


def _rule_broken(s: Scenario) -> str | None:
    """The reference system's own labelling rules: the policy rules first (VIP, then cancellation
    or refund, before any LLM call), then the router brain's routing and confidence."""
    e = s.expected
    if e.rejected:
        return None
    if e.route is None:
        return "route is null but the query is not rejected"
    if e.escalated != (e.reason is not None):
        return "escalated must be true exactly when a reason is given"
    if e.reason in _TO_A_HUMAN and e.route != Route.ESCALATE:
        return f"reason {e.reason} ends on route escalate_to_human"
    if e.reason == EscalationReason.LOW_CONFIDENCE and e.route == Route.ESCALATE:
        return "reason low_confidence keeps the specialist's route"
    if s.customer_tier == "vip" and e.reason != EscalationReason.VIP:
        return "a VIP customer's query is escalated with reason vip_customer"
    return None


def test_every_label_follows_the_systems_rules() -> None:
    broken = {s.id: why for s in SCENARIOS if (why := _rule_broken(s))}
    assert not broken


@pytest.mark.parametrize(
    ("expected", "tier", "complaint"),
    [
        ({"route": "billing_support", "escalated": True, "reason": None}, "standard", "exactly when"),
        ({"route": None, "escalated": False, "reason": None}, "standard", "route is null"),
        ({"route": "billing_support", "escalated": True, "reason": "vip_customer"}, "vip", "ends on route"),
        ({"route": "billing_support", "escalated": False, "reason": None}, "vip", "vip_customer"),
        ({"route": "escalate_to_human", "escalated": True, "reason": "low_confidence"}, "standard", "keeps"),
    ],
)
def test_the_rules_catch_a_bad_label(expected: dict[str, object], tier: str, complaint: str) -> None:
    doc = {"id": "x", "query": "q", "category": "billing", "customer_tier": tier, "expected": expected}
    assert complaint in (_rule_broken(Scenario.model_validate(doc)) or "")


def test_rejected_exactly_when_the_system_refuses_the_input() -> None:
    for s in SCENARIOS:
        if s.expected.rejected:
            with pytest.raises(InputValidationError):
                sanitise_query(s.query, max_chars=MAX_CHARS)
        else:
            assert sanitise_query(s.query, max_chars=MAX_CHARS), s.id


def test_long_queries_are_long_and_some_pass_the_limit() -> None:
    long = [s for s in SCENARIOS if s.category == "long"]
    accepted = [len(s.query.strip()) for s in long if not s.expected.rejected]
    refused = [len(s.query.strip()) for s in long if s.expected.rejected]
    assert len(accepted) >= 6 and min(accepted) >= 600 and max(accepted) > 3500
    assert len(refused) >= 2 and min(refused) > MAX_CHARS


def test_planted_pii_is_caught_by_the_redactor() -> None:
    planted = [(s, value) for s in SCENARIOS for value in s.pii]
    assert len(planted) >= 20
    kinds = Counter(tag for s in SCENARIOS if s.pii for tag in _tags(redact(s.query)))
    assert {"[EMAIL]", "[PHONE]", "[CARD]", "[IBAN]", "[DNI]", "[NIE]"} <= set(kinds)
    for scenario, value in planted:
        assert value not in redact(scenario.query), scenario.id


def test_vip_and_policy_rows_escalate_before_the_llm() -> None:
    for s in SCENARIOS:
        if s.category == "vip":
            assert s.customer_tier == "vip" and s.expected.reason == EscalationReason.VIP, s.id


def _tags(text: str) -> list[str]:
    return [tag for tag in ("[EMAIL]", "[PHONE]", "[CARD]", "[IBAN]", "[DNI]", "[NIE]") if tag in text]
