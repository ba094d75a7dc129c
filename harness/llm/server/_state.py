"""What a running server knows: its config, fault plan, latency sampler, brain and counters.

Everything here is touched only from the server's event loop (the control API included),
so no locks. `reset()` goes back to the config the server started with.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from ..._exceptions import MockServerError
from ..._pathcov import HANDOFF_PREFIX
from .._call import message_text
from .._reply import Reply, to_reply
from ._config import ServerConfig
from ._faults import FaultPlan, FaultRule
from ._latency import LatencyConfig, LatencySampler

__all__ = [
    "DEFAULT_BRAIN",
    "Brain",
    "MemoBrain",
    "RouteReader",
    "ServerState",
    "Stats",
    "generic_brain",
    "load_brain",
    "load_route_reader",
]

#: `reply_for(agent, messages, model[, tools=...])`: the assistant's reply for one request: a str
#: (its content), a dict or list (JSON content), a `ToolCall` or a `Reply` (with tool calls).
Brain = Callable[..., Any]
#: `route_of(agent, content) -> route`: the route the router's reply names (None: none).
RouteReader = Callable[[str | None, str], str | None]
DEFAULT_BRAIN = "harness.llm.server._state:generic_brain"
_NO_AGENT = "(none)"


def generic_brain(agent: str | None, messages: list[dict[str, Any]], model: str) -> str:
    """The default brain: a short, deterministic answer quoting the question. A system's own
    brain (`--brain`, `[tool.harness.system] brain`) knows its agents and what they answer."""
    asked = next((message_text(m) for m in reversed(messages) if m.get("role") == "user"), "")
    return f"Here is an answer to your question: {' '.join(asked.split())[:80]}"


def _module_attr(spec: str, default_attr: str | None = None) -> tuple[Any, str]:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise MockServerError(f"brain {spec!r}: expected 'module:function'")
    try:
        return importlib.import_module(module_name), attr
    except ImportError as exc:
        raise MockServerError(f"brain {spec!r}: cannot import {module_name!r}: {exc}") from None


def load_brain(spec: str = DEFAULT_BRAIN) -> Brain:
    """Import `module:function`; any system under test can plug in its own brain."""
    module, attr = _module_attr(spec)
    brain = getattr(module, attr, None)
    if not callable(brain):
        raise MockServerError(f"brain {spec!r}: {module.__name__} has no function {attr!r}")
    return brain  # type: ignore[no-any-return]


def load_route_reader(spec: str = DEFAULT_BRAIN) -> RouteReader | None:
    """The brain module's `route_of(agent, content)`, if it has one: how to read a route from
    the router's reply (labels dressed as models dress them), for faults that target routes."""
    module, _ = _module_attr(spec)
    reader = getattr(module, "route_of", None)
    return reader if callable(reader) else None


class MemoBrain:
    """A brain with a bounded memo: the same request is answered without thinking again.

    A brain is deterministic but may spend most of a request's time reading the query; load
    tests repeat a small set of queries, so remembering replies is what lets one process serve
    thousands of requests a second. `size=0` turns it off, for brains whose replies vary from
    call to call. A brain that takes a `tools` keyword is given the tools the request offers;
    what it returns is read as a script is (`to_reply`): a str, JSON (a dict or list), a
    `ToolCall` or a `Reply` with tool calls.
    """

    def __init__(self, brain: Brain, size: int) -> None:
        self.brain = brain
        self.size = size
        self._memo: dict[Hashable, Reply] = {}
        self._wants_tools = _takes_tools(brain)
        self.hits = 0

    def __call__(
        self, agent: str | None, messages: list[dict[str, Any]], model: str, tools: list[Any] | None = None
    ) -> Reply:
        if self.size <= 0:
            return self._think(agent, messages, model, tools)
        offered = json.dumps(tools, sort_keys=True, default=str) if tools and self._wants_tools else ""
        key: Hashable = (agent, model, offered, tuple(tuple(m.items()) for m in messages))
        try:
            found = self._memo.get(key)
        except TypeError:  # list content (multimodal parts): unhashable, so key on the JSON
            key = (agent, model, offered, json.dumps(messages, sort_keys=True, default=str))
            found = self._memo.get(key)
        if found is not None:
            self.hits += 1
            return found
        reply = self._think(agent, messages, model, tools)
        if len(self._memo) >= self.size:
            del self._memo[next(iter(self._memo))]  # oldest first: cheap, and good enough
        self._memo[key] = reply
        return reply

    def _think(
        self, agent: str | None, messages: list[dict[str, Any]], model: str, tools: list[Any] | None
    ) -> Reply:
        if self._wants_tools:
            return to_reply(self.brain(agent, messages, model, tools=tools or []))
        return to_reply(self.brain(agent, messages, model))


def _takes_tools(brain: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(brain).parameters
    except (TypeError, ValueError):
        return False
    return "tools" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


class Stats:
    """Counts since start or the last reset, for `GET /_control/stats`."""

    def __init__(self) -> None:
        self.requests = 0  # every HTTP request, control API included
        self.completions = 0
        self.streams = 0
        self.rejected = 0  # 4xx for a bad request (not injected faults)
        self.hanging = 0  # connections held by a hang right now
        self.by_agent: Counter[str] = Counter()
        self.by_model: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()

    def completion(self, agent: str | None, model: str, stream: bool) -> None:
        self.completions += 1
        self.streams += stream
        self.by_agent[agent or _NO_AGENT] += 1
        self.by_model[model] += 1

    def snapshot(self, plan: FaultPlan) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "completions": self.completions,
            "streams": self.streams,
            "rejected": self.rejected,
            "hanging": self.hanging,
            "faults": dict(self.faults),
            "faults_total": sum(self.faults.values()),
            "faults_by_rule": list(plan.fired),
            "eligible_by_rule": list(plan.eligible),
            "by_agent": dict(self.by_agent),
            "by_model": dict(self.by_model),
        }


class ServerState:
    def __init__(self, config: ServerConfig, brain: Brain, route_of: RouteReader | None = None) -> None:
        self.initial = config
        self.brain = MemoBrain(brain, config.brain_memo)
        self.route_of = route_of or _stripped
        self.reset()

    def route(self, agent: str | None, reply: Reply) -> str | None:
        """The route a fault's `target.route` matches: the router's label (or the agent its
        `transfer_to_*` tool call hands over to), else the agent."""
        if agent is None or agent != self.config.router:
            return agent
        for call in reply.tool_calls:
            if call.name.startswith(HANDOFF_PREFIX):
                return call.name.removeprefix(HANDOFF_PREFIX)
        return self.route_of(agent, reply.text or "")

    def reset(self) -> None:
        """Back to the startup config: its faults and latency, fresh generators, zero counts."""
        self.config = self.initial
        self.plan = FaultPlan(self.config.faults, self.config.seed, self.config.router)
        self.latency = LatencySampler(self.config.latency, self.config.seed)
        self.stats = Stats()
        self._models_seen: set[str] = set()
        self._index = 0

    def set_faults(self, rules: Sequence[FaultRule], seed: int | None = None) -> None:
        """Replace the rules; their generators restart, so a seed replays the same faults."""
        seed = self.config.seed if seed is None else seed
        self.config = self.config.model_copy(update={"faults": list(rules), "seed": seed})
        self.plan = FaultPlan(rules, seed, self.config.router)

    def set_latency(self, latency: LatencyConfig) -> None:
        self.config = self.config.model_copy(update={"latency": latency})
        self.latency = LatencySampler(latency, self.config.seed)

    def next_index(self) -> int:
        self._index += 1
        return self._index

    def saw_model(self, model: str) -> None:
        if len(self._models_seen) < 1000:  # a client making up names must not grow this forever
            self._models_seen.add(model)

    def known_models(self) -> list[str]:
        return sorted({*self.config.models, *self._models_seen})


def _stripped(agent: str | None, content: str) -> str | None:
    return content.strip()
