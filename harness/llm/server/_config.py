"""The server's config file (JSON or TOML) and the errors that say what to fix in it.

    seed = 42                       # fault and latency draws repeat for the same seed
    models = ["gpt-4o", "gpt-4o-mini"]   # what GET /v1/models lists (plus models seen)
    brain_memo = 4096               # replies remembered (the brain is deterministic); 0: off
    router = "supervisor"           # the agent whose reply names a route (default: none)

    [latency]
    default = "zero"                # a profile name: zero, fast, realistic, slow or your own
    models = { "gpt-4o" = "realistic", "gpt-4o-mini*" = "fast" }

    [latency.profiles.flaky]        # add or override profiles (see _latency)
    ttft_median_ms = 800
    ttft_sigma = 0.9
    per_token_ms = 20

    [[faults]]                      # see _faults for every kind and its fields
    kind = "status"
    probability = 0.1
    status = 503
    retry_after = 1
    target = { agent = "billing_support" }

The same document as JSON works too (`.json`); the control API takes the `faults` and
`latency` parts at run time.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..._exceptions import MockServerError
from ..cassette._settings import CassetteConfig
from ._faults import LLM_FAULT_KINDS, FaultRule
from ._latency import LatencyConfig

__all__ = ["DEFAULT_MODELS", "AgentRule", "ServerConfig", "describe_errors", "load_config", "parse_config"]

DEFAULT_MODELS = ("gpt-4o", "gpt-4o-mini")
_SUFFIXES = (".json", ".toml")


class AgentRule(BaseModel):
    """How to tell an agent that sends no `X-Harness-Agent` header: its system prompt (a regex,
    searched) or a tool its calls offer (a supervisor's `transfer_to_billing`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    system: str | None = None
    tool: str | None = None


class ServerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 0
    models: list[str] = Field(default_factory=lambda: list(DEFAULT_MODELS))
    brain_memo: int = Field(4096, ge=0)  # replies remembered per request; 0 for brains that vary
    router: str | None = None  # the agent whose reply names a route (invalid_route faults hit it)
    agents: dict[str, AgentRule] = Field(default_factory=dict)  # rules, in order, for header-less calls
    latency: LatencyConfig = Field(default_factory=LatencyConfig)
    faults: list[FaultRule] = Field(default_factory=list)
    # Record to or replay from a cassette instead of asking the brain (harness.llm.cassette).
    cassette: CassetteConfig | None = None


def _where(loc: tuple[int | str, ...]) -> str:
    """`('faults', 0, 'probability')` -> `faults[0].probability`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _hint(err: Any) -> str:
    # Pydantic lists the allowed kinds itself; unknown keys deserve the list of known ones.
    if err["type"] == "extra_forbidden":
        return " (unknown setting: check the spelling)"
    if err["loc"][-1:] == ("kind",) and err["type"] == "missing":
        return f" (one of: {', '.join(LLM_FAULT_KINDS)})"
    return ""


def describe_errors(exc: ValidationError, source: str) -> str:
    """Every problem on one line each: `source: faults[0].probability: <what is allowed>`."""
    lines = [f"{source}: {_where(tuple(err['loc']))}: {err['msg']}{_hint(err)}" for err in exc.errors()]
    return "\n".join(lines)


def parse_config(data: Any, source: str = "config") -> ServerConfig:
    """Validate a decoded document; `MockServerError` names `source` and each bad field."""
    if not isinstance(data, dict):
        raise MockServerError(f"{source}: expected a table/object at the top, got {type(data).__name__}")
    try:
        return ServerConfig.model_validate(data)
    except ValidationError as exc:
        raise MockServerError(describe_errors(exc, source)) from None


def load_config(path: str | Path) -> ServerConfig:
    """Read a `.json` or `.toml` config file."""
    path = Path(path)
    if path.suffix not in _SUFFIXES:
        raise MockServerError(f"{path}: a config file must end in {' or '.join(_SUFFIXES)}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MockServerError(f"{path}: cannot read the config file: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise MockServerError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None
    return parse_config(data, str(path))
