"""The structured answer every specialist must return, and how a raw reply becomes one.

A specialist replies with JSON: `{"answer": str, "confidence": 0..1, "offer": {"description": str,
"discount_pct": 0..30} | null}`. The answer must fit in `answer_max_words` (the next stage, a
ticket or chat widget, truncates beyond that). The confidence is the model's own: a missing or
unusable value is read as 0.0, so it escalates, and is never invented. An offer above the maximum
discount breaks a business rule and makes the whole answer invalid.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ._errors import OutputValidationError

__all__ = ["Offer", "SpecialistAnswer", "parse_answer", "specialist_reply"]

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)
_JSON_OBJ = re.compile(r"\{.*\}", re.S)


class Offer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    description: str = Field(min_length=1, max_length=300)
    discount_pct: float = Field(ge=0)


class SpecialistAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    answer: str = Field(min_length=1)
    confidence: float = 0.0
    offer: Offer | None = None

    @field_validator("answer")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("answer is blank")
        return value.strip()

    @field_validator("confidence", mode="before")
    @classmethod
    def _confidence(cls, value: Any) -> float:
        # The model's own figure or nothing: anything unusable counts as no confidence at all.
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            return 0.0
        try:
            number = float(value)
        except ValueError:
            return 0.0
        return number if 0.0 <= number <= 1.0 else 0.0


def parse_answer(raw: str | None, *, max_words: int, max_discount_pct: float) -> SpecialistAnswer:
    """Validate a specialist's reply; raise `OutputValidationError` saying what is wrong."""
    obj = _json_object(raw or "")
    try:
        answer = SpecialistAnswer.model_validate(obj)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "reply"
        raise OutputValidationError(f"{where}: {err['msg']}") from None
    n_words = len(answer.answer.split())
    if n_words > max_words:
        raise OutputValidationError(f"answer has {n_words} words; the limit is {max_words}")
    if answer.offer and answer.offer.discount_pct > max_discount_pct:
        raise OutputValidationError(
            f"offer.discount_pct is {answer.offer.discount_pct:g}%; "
            f"business rule: at most {max_discount_pct:g}%"
        )
    return answer


def _json_object(text: str) -> dict[str, Any]:
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    found = _JSON_OBJ.search(body)
    if not found:
        raise OutputValidationError("reply is not a JSON object with an 'answer' field")
    try:
        obj = json.loads(found.group(0))
    except ValueError as exc:
        raise OutputValidationError(f"reply is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise OutputValidationError("reply is not a JSON object")
    return obj


def specialist_reply(
    answer: str = "Here is how to fix it.",
    confidence: float | None = 0.9,
    offer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A reply in the form the specialists must produce: for scripting mock LLMs."""
    body: dict[str, Any] = {"answer": answer}
    if confidence is not None:
        body["confidence"] = confidence
    if offer is not None:
        body["offer"] = offer
    return body
