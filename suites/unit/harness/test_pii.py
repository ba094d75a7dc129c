"""PII redaction: generated PII of every kind never survives; ordinary text is left alone."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.pii import (
    PIIKind,
    contains_pii,
    dni_valid,
    find_pii,
    iban_valid,
    luhn_valid,
    nie_valid,
    redact,
    redact_obj,
)
from harness.strategies import ALL_PII, iban_complete

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

FAST = settings(deadline=None)  # example count from the hypothesis profile (root conftest)

# Surrounding text: letters, digits, punctuation and spaces of any script.
noise = st.text(st.characters(categories=("L", "N", "P", "Zs")), max_size=30)


# --- the property: PII never survives ------------------------------------------------------


@pytest.mark.parametrize("kind", list(ALL_PII), ids=str)
@FAST
@given(data=st.data())
def test_generated_pii_never_survives_redaction(kind: PIIKind, data: st.DataObject) -> None:
    value = data.draw(ALL_PII[kind], label="pii")
    text = f"{data.draw(noise, label='before')} {value} {data.draw(noise, label='after')}"
    out = redact(text)
    assert value not in out
    assert contains_pii(text)


@pytest.mark.parametrize("kind", list(ALL_PII), ids=str)
@FAST
@given(data=st.data())
def test_generated_pii_alone_is_found_as_its_kind(kind: PIIKind, data: st.DataObject) -> None:
    value = data.draw(ALL_PII[kind])
    assert [(m.kind, m.value) for m in find_pii(value)] == [(kind, value)]
    assert redact(value) == kind.tag


@FAST
@given(st.lists(st.one_of(noise, *ALL_PII.values()), max_size=6).map(" ".join))
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


# --- examples --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Escribe a juan.perez+pedidos@correo.example.es ya", "Escribe a [EMAIL] ya"),
        ("IBAN ES91 2100 0418 4502 0005 1332, gracias", "IBAN [IBAN], gracias"),
        ("iban es9121000418450200051332", "iban [IBAN]"),
        ("GB82 WEST 1234 5698 7654 32 / DE89370400440532013000", "[IBAN] / [IBAN]"),
        ("tarjeta 4111 1111 1111 1111.", "tarjeta [CARD]."),
        ("amex 3782-822463-10005 y 4222222222222", "amex [CARD] y [CARD]"),
        ("DNI 12345678Z, 12.345.678-z", "DNI [DNI], [DNI]"),
        ("NIE X1234567L / y-1234567-x", "NIE [NIE] / [NIE]"),
        ("móvil 612 345 678, fijo (91) 234 56 78", "móvil [PHONE], fijo [PHONE]"),
        ("+34 612 34 56 78 / 0034612345678 / (+34) 912.345.678", "[PHONE] / [PHONE] / [PHONE]"),
        ("UK +44 20 7946 0958, US +1 (555) 123-4567", "UK [PHONE], US [PHONE]"),
        ("FR +33 1 23 45 67 89", "FR [PHONE]"),
    ],
)
def test_examples(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_iban_wins_over_the_phone_and_card_lookalikes_inside_it() -> None:
    # "6 1234 5678 9012 3456" inside the IBAN would pass for digits of a phone or a card.
    iban = iban_complete("ES", "61234567890123456789")
    assert [m.kind for m in find_pii(f"cuenta {iban}")] == [PIIKind.IBAN]


def test_email_wins_over_the_phone_inside_it() -> None:
    assert redact("612345678@movil.example.com") == "[EMAIL]"


def test_a_card_is_found_after_leading_digits_and_before_trailing_ones() -> None:
    assert redact("ref 12 4111 1111 1111 1111 22") == "ref 12 [CARD] 22"


def test_overlapping_candidates_merge_so_no_fragment_leaks() -> None:
    # The phone's greedy tail ("+34 612 345 678 4111") overlaps the card: redacting either one
    # alone would leak digits. Neither spans the union, so the higher-priority kind names it.
    assert redact("+34 612 345 678 4111 1111 1111 1111 fin") == "[CARD] fin"


@pytest.mark.parametrize("phone", ["+1 422 222 222 2222", "0034 641335558"])
def test_card_like_digits_of_a_phone_are_labelled_phone(phone: str) -> None:
    assert [m.kind for m in find_pii(phone)] == [PIIKind.PHONE]


def test_find_pii_reports_kind_span_and_value_in_text_order() -> None:
    text = "X1234567L y ana@example.org"
    matches = find_pii(text)
    assert [(m.kind, text[m.start : m.end], m.value) for m in matches] == [
        (PIIKind.NIE, "X1234567L", "X1234567L"),
        (PIIKind.EMAIL, "ana@example.org", "ana@example.org"),
    ]
    assert "X1234567L" not in repr(matches)  # printing a match must not leak it


# --- ordinary text is left alone -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Pedido 123456 del 2024-01-15 a las 10:30, total 29.99 EUR",
        "Factura 2023/004512 por 1.299,99 € con IVA del 21%",
        "4111 1111 1111 1112 no pasa Luhn",
        "4111111111111112",
        "fecha 15/01/2024 14:35:00, CP 28013, ref 12345678",
        "DNI falso 12345678A y NIE falso X1234567A",
        "IBAN con dígito de control malo ES00 2100 0418 4502 0005 1332",
        "+25.5 grados, versión 3.11.7, IP 192.168.1.1, +5 puntos",
        "tracking 12345 67890",
        "sin datos personales, solo texto",
        "",
    ],
)
def test_ordinary_text_is_untouched(text: str) -> None:
    assert redact(text) == text
    assert not contains_pii(text)


@FAST
@given(st.text(st.characters(categories=("L", "Zs", "P"), exclude_characters="@"), max_size=60))
def test_text_without_digits_or_at_signs_is_untouched(text: str) -> None:
    assert redact(text) == text


@FAST
@given(st.integers(0, 9_999_999), st.integers(1900, 2100), st.integers(0, 99_999))
def test_short_numbers_years_and_prices_are_untouched(order: int, year: int, cents: int) -> None:
    text = f"pedido {order} de {year}: {cents / 100:.2f} EUR a las 10:{order % 60:02d}"
    assert redact(text) == text


# --- validators ------------------------------------------------------------------------------


def test_luhn() -> None:
    assert luhn_valid("4111 1111 1111 1111") and luhn_valid("79927398713")
    assert not luhn_valid("4111 1111 1111 1112") and not luhn_valid("") and not luhn_valid("41a1")


def test_iban() -> None:
    assert iban_valid("ES91 2100 0418 4502 0005 1332") and iban_valid("gb82west12345698765432")
    assert not iban_valid("ES92 2100 0418 4502 0005 1332")  # check digits
    assert not iban_valid("ES91 2100 0418 4502 0005 13")  # wrong length for Spain
    assert iban_valid(iban_complete("QQ", "123456789012345"))  # unknown country: mod-97 only


def test_dni_and_nie() -> None:
    assert dni_valid("12345678Z") and dni_valid("12.345.678-z") and not dni_valid("12345678A")
    assert nie_valid("X1234567L") and nie_valid("Y1234567X") and not nie_valid("X1234567A")
    assert nie_valid("y-1234567-x")
    assert not dni_valid("1234567Z") and not nie_valid("A1234567L")


# --- redact_obj ------------------------------------------------------------------------------


def test_redact_obj_walks_nested_structures_keys_included() -> None:
    Pair = namedtuple("Pair", "name contact")
    obj: dict[str, Any] = {
        "user": {"email": "ana@example.org", "ids": ["12345678Z", ("X1234567L", 42)]},
        "612345678": {"card": "4111111111111111", "tags": {"ok", "ana@example.org"}},
        "pair": Pair("Ana", "+34 612 345 678"),
        "count": 3,
        "none": None,
    }
    assert redact_obj(obj) == {
        "user": {"email": "[EMAIL]", "ids": ["[DNI]", ("[NIE]", 42)]},
        "[PHONE]": {"card": "[CARD]", "tags": {"ok", "[EMAIL]"}},
        "pair": Pair("Ana", "[PHONE]"),
        "count": 3,
        "none": None,
    }
    assert isinstance(redact_obj(obj)["pair"], Pair)
    assert obj["user"]["email"] == "ana@example.org"  # the input is not mutated


def test_redact_obj_on_scalars() -> None:
    assert redact_obj("ana@example.org") == "[EMAIL]"
    assert redact_obj(7) == 7 and redact_obj(None) is None and redact_obj(1.5) == 1.5
