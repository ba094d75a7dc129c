"""`Scenario`: one labelled turn and how the system under test must handle it.

The labels are in the system's own vocabulary (`[tool.harness.system.vocabulary]`: its routes,
escalation reasons and categories), checked when the file is read (`load_scenarios`). What holds
for every system: a rejected turn (refused before any agent runs) has no route, escalation or
reason; a reason is given only for an escalated turn; every planted PII value occurs in the query.
A system's own rules about its labels (the reference's: a VIP is always escalated as
`vip_customer`) are checked by its own tests.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Expected", "Scenario"]


class Expected(BaseModel):
    """What the system must answer: the `Outcome`'s `route`, `escalated`, `escalation_reason`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    route: str | None
    escalated: bool
    reason: str | None = None
    rejected: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Expected:
        if self.rejected:
            if self.route is not None or self.escalated or self.reason is not None:
                raise ValueError("a rejected query has route null, escalated false and reason null")
            return self
        if self.reason is not None and not self.escalated:
            raise ValueError("a reason is given only for an escalated query (escalated: true)")
        return self


class Scenario(BaseModel):
    """One labelled turn with its expected handling."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    query: str
    language: str = Field("en", pattern=r"^[a-z]{2,3}$")
    customer_tier: str = "standard"
    user_id: str = "anonymous"
    category: str = Field(min_length=1)
    expected: Expected
    pii: list[str] = Field(default_factory=list, description="raw PII planted in the query")
    notes: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        missing = [value for value in self.pii if value not in self.query]
        if missing:
            raise ValueError(f"pii value {missing[0]!r} does not occur in the query")
        return self
