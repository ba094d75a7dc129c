"""The labelled scenario file: loader errors name file, line and field; the packaged set is sound."""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from harness._exceptions import HarnessError, InputValidationError, ScenarioError
from harness.reference import EscalationReason, Route
from harness.reference._pii import redact
from harness.reference._policy import sanitise_query
from harness.scenarios import CATEGORIES, DEFAULT_FILE, load_scenarios, parse_scenarios
from harness.scenarios._schema import LANGUAGES, ROUTE_NAMES

MAX_CHARS = 4000  # the reference system's default max_query_chars


def entry(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "billing-en-001",
        "query": "Why is my invoice higher than last month?",
        "language": "en",
        "customer_tier": "standard",
        "user_id": "u1",
        "category": "billing",
        "expected": {"route": "billing_support", "escalated": False, "reason": None, "rejected": False},
    }
    for key, value in changes.items():
        if key.startswith("expected_"):
            base["expected"][key.removeprefix("expected_")] = value
        else:
            base[key] = value
    return base


def write(tmp_path: Path, *lines: dict[str, Any] | str) -> Path:
    path = tmp_path / "scenarios.jsonl"
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n",
        encoding="utf-8",
    )
    return path


def error_of(tmp_path: Path, *lines: dict[str, Any] | str) -> str:
    path = write(tmp_path, *lines)
    with pytest.raises(ScenarioError) as caught:
        load_scenarios(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:")
    return message.removeprefix(f"{path}:")


# -- loader errors ---------------------------------------------------------------------------


def test_a_good_file_loads(tmp_path: Path) -> None:
    other = entry(id="general-es-001", query="¿A qué hora abrís?", language="es", category="general")
    other["expected"]["route"] = "general_support"
    scenarios = load_scenarios(write(tmp_path, entry(), "", other))
    assert [s.id for s in scenarios] == ["billing-en-001", "general-es-001"]
    assert scenarios[0].expected.route == Route.BILLING and scenarios[0].pii == []


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, entry(), '{"id": "x", "query": ')
    assert message.startswith("2: invalid JSON: ")


def test_missing_field_names_line_and_field(tmp_path: Path) -> None:
    broken = entry()
    del broken["query"]
    assert error_of(tmp_path, broken) == "1: query: missing; this field is required"


def test_missing_nested_field(tmp_path: Path) -> None:
    broken = entry()
    del broken["expected"]["escalated"]
    assert error_of(tmp_path, broken) == "1: expected.escalated: missing; this field is required"


def test_bad_route_lists_the_allowed_ones(tmp_path: Path) -> None:
    message = error_of(tmp_path, entry(id="a"), entry(id="b"), entry(id="c", expected_route="bilingual"))
    assert message == (
        "3: expected.route: 'bilingual' is not one of "
        "technical_support, billing_support, general_support, escalate_to_human"
    )


@pytest.mark.parametrize(
    ("changes", "field", "allowed"),
    [
        ({"language": "fr"}, "language", "en, es"),
        ({"customer_tier": "gold"}, "customer_tier", "standard, vip"),
        ({"category": "sales"}, "category", ", ".join(CATEGORIES)),
        ({"expected_reason": "angry"}, "expected.reason", ", ".join(r.value for r in EscalationReason)),
    ],
)
def test_bad_enum_value_lists_the_allowed_ones(
    tmp_path: Path, changes: dict[str, str], field: str, allowed: str
) -> None:
    (value,) = changes.values()
    assert error_of(tmp_path, entry(**changes)) == f"1: {field}: {value!r} is not one of {allowed}"


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    message = error_of(tmp_path, entry(), entry(id="x"), entry())
    assert message == "3: id: duplicate 'billing-en-001' (first used on line 1)"


def test_unknown_field(tmp_path: Path) -> None:
    message = error_of(tmp_path, entry(expected_confidence=0.9))
    assert message.startswith("1: expected.confidence: unknown field; known fields: route, escalated")


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"expected_escalated": True}, "escalated must be true exactly when a reason is given"),
        ({"expected_rejected": True}, "a rejected query has route null"),
        ({"expected_route": None}, "route is null but the query is not rejected"),
        ({"expected_reason": "vip_customer", "expected_escalated": True}, "ends on route escalate_to_human"),
        ({"customer_tier": "vip"}, "escalated with reason vip_customer"),
        ({"pii": ["ana@example.com"]}, "does not occur in the query"),
    ],
)
def test_inconsistent_labels_are_refused(tmp_path: Path, changes: dict[str, Any], complaint: str) -> None:
    message = error_of(tmp_path, entry(**changes))
    assert message.startswith("1: ") and complaint in message


def test_a_line_that_is_not_an_object(tmp_path: Path) -> None:
    assert error_of(tmp_path, "[1, 2]").startswith("1: scenario: ")


def test_empty_and_missing_files(tmp_path: Path) -> None:
    assert error_of(tmp_path, "", "  ") == " no scenarios (expected one JSON object per line)"
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load_scenarios(tmp_path / "nope.jsonl")


def test_scenario_error_is_a_harness_value_error() -> None:
    assert issubclass(ScenarioError, HarnessError) and issubclass(ScenarioError, ValueError)
    with pytest.raises(ScenarioError, match=r"^<scenarios>:1: invalid JSON"):
        parse_scenarios("nope")


# -- the packaged data set -------------------------------------------------------------------

SCENARIOS = load_scenarios()


def test_the_packaged_file_is_package_data() -> None:
    assert resources.files("harness.scenarios").joinpath("data", DEFAULT_FILE).is_file()


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
    assert set(ROUTE_NAMES) | {None} == routes
    reasons = {s.expected.reason for s in SCENARIOS if s.expected.escalated}
    need_faults = {
        EscalationReason.AGENT_UNAVAILABLE,
        EscalationReason.DEADLINE,
        EscalationReason.INVALID_HANDOFF,
    }
    assert reasons == set(EscalationReason) - need_faults


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
