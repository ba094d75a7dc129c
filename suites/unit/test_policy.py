"""Escalation rules, input sanitising and model routing."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from harness._exceptions import InputValidationError
from harness.text import fold
from support_desk import EscalationReason, Route, _policy, load_settings
from support_desk._policy import _one_edit, escalation_by_rule, is_complex, model_for, sanitise_query

CANCEL_OR_REFUND = [
    "Quiero cancelar mi cuenta",
    "QUIERO CANCELAR MI CUENTA",
    "quiero cancelár mi cuénta",
    "Cancelación de la suscripción",
    "I want to cancel my account",
    "Please CANCEL everything",
    "cancelled order, I want my money back",
    "I demand a refund",
    "REFUND!!!",
    "refunds policy?",
    "Solicito un reembolso",
    "REEMBOLSO ya",
    "reembolsos",
    "¿Me pueden reembolsar?",
    "Quiero darme de baja",
    "close my account please",
    "Devolución del dinero por favor",
    "cancle my plan",  # misspellings: one edit or one swap from a key word
    "refnud please",
    "necesito un reenbolso",
    "quiero q me devuelvan la plata",
    "Quiero la devolución del cobro de ayer",
    "Please reverse the charge on my card",
    "¿Cómo doy de baja el servicio?",
]
NOT_CANCEL = [
    "My app crashes on start",
    "How do I change my password?",
    "¿Cuál es el horario?",
    "Invoice 2024-113 looks wrong",
    "canceling noise headphones review",  # cancelling something other than the account:
    "Please cancel order 5521, wrong address",
    "Cancela la cita del viernes",
    "The cancel button is greyed out",  # a UI control: technical
    "Quiero devolver la chaqueta, es pequeña",  # returning goods is not asking for money
    "Don't cancel my plan, I only want a new card",  # a wish stated negatively
    "Quiero darme de baja de los correos de publicidad",
]


@pytest.mark.parametrize("query", CANCEL_OR_REFUND)
def test_cancellation_and_refund_escalate_in_both_languages(query: str) -> None:
    assert escalation_by_rule(query, "standard") == EscalationReason.CANCELLATION


@pytest.mark.parametrize("query", NOT_CANCEL)
def test_ordinary_queries_do_not_escalate_by_rule(query: str) -> None:
    assert escalation_by_rule(query, "standard") is None


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("cancle", "cancel", True),  # swap
        ("refnd", "refund", True),  # deletion
        ("cancell", "cancel", True),  # insertion
        ("reembolzo", "reembolso", True),  # substitution
        ("cancel", "cancel", True),
        ("cnacle", "cancel", False),  # two edits
        ("refunding", "refund", False),
    ],
)
def test_one_edit_reads_near_misses_only(a: str, b: str, near: bool) -> None:
    assert _one_edit(a, b) is near


def test_vip_escalates_whatever_the_query() -> None:
    assert escalation_by_rule("What are your opening hours?", "vip") == EscalationReason.VIP


def test_vip_wins_over_refund_as_the_recorded_reason() -> None:
    assert escalation_by_rule("refund please", "vip") == EscalationReason.VIP


def _neutral(noise: str, query: str) -> bool:
    """Noise that names nothing else one cancels and does not make the query "not a request"."""
    folded = fold(query)
    return not _policy._OTHER_THINGS_RE.search(fold(noise)) and not _policy._NOT_A_REQUEST_RE.search(folded)


@given(
    st.sampled_from(["cancelar cuenta", "cancel", "refund", "reembolso", "cancelación"]),
    st.text(alphabet=st.characters(categories=["Ll", "Lu", "Zs"]), max_size=30),
    st.booleans(),
)
def test_keyword_anywhere_in_any_case_escalates(keyword: str, noise: str, upper: bool) -> None:
    # Noise the rule gives a meaning to ("order", "update", "got") may rightly turn the keyword off:
    # hypothesis draws the rule's own words from its source, so those are left out here.
    kw = keyword.upper() if upper else keyword
    query = f"{noise} {kw} {noise}"
    assume(_neutral(noise, query))
    assert escalation_by_rule(query, "standard") == EscalationReason.CANCELLATION


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("a" * 4001, "4001 characters; the limit is 4000"),
        ("hello\x00world", "U+0000"),
        ("bell\x07", "U+0007"),
        ("zero\u200bwidth", "U+200B"),
        ("esc\x1b[31m", "U+001B"),
    ],
)
def test_bad_input_gets_a_clear_validation_error(query: str, message: str) -> None:
    with pytest.raises(InputValidationError, match=re.escape(message)):
        sanitise_query(query, max_chars=4000)


@pytest.mark.parametrize("bad", [None, 42, b"bytes", ["list"]])
def test_non_string_query_is_rejected(bad: object) -> None:
    with pytest.raises(InputValidationError, match="must be a string"):
        sanitise_query(bad, max_chars=100)


def test_sanitise_keeps_newlines_and_collapses_spaces() -> None:
    assert sanitise_query("  line one   and\n\tline two  ", max_chars=100) == "line one and\n line two"


@given(st.text(min_size=1, max_size=200))
def test_sanitise_either_accepts_or_raises_validation_error(text: str) -> None:
    try:
        clean = sanitise_query(text, max_chars=100)
    except InputValidationError:
        return
    assert clean and len(clean) <= 100
    assert clean == clean.strip()


def test_model_routing_rule() -> None:
    s = load_settings()
    simple, long_q = "Where is my invoice?", " ".join(["word"] * 60)
    assert model_for("supervisor", long_q, s) == s.models.cheap
    assert model_for(Route.TECHNICAL, simple, s) == s.models.strong
    assert model_for(Route.BILLING, simple, s) == s.models.cheap
    assert model_for(Route.BILLING, long_q, s) == s.models.strong
    assert model_for(Route.GENERAL, "Why? And how?", s) == s.models.strong


@pytest.mark.parametrize(
    ("query", "complex_"),
    [
        ("short one", False),
        ("Traceback (most recent call last):\n x", True),
        ("```\ncode\n```", True),
        ("one? two?", True),
        ("only one?", False),
    ],
)
def test_is_complex(query: str, complex_: bool) -> None:
    assert is_complex(query, min_words=60) is complex_
