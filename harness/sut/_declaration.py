"""The system declaration: what the harness knows about the system under test, in one place.

    [tool.harness.system]                     # in the team's own pyproject.toml
    name = "support desk"
    python = "my_pkg.harness:system"          # in process: a graph, a callable or a factory
    brain = "my_pkg.brain:reply_for"          # the mock LLM's replies for this system's agents
    scenarios = "tests/scenarios.jsonl"       # labelled turns (relative to this pyproject)
    coverage = ["my_pkg"]                     # the packages whose coverage counts
    suites = "tests"                          # holds unit/ integration/ system/ chaos/

    [tool.harness.system.serve]               # how the stack starts it (placeholders below)
    command = ["{python}", "-m", "my_pkg.api", "--port", "{port}"]
    llm_base_url_env = "OPENAI_BASE_URL"      # the harness puts its proxy and mock LLM here

    [tool.harness.system.http]                # how to talk to it: the request and the reply
    path = "/ask"
    body = { question = "{query}" }
    reply = { answer = "answer", route = "route", tokens_in = "usage.prompt_tokens" }

Every tier reads this (`load_declaration()`): the stack starts the system with it, load and chaos
send every request through `contract()` (`harness.sut.HTTPContract`), the scenario schema checks
labels against `vocabulary`, `harness run` measures `coverage` and runs `suites`. Env overrides
any key (`HARNESS_SYSTEM_<KEY>`, nested with `__`); a bad key or value is one line naming it.

Placeholders in `serve.command` and `serve.env`: `{python}` (this interpreter), `{host}`,
`{port}`, `{llm_base_url}`, `{audit_log}` (a system that is given this path writes the harness
audit format there: see `harness.measure`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import SettingsConfigDict

from .._config import HarnessSettings, build_settings, find_pyproject
from .._exceptions import ConfigError
from ._stream import StreamSpec

__all__ = [
    "AgentIdentity",
    "Hooks",
    "HttpSpec",
    "ReplyFields",
    "ServeSpec",
    "SystemDeclaration",
    "Vocabulary",
    "load_declaration",
]

_STRICT = ConfigDict(extra="forbid", frozen=True)
PLACEHOLDERS = ("python", "host", "port", "llm_base_url", "audit_log")


class ReplyFields(BaseModel):
    """Where, in the system's JSON reply, each field of an `Outcome` is (dotted paths; unset: not read)."""

    model_config = _STRICT
    answer: str | None = "answer"
    route: str | None = "route"
    escalated: str | None = "escalated"
    escalation_reason: str | None = "escalation_reason"
    confidence: str | None = "confidence"
    fallback: str | None = "fallback"
    degraded: str | None = "degraded"
    cache_hit: str | None = "cache_hit"
    tokens_in: str | None = "tokens_in"
    tokens_out: str | None = "tokens_out"
    cost_usd: str | None = "cost_usd"
    server_ms: str | None = Field("latency_ms", description="the system's own time for the request")
    trace_id: str | None = "trace_id"
    path: str | None = Field("path", description="the agents or graph nodes the request visited")
    tool_calls: str | None = Field("tool_calls", description="the tools it called: names or {name} objects")
    request_id: str | None = Field("request_id", description="the request id, as the system echoes it")


class HttpSpec(BaseModel):
    """One request per turn: the body is a template filled from the turn's fields."""

    model_config = _STRICT
    method: Literal["POST", "PUT"] = "POST"
    path: str = Field("/", pattern=r"^/")
    body: dict[str, Any] = Field(
        default_factory=lambda: {"query": "{query}"},
        description="'{query}', '{user_id}', '{customer_tier}', '{session_id}', '{request_id}' are filled in",
    )
    headers: dict[str, str] = Field(default_factory=dict)
    request_id_header: str = "X-Request-Id"
    reply: ReplyFields = Field(default_factory=ReplyFields)
    rejected_status: list[int] = Field(default_factory=lambda: [400, 422])
    retriable_status: list[int] = Field(default_factory=lambda: [429, 503])
    timeout_s: float = Field(60.0, gt=0)
    stream: StreamSpec | None = Field(None, description="its streaming endpoint (harness.sut._stream)")


class ServeSpec(BaseModel):
    """How the stack starts the system as a process, and knows it is up."""

    model_config = _STRICT
    command: list[str] = Field(min_length=1)
    env: dict[str, str] = Field(default_factory=dict)
    health: str = Field("/health", pattern=r"^/")
    llm_base_url_env: str | None = None
    startup_timeout_s: float = Field(60.0, gt=0)
    traces: bool = Field(
        False,
        description="the system exports OpenTelemetry spans over OTLP/HTTP when given the standard "
        "OTEL_EXPORTER_OTLP_ENDPOINT: the stack then receives them (reports/.../spans.jsonl)",
    )

    @field_validator("command", "env")
    @classmethod
    def _known_placeholders(cls, value: Any) -> Any:
        texts = value.values() if isinstance(value, dict) else value
        for text in texts:
            try:
                text.format(**dict.fromkeys(PLACEHOLDERS, ""))
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(
                    f"{text!r} has an unknown placeholder {exc}; known: "
                    + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
                ) from None
        return value

    @property
    def writes_audit_log(self) -> bool:
        return any("{audit_log}" in t for t in (*self.command, *self.env.values()))


class Hooks(BaseModel):
    """What a running system offers the harness beyond its API (each optional)."""

    model_config = _STRICT
    handoff: str | None = Field(None, description="path of the handoff-fault hook (docs/handoff-hook.md)")
    breakers: str | None = Field(None, description="dotted path, in the health reply, to {agent: state}")
    metrics: str = "/metrics"
    cost_metric: str | None = Field(None, description="a Prometheus counter of cost with an `agent` label")


class AgentIdentity(BaseModel):
    """How to tell an agent whose LLM calls carry no `X-Harness-Agent` header (a system built on
    an SDK that cannot send one): a regex its system prompt matches, or a tool it offers."""

    model_config = _STRICT
    system: str | None = None
    tool: str | None = None


class Vocabulary(BaseModel):
    """The system's own names; an empty list accepts any name."""

    model_config = _STRICT
    routes: list[str] = Field(default_factory=list)
    escalation_reasons: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    agents: list[str] = Field(default_factory=list, description="agents / graph nodes faults may target")
    router: str | None = Field(None, description="the agent whose reply names the route")
    contained_reasons: dict[str, list[str]] = Field(
        default_factory=dict,
        description="escalation reason -> MAST modes the system caught by itself when it escalates so",
    )


class ModelPrice(BaseModel):
    """What one model costs, in USD per million tokens."""

    model_config = _STRICT
    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


class SystemDeclaration(HarnessSettings):
    model_config = SettingsConfigDict(
        env_prefix="HARNESS_SYSTEM_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        pyproject_toml_table_header=("tool", "harness", "system"),
    )

    name: str = "system under test"
    python: str | None = Field(None, description="pkg.module:attr, a graph, callable or factory")
    url: str | None = Field(None, description="base URL of an already running system")
    http: HttpSpec = Field(default_factory=HttpSpec)
    serve: ServeSpec | None = None
    hooks: Hooks = Field(default_factory=Hooks)
    brain: str | None = Field(
        None, description="module:function, the mock LLM's brain; unset: played from the scenarios"
    )
    identify: dict[str, AgentIdentity] = Field(
        default_factory=dict, description="agent -> how to recognise its LLM calls without a header"
    )
    scenarios: str | None = None
    experiments: str | None = Field(None, description="folder of the system's chaos experiments (*.yaml)")
    vocabulary: Vocabulary = Field(default_factory=Vocabulary)
    defences: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="defence name -> env settings that turn it off (--bite)"
    )
    chaos_env: dict[str, str] = Field(
        default_factory=dict, description="env for chaos-tuned stacks: small timeouts, so faults show fast"
    )
    prices: dict[str, ModelPrice] = Field(
        default_factory=dict,
        description="model -> USD per million tokens: the cost of the LLM spans of a traced system",
    )
    coverage: list[str] = Field(default_factory=list)
    suites: str = "suites"
    root: Path = Field(Path("."), exclude=True, description="the folder of the declaring pyproject")
    source: Path | None = Field(None, exclude=True, description="the declaring pyproject.toml")

    def price_table(self) -> dict[str, tuple[float, float]]:
        """model -> (USD per Mtok in, out), for `harness.traces.summarise`."""
        return {m: (p.input_per_mtok, p.output_per_mtok) for m, p in self.prices.items()}

    def resolve(self, relative: str) -> Path:
        """A path of this declaration, relative to the pyproject that declared it."""
        path = Path(relative)
        return path if path.is_absolute() else self.root / path

    @property
    def mock_brain(self) -> str | None:
        """What the mock LLM answers this system with: its own brain, else one played from its
        labelled scenarios (`harness.scenarios.scenario_brain`), else the generic answer."""
        if self.brain:
            return self.brain
        return "harness.scenarios:scenario_brain" if self.scenarios else None

    def mock_llm_args(self) -> list[str]:
        """The mock LLM server's flags for this system: brain, router, agent identification."""
        args = ["--brain", self.mock_brain] if self.mock_brain else []
        if self.vocabulary.router:
            args += ["--router", self.vocabulary.router]
        if self.identify:
            rules = {k: v.model_dump(exclude_none=True) for k, v in self.identify.items()}
            args += ["--agents", json.dumps(rules)]
        return args

    @property
    def scenarios_path(self) -> Path | None:
        return self.resolve(self.scenarios) if self.scenarios else None

    @property
    def experiments_path(self) -> Path | None:
        return self.resolve(self.experiments) if self.experiments else None

    @property
    def suites_path(self) -> Path:
        return self.resolve(self.suites)

    def defence_env(self, names: list[str] | tuple[str, ...]) -> dict[str, str]:
        """The env that turns off each named defence; an unknown name is a ConfigError."""
        unknown = [n for n in names if n not in self.defences]
        if unknown:
            known = ", ".join(sorted(self.defences)) or "none declared"
            raise ConfigError(
                f"defence {unknown[0]!r} is not declared in [tool.harness.system.defences] (known: {known})"
            )
        return {k: v for name in names for k, v in self.defences[name].items()}

    def command(self, **values: str) -> tuple[list[str], dict[str, str]]:
        """`serve.command` and `serve.env` with the placeholders filled in."""
        if self.serve is None:
            raise ConfigError(
                "the system declares no way to start it: add [tool.harness.system.serve] command = [...] "
                "or point the harness at a running one"
            )
        fill = {"python": sys.executable, **values}
        argv = [part.format(**fill) for part in self.serve.command]
        env = {k: v.format(**fill) for k, v in self.serve.env.items()}
        if self.serve.llm_base_url_env and values.get("llm_base_url"):
            env[self.serve.llm_base_url_env] = values["llm_base_url"]
        return argv, env


def load_declaration(pyproject: str | Path | None = None, **overrides: Any) -> SystemDeclaration:
    """The `[tool.harness.system]` of `pyproject` (default: the nearest one), env and `overrides` on top."""
    path = Path(pyproject) if pyproject else (find_pyproject() or Path.cwd() / "pyproject.toml")
    return build_settings(
        SystemDeclaration, path, root=path.resolve().parent, source=path.resolve(), **overrides
    )
