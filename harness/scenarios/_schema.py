"""`Scenario`: one labelled customer query and how the reference system must handle it.

The labels describe the reference system driven by the router brain (`harness.llm.brain`):
the policy rules first (VIP, then cancellation or refund, before any LLM call), then the
brain's routing and confidence. A rejected query fails validation (`InputValidationError`,
HTTP 422) before any agent runs, so it has no route, escalation or reason.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..reference._state import EscalationReason

__all__ = [
    "CATEGORIES",
    "LANGUAGES",
    "ROUTE_NAMES",
    "TIERS",
    "Expected",
    "Scenario",
]

Category = Literal[
    "technical", "billing", "general", "vip", "cancellation", "refund",
    "ambiguous", "pii", "prompt_injection", "long", "empty",
]  # fmt: skip
RouteName = Literal["technical_support", "billing_support", "general_support", "escalate_to_human"]
Language = Literal["en", "es"]
Tier = Literal["standard", "vip"]

CATEGORIES: tuple[str, ...] = get_args(Category)
ROUTE_NAMES: tuple[str, ...] = get_args(RouteName)
LANGUAGES: tuple[str, ...] = get_args(Language)
TIERS: tuple[str, ...] = get_args(Tier)

_BEFORE_ANY_LLM = {EscalationReason.VIP, EscalationReason.CANCELLATION}
_TO_A_HUMAN = _BEFORE_ANY_LLM | {EscalationReason.SUPERVISOR, EscalationReason.UNRECOGNISED_ROUTE}


class Expected(BaseModel):
    """What the reference system must answer: `SupportResult.route`, `.escalated`, `.escalation_reason`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    route: RouteName | None
    escalated: bool
    reason: EscalationReason | None
    rejected: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Expected:
        if self.rejected:
            if self.route is not None or self.escalated or self.reason is not None:
                raise ValueError("a rejected query has route null, escalated false and reason null")
            return self
        if self.route is None:
            raise ValueError("route is null but the query is not rejected")
        if self.escalated != (self.reason is not None):
            raise ValueError("escalated must be true exactly when a reason is given")
        if self.reason in _TO_A_HUMAN and self.route != "escalate_to_human":
            raise ValueError(f"reason {self.reason.value} ends on route escalate_to_human")
        if self.reason == EscalationReason.LOW_CONFIDENCE and self.route == "escalate_to_human":
            raise ValueError("reason low_confidence keeps the specialist's route")
        return self


class Scenario(BaseModel):
    """One customer query with its expected handling."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    query: str
    language: Language
    customer_tier: Tier = "standard"
    user_id: str = "anonymous"
    category: Category
    expected: Expected
    pii: list[str] = Field(default_factory=list, description="raw PII planted in the query")
    notes: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        missing = [value for value in self.pii if value not in self.query]
        if missing:
            raise ValueError(f"pii value {missing[0]!r} does not occur in the query")
        vip, rejected = self.customer_tier == "vip", self.expected.rejected
        if vip and not rejected and self.expected.reason != EscalationReason.VIP:
            raise ValueError("a VIP customer's query is escalated with reason vip_customer")
        return self
