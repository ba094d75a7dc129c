"""The faults an experiment may inject: one small pydantic model per kind, in three families.

    network   through the proxy's Toxiproxy API on the "llm" proxy (the service -> LLM link)
    llm       through the mock LLM's control API (what Toxiproxy cannot make: HTTP-level faults)
    handoff   through the service's `/_control/handoff` (between the graph's nodes)

Field names carry their unit (`_ms`, `_s`, `_kbps`) so a YAML file reads unambiguously; the
injectors translate them to each API's own names.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FAMILIES", "FAULT_KINDS", "Fault", "LatencyProfileSpec", "family_of"]

Stream = Literal["downstream", "upstream", "both"]


class _Fault(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- network: toxics on the proxy ------------------------------------------------------


class Latency(_Fault):
    kind: Literal["latency"]
    latency_ms: int = Field(ge=1, le=120_000)
    jitter_ms: int = Field(0, ge=0, le=120_000)
    stream: Stream = "downstream"


class Jitter(_Fault):
    kind: Literal["jitter"]
    latency_ms: int = Field(0, ge=0, le=120_000)
    jitter_ms: int = Field(ge=1, le=120_000)
    stream: Stream = "downstream"


class Bandwidth(_Fault):
    kind: Literal["bandwidth"]
    rate_kbps: int = Field(ge=1, le=10_000_000, description="KB/s; 0 would stall, use `timeout`")
    stream: Stream = "downstream"


class Timeout(_Fault):
    kind: Literal["timeout"]
    timeout_ms: int = Field(0, ge=0, description="close after this much silence; 0: never")
    stream: Stream = "downstream"


class ResetPeer(_Fault):
    kind: Literal["reset_peer"]
    timeout_ms: int = Field(0, ge=0)
    stream: Stream = "downstream"


class Down(_Fault):
    kind: Literal["down"]


class SlowClose(_Fault):
    kind: Literal["slow_close"]
    delay_ms: int = Field(ge=1, le=120_000)
    # Our mock LLM keeps connections alive and never closes one on its own, so a slow close
    # alone has nothing to delay; cutting each connection after this many bytes makes the
    # (late) close the only way the client learns the reply will not be completed.
    cut_after_bytes: int | None = Field(None, ge=1)
    stream: Stream = "downstream"


class LimitData(_Fault):
    kind: Literal["limit_data"]
    bytes: int = Field(ge=1)
    stream: Stream = "downstream"


# --- llm: rules on the mock LLM ----------------------------------------------------------


class Status(_Fault):
    kind: Literal["status"]
    status: int = Field(503, ge=400, le=599)
    retry_after_s: float | None = Field(None, ge=0)


class Hang(_Fault):
    kind: Literal["hang"]
    seconds: float = Field(30.0, gt=0, le=120)


class Stall(_Fault):
    """A stream goes quiet after about half its content for `seconds`, then finishes."""

    kind: Literal["stall"]
    seconds: float = Field(30.0, gt=0, le=120)


class Malformed(_Fault):
    kind: Literal["malformed"]


class Truncated(_Fault):
    kind: Literal["truncated"]


class Empty(_Fault):
    kind: Literal["empty"]


class InvalidRoute(_Fault):
    kind: Literal["invalid_route"]


class SchemaViolation(_Fault):
    kind: Literal["schema_violation"]
    variant: Literal["missing_answer", "blank_answer", "wrong_type", "excess_discount"] | None = None


class HallucinatedTool(_Fault):
    kind: Literal["hallucinated_tool"]


class LatencyProfileSpec(BaseModel):
    """A mock LLM latency profile (see `harness.llm.server._latency`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["lognormal", "fixed"] = "fixed"
    ttft_median_ms: float = Field(0.0, ge=0, le=600_000)
    ttft_sigma: float = Field(0.0, ge=0, le=5)
    ttft_max_ms: float | None = Field(None, gt=0)
    per_token_ms: float = Field(0.0, ge=0, le=60_000)
    per_token_sigma: float = Field(0.0, ge=0, le=5)


class SlowTokens(_Fault):
    kind: Literal["slow_tokens"]
    profile: Literal["fast", "realistic", "slow"] | LatencyProfileSpec


# --- handoff: rules between the graph's nodes ---------------------------------------------


class Drop(_Fault):
    kind: Literal["drop"]


class Delay(_Fault):
    kind: Literal["delay"]
    delay_ms: float = Field(ge=1, le=60_000)


class Duplicate(_Fault):
    kind: Literal["duplicate"]


class Corrupt(_Fault):
    kind: Literal["corrupt"]


_NETWORK = (Latency, Jitter, Bandwidth, Timeout, ResetPeer, Down, SlowClose, LimitData)
_LLM = (
    Status,
    Hang,
    Stall,
    Malformed,
    Truncated,
    Empty,
    InvalidRoute,
    SchemaViolation,
    HallucinatedTool,
    SlowTokens,
)
_HANDOFF = (Drop, Delay, Duplicate, Corrupt)

Fault = Annotated[
    Latency
    | Jitter
    | Bandwidth
    | Timeout
    | ResetPeer
    | Down
    | SlowClose
    | LimitData
    | Status
    | Hang
    | Stall
    | Malformed
    | Truncated
    | Empty
    | InvalidRoute
    | SchemaViolation
    | HallucinatedTool
    | SlowTokens
    | Drop
    | Delay
    | Duplicate
    | Corrupt,
    Field(discriminator="kind"),
]


def _kinds(models: tuple[type[_Fault], ...]) -> tuple[str, ...]:
    return tuple(get_args(m.model_fields["kind"].annotation)[0] for m in models)


FAMILIES: dict[str, tuple[str, ...]] = {
    "network": _kinds(_NETWORK),
    "llm": _kinds(_LLM),
    "handoff": _kinds(_HANDOFF),
}
FAULT_KINDS: tuple[str, ...] = tuple(k for kinds in FAMILIES.values() for k in kinds)
_FIELDS: dict[str, tuple[str, ...]] = {
    _kinds((m,))[0]: tuple(f for f in m.model_fields if f != "kind") for m in (*_NETWORK, *_LLM, *_HANDOFF)
}


def family_of(kind: str) -> str:
    return next(family for family, kinds in FAMILIES.items() if kind in kinds)


def fields_of(kind: str) -> tuple[str, ...]:
    """The parameters a kind accepts besides `kind`, for error messages."""
    return _FIELDS.get(kind, ())


def fault_json(fault: Any) -> dict[str, Any]:
    return dict(fault.model_dump(mode="json", exclude_none=True))
