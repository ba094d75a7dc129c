"""`Scenario`: one labelled turn and how the system under test must handle it.

The labels are in the system's own vocabulary (`[tool.harness.system.vocabulary]`: its routes,
escalation reasons and categories), checked when the file is read (`load_scenarios`). What holds
for every system: a rejected turn (refused before any agent runs) has no route, escalation or
reason; a reason is given only for an escalated turn; every planted PII value occurs in the query.
A system's own rules about its labels (the reference's: a VIP is always escalated as
`vip_customer`) are checked by its own tests.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["Expected", "ExpectedToolCall", "Scenario"]


class ExpectedToolCall(BaseModel):
    """A tool the system is expected to call: its name, and (optionally) its arguments."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    arguments: dict[str, Any] | None = None  # None: any arguments


class Expected(BaseModel):
    """What the system must answer: the `Outcome`'s `route`, `escalated`, `escalation_reason`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    route: str | None
    escalated: bool
    reason: str | None = None
    rejected: bool = False
    tool_calls: list[ExpectedToolCall] = Field(
        default_factory=list, description="the tools the system should call (names or {name, arguments})"
    )
    tool_match: Literal["exact", "in_order", "subset"] = Field(
        "in_order",
        description="exact: these calls and no other; in_order: these, in this order, others allowed "
        "between them; subset: these, in any order",
    )

    def divergence(self, called: list[str]) -> str | None:
        """Where the tools a system called (names, in order) first part from the expected ones
        under `tool_match`; None when they agree. (Arguments, when given, are what the scenario
        brain calls a tool with; the comparison is by name.)"""
        wanted = [c.name for c in self.tool_calls]
        if self.tool_match == "subset":
            missing = [n for n in wanted if n not in called]
            return f"never called {missing[0]!r} (called {called})" if missing else None
        position = 0
        for step, name in enumerate(wanted):
            found = called.index(name, position) if name in called[position:] else -1
            if found < 0 or (self.tool_match == "exact" and found != position):
                got = called[position] if position < len(called) else "nothing"
                return f"call {step + 1}: expected {name!r}, got {got!r} (called {called})"
            position = found + 1
        if self.tool_match == "exact" and position < len(called):
            return f"call {position + 1}: {called[position]!r} was not expected (called {called})"
        return None

    @field_validator("tool_calls", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        # Shorthand: a bare name is a call with any arguments.
        return [{"name": v} if isinstance(v, str) else v for v in value] if isinstance(value, list) else value

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
    repeat: int | None = Field(None, ge=1, description="trials of it `harness trials` runs (else --repeat)")

    def turn(self, **fields: Any) -> Any:
        """This scenario as the turn a system is asked (`harness.sut.Turn`)."""
        from ..sut import Turn

        return Turn(query=self.query, user_id=self.user_id, customer_tier=self.customer_tier, **fields)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        missing = [value for value in self.pii if value not in self.query]
        if missing:
            raise ValueError(f"pii value {missing[0]!r} does not occur in the query")
        return self
