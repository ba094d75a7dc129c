"""The harness's scenario loader: errors name file, line and field; labels are checked against the
declared vocabulary, whatever it is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness._exceptions import HarnessError, ScenarioError
from harness.scenarios import load_scenarios, parse_scenarios
from harness.sut import Vocabulary

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

# A vocabulary of a made-up system: the loader knows no system's names of its own.
VOCABULARY = Vocabulary(
    routes=["billing_support", "general_support", "tech", "human"],
    escalation_reasons=["angry_customer", "unsure"],
    categories=["billing", "general", "tech"],
)


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
        load_scenarios(path, VOCABULARY)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:")
    return message.removeprefix(f"{path}:")


# -- loader errors ---------------------------------------------------------------------------


def test_a_good_file_loads(tmp_path: Path) -> None:
    other = entry(id="general-es-001", query="¿A qué hora abrís?", language="es", category="general")
    other["expected"]["route"] = "general_support"
    scenarios = load_scenarios(write(tmp_path, entry(), "", other), VOCABULARY)
    assert [s.id for s in scenarios] == ["billing-en-001", "general-es-001"]
    assert scenarios[0].expected.route == "billing_support" and scenarios[0].pii == []


def test_an_empty_vocabulary_accepts_any_label(tmp_path: Path) -> None:
    odd = entry(category="sales", expected_route="anything", expected_escalated=True, expected_reason="why")
    (scenario,) = load_scenarios(write(tmp_path, odd), Vocabulary())
    assert scenario.category == "sales" and scenario.expected.reason == "why"


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
        "3: expected.route: 'bilingual' is not one of billing_support, general_support, tech, human; "
        "fix the label or [tool.harness.system.vocabulary]"
    )


@pytest.mark.parametrize(
    ("changes", "field", "allowed"),
    [
        ({"category": "sales"}, "category", "billing, general, tech"),
        (
            {"expected_reason": "angry", "expected_escalated": True},
            "expected.reason",
            "angry_customer, unsure",
        ),
    ],
)
def test_a_label_off_the_vocabulary_lists_the_allowed_ones(
    tmp_path: Path, changes: dict[str, Any], field: str, allowed: str
) -> None:
    value = changes.get("category", changes.get("expected_reason"))
    assert error_of(tmp_path, entry(**changes)) == (
        f"1: {field}: {value!r} is not one of {allowed}; fix the label or [tool.harness.system.vocabulary]"
    )


def test_a_language_is_a_code(tmp_path: Path) -> None:
    assert error_of(tmp_path, entry(language="English")).startswith("1: language: String should match")


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    message = error_of(tmp_path, entry(), entry(id="x"), entry())
    assert message == "3: id: duplicate 'billing-en-001' (first used on line 1)"


def test_unknown_field(tmp_path: Path) -> None:
    message = error_of(tmp_path, entry(expected_confidence=0.9))
    assert message.startswith("1: expected.confidence: unknown field; known fields: route, escalated")


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"expected_reason": "unsure"}, "a reason is given only for an escalated query"),
        ({"expected_rejected": True}, "a rejected query has route null"),
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
        load_scenarios(tmp_path / "nope.jsonl", VOCABULARY)


def test_scenario_error_is_a_harness_value_error() -> None:
    assert issubclass(ScenarioError, HarnessError) and issubclass(ScenarioError, ValueError)
    with pytest.raises(ScenarioError, match=r"^<scenarios>:1: invalid JSON"):
        parse_scenarios("nope")
