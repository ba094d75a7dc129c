"""Supervisor decision parsing: real model output in every shape maps to one route or to None."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from support_desk import Route
from support_desk._decision import parse_decision

LABELS = {
    Route.TECHNICAL: ["technical_support", "Technical Support", "tech", "soporte técnico", "TÉCNICO"],
    Route.BILLING: ["billing_support", "BILLING", "facturación", "Facturacion", "payments"],
    Route.GENERAL: ["general_support", "General", "soporte general", "información general"],
    Route.ESCALATE: ["escalate_to_human", "Escalate", "humano", "agente humano", "human agent"],
}
ALL = [(route, label) for route, labels in LABELS.items() for label in labels]


@pytest.mark.parametrize(("route", "label"), ALL)
def test_every_alias_maps_to_its_route(route: Route, label: str) -> None:
    assert parse_decision(label).route == route


@pytest.mark.parametrize(
    "raw",
    [
        '"billing_support"',
        "'billing_support'",
        "`billing_support`",
        "billing_support.",
        "  BILLING_SUPPORT!\n",
        "**billing_support**",
        "Route: billing_support",
        "```\nbilling_support\n```",
        "I would send this to billing.",
        "billing-support",
    ],
)
def test_decoration_around_a_label_is_ignored(raw: str) -> None:
    assert parse_decision(raw).route == Route.BILLING


@pytest.mark.parametrize("key", ["route", "next", "decision", "agent", "destination", "Route"])
def test_json_object_with_any_usual_key(key: str) -> None:
    assert parse_decision(json.dumps({key: "technical_support"})).route == Route.TECHNICAL


def test_json_in_a_code_fence_with_confidence() -> None:
    decision = parse_decision('```json\n{"route": "general", "confidence": 0.93}\n```')
    assert decision.route == Route.GENERAL
    assert decision.confidence == pytest.approx(0.93)


@pytest.mark.parametrize("conf", [1.5, -0.1, "high", None])
def test_json_confidence_out_of_range_is_dropped(conf: object) -> None:
    assert parse_decision(json.dumps({"route": "billing", "confidence": conf})).confidence is None


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        None,
        "banana",
        "42",
        "{}",
        "[]",
        '{"route": 7}',
        "{not json",
        "technical_support or billing_support",
        "billing? or general?",
        "ninguno",
    ],
)
def test_no_clear_single_route_is_unrecognised(raw: str | None) -> None:
    decision = parse_decision(raw)
    assert decision.route is None
    assert not decision.recognised


@given(
    route=st.sampled_from(ALL),
    left=st.sampled_from(["", " ", "\n", '"', "'", "`", "*", "> "]),
    right=st.sampled_from(["", ".", "!", "\n", '"', "'", "`", "*", " "]),
    upper=st.booleans(),
)
def test_any_decoration_and_case_keeps_the_route(
    route: tuple[Route, str], left: str, right: str, upper: bool
) -> None:
    expected, label = route
    text = label.upper() if upper else label
    assert parse_decision(f"{left}{text}{right}").route == expected


@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes_and_gives_a_route_or_none(raw: str) -> None:
    decision = parse_decision(raw)
    assert decision.route is None or decision.route in set(Route)
    assert decision.raw == raw
