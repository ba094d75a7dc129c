"""Fault rules and the seeded plan that decides, request by request, which one fires.

A rule is data::

    {"kind": "status", "probability": 0.2, "status": 503, "retry_after": 2,
     "target": {"agent": "billing_support", "model": "gpt-4o*"}}

Kinds (`LLM_FAULT_KINDS`):

- `status`: an HTTP error in OpenAI's shape (`status`, default 500; `retry_after` seconds
  adds a Retry-After header).
- `hang`: hold the connection and answer nothing until the client gives up, at most
  `seconds` (default and maximum `HANG_MAX_S`), then close it.
- `stall`: a *stream* stops after about half its content, holds the connection `seconds`
  (default and maximum `HANG_MAX_S`), then sends the rest: a model that goes quiet mid-answer.
  Only streamed calls meet it (a plain call is neither eligible nor hit).
- `malformed`: HTTP 200, `application/json`, a body cut mid-JSON (a stream: an event whose
  data is not JSON).
- `truncated`: a stream stops mid-content and the connection drops; a plain response
  promises a Content-Length, sends half of it and drops.
- `empty`: a valid completion whose content is "".
- `invalid_route`: the router answers a label that names no route (or two).
- `schema_violation`: a specialist's JSON breaks its schema (`variant`: `missing_answer`,
  `blank_answer`, `wrong_type`, `excess_discount` (offer above 30 %); default: any).
- `hallucinated_tool`: a tool call to a function the request did not offer.

The router is the agent whose reply names a route (`router` in the server config, e.g. a
supervisor; none by default): `invalid_route` only hits its calls and `schema_violation` only
the others'. A `target` narrows a rule further: each of `model`, `agent` and `route` is a
name, an fnmatch pattern or a list of them; `route` is the route the brain chose: the label
of the router's reply (read by the brain's `route_of`), the agent's name for the others.
Every rule has its own generator, seeded from the plan seed and the rule's position, and draws
once per request it applies to, whether or not an earlier rule fired: so one rule's firing
sequence does not depend on the others. The first rule that fires wins.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["HANG_MAX_S", "LLM_FAULT_KINDS", "FaultPlan", "FaultRule", "Fired", "Target"]

FaultKind = Literal[
    "status",
    "hang",
    "stall",
    "malformed",
    "truncated",
    "empty",
    "invalid_route",
    "schema_violation",
    "hallucinated_tool",
]
LLM_FAULT_KINDS: tuple[str, ...] = FaultKind.__args__  # type: ignore[attr-defined]

#: The longest a hang holds a connection: nothing a test forgets about leaks for long.
HANG_MAX_S = 120.0

SchemaVariant = Literal["missing_answer", "blank_answer", "wrong_type", "excess_discount"]

# Fields that only make sense for one kind, so a typo'd kind does not silently drop them.
_KIND_OF_FIELD: dict[str, tuple[str, ...]] = {
    "status": ("status",),
    "retry_after": ("status",),
    "seconds": ("hang", "stall"),
    "variant": ("schema_violation",),
}


def _names(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _matches(patterns: list[str] | None, value: str | None) -> bool:
    if patterns is None:
        return True
    return value is not None and any(fnmatchcase(value, p) for p in patterns)


class Target(BaseModel):
    """Which requests a rule may hit; every field set must match."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: list[str] | None = None
    agent: list[str] | None = None
    route: list[str] | None = None

    _as_list = field_validator("model", "agent", "route", mode="before")(_names)

    def matches(self, *, model: str, agent: str | None, route: str | None) -> bool:
        return _matches(self.model, model) and _matches(self.agent, agent) and _matches(self.route, route)


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FaultKind
    probability: float = Field(ge=0, le=1)
    target: Target = Field(default_factory=Target)
    status: int | None = Field(None, ge=400, le=599)
    retry_after: float | None = Field(None, ge=0)
    seconds: float | None = Field(None, gt=0, le=HANG_MAX_S)
    variant: SchemaVariant | None = None

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> FaultRule:
        for name, kinds in _KIND_OF_FIELD.items():
            if getattr(self, name) is not None and self.kind not in kinds:
                fits = " or ".join(map(repr, kinds))
                raise ValueError(f"{name!r} only applies to kind {fits}, not {self.kind!r}")
        return self

    def applies(
        self, *, model: str, agent: str | None, route: str | None, router: str | None, stream: bool = False
    ) -> bool:
        if self.kind == "stall" and not stream:
            return False  # a plain reply has no middle to stall in
        # The router's reply names a route; the others' replies are answers. With no router
        # declared, every agent's reply can be either.
        if self.kind == "invalid_route" and router is not None and agent != router:
            return False
        if self.kind == "schema_violation" and router is not None and agent == router:
            return False
        return self.target.matches(model=model, agent=agent, route=route)

    @property
    def status_code(self) -> int:
        return self.status or 500

    @property
    def hang_seconds(self) -> float:
        return self.seconds or HANG_MAX_S


@dataclass(frozen=True, slots=True)
class Fired:
    """A rule that fired, its position, and its generator for the fault's own choices."""

    rule: FaultRule
    index: int
    rng: random.Random


class FaultPlan:
    """Rules plus one seeded generator per rule; `pick` decides each request's fault."""

    def __init__(self, rules: Sequence[FaultRule] = (), seed: int = 0, router: str | None = None) -> None:
        self.rules = tuple(rules)
        self.router = router
        self.seed = seed
        self._rngs = [random.Random(f"{seed}:fault:{i}") for i in range(len(self.rules))]
        self.fired = [0] * len(self.rules)
        self.eligible = [0] * len(self.rules)  # requests each rule applied to (drew on)
        # Reading the router's label costs a parse: done only when a rule needs it.
        self.needs_route = any(rule.target.route is not None for rule in self.rules)

    def pick(self, *, model: str, agent: str | None, route: str | None, stream: bool = False) -> Fired | None:
        chosen: Fired | None = None
        for index, rule in enumerate(self.rules):
            if not rule.applies(model=model, agent=agent, route=route, router=self.router, stream=stream):
                continue
            self.eligible[index] += 1
            rng = self._rngs[index]
            if rng.random() < rule.probability and chosen is None:
                chosen = Fired(rule, index, rng)
        if chosen is not None:
            self.fired[chosen.index] += 1
        return chosen

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "faults": [rule.model_dump(mode="json", exclude_none=True) for rule in self.rules],
            # Per rule, since it was set: how many requests it applied to and how many it hit, so
            # a chaos run can tell a fault that fired from one that never met its target.
            "counts": [{"eligible": e, "fired": f} for e, f in zip(self.eligible, self.fired, strict=True)],
        }
