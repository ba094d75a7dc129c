"""Specialist output validation: schema, word limit, confidence from the model, discount rule."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from support_desk._answer import parse_answer
from support_desk._errors import OutputValidationError


def parse(obj: object, *, max_words: int = 50, max_discount: float = 30) -> object:
    raw = obj if isinstance(obj, str) else json.dumps(obj)
    return parse_answer(raw, max_words=max_words, max_discount_pct=max_discount)


def test_valid_answer_with_offer() -> None:
    a = parse(
        {
            "answer": "Refund issued.",
            "confidence": 0.8,
            "offer": {"description": "Next month free", "discount_pct": 30},
        }
    )
    assert a.answer == "Refund issued." and a.confidence == 0.8  # type: ignore[attr-defined]
    assert a.offer.discount_pct == 30  # type: ignore[attr-defined]


def test_answer_inside_code_fence_and_prose() -> None:
    a = parse('Sure! ```json\n{"answer": "Restart it.", "confidence": 0.9}\n``` hope it helps')
    assert a.answer == "Restart it."  # type: ignore[attr-defined]


@pytest.mark.parametrize("conf", [None, "high", "n/a", True, [0.9], 1.01, -0.2, float("nan")])
def test_missing_or_unusable_confidence_reads_as_zero(conf: object) -> None:
    body: dict[str, object] = {"answer": "ok"}
    if conf is not None:
        body["confidence"] = conf
    raw = json.dumps(body).replace("NaN", '"NaN"')
    assert parse(raw).confidence == 0.0  # type: ignore[attr-defined]


@pytest.mark.parametrize("conf", [0, 0.0, 0.69, 0.7, 1, "0.85"])
def test_confidence_is_the_models_own_number(conf: object) -> None:
    assert parse({"answer": "ok", "confidence": conf}).confidence == float(conf)  # type: ignore[attr-defined, arg-type]


def test_discount_above_limit_breaks_the_business_rule() -> None:
    with pytest.raises(OutputValidationError, match=r"discount_pct is 31%.*at most 30%"):
        parse({"answer": "ok", "confidence": 0.9, "offer": {"description": "d", "discount_pct": 31}})


def test_discount_limit_is_configurable() -> None:
    with pytest.raises(OutputValidationError):
        parse({"answer": "ok", "offer": {"description": "d", "discount_pct": 15}}, max_discount=10)


def test_word_limit() -> None:
    with pytest.raises(OutputValidationError, match="51 words; the limit is 50"):
        parse({"answer": " ".join(["word"] * 51), "confidence": 0.9})
    assert parse({"answer": " ".join(["word"] * 50), "confidence": 0.9})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("plain text, no JSON", "not a JSON object"),
        ("{broken json", "not a JSON object"),
        ('{"answer": }', "not valid JSON"),
        ('{"confidence": 0.9}', "answer"),
        ('{"answer": "   ", "confidence": 0.9}', "blank"),
        ('{"answer": 42}', "answer"),
        ('{"answer": "ok", "offer": {"discount_pct": 5}}', "offer.description"),
        ('{"answer": "ok", "offer": {"description": "x", "discount_pct": -5}}', "offer.discount_pct"),
        ("", "not a JSON object"),
    ],
)
def test_invalid_output_says_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(OutputValidationError, match=message):
        parse(raw)


@given(discount=st.floats(min_value=0, max_value=100, allow_nan=False))
def test_discount_rule_holds_for_any_value(discount: float) -> None:
    body = {"answer": "ok", "confidence": 0.9, "offer": {"description": "d", "discount_pct": discount}}
    if discount > 30:
        with pytest.raises(OutputValidationError):
            parse(body)
    else:
        assert parse(body).offer.discount_pct == discount  # type: ignore[attr-defined]
