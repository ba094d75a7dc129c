"""A seeded, non-deterministic brain: a known pass rate per scenario, to check trial statistics by.

    noisy = NoisyBrain(scenario_brain, scenarios, misroute=0.1, seed=7, routes=vocabulary.routes)
    mock_llm.play(noisy)              # or any brain(agent, messages, model, tools=...) it wraps
    noisy.misroute_for("billing-en-003")   # that scenario's misroute probability

It plays the brain it wraps, with two kinds of noise:

    misroutes     on a turn's first call of the router (the declared `router`, or any call that
                  offers `transfer_to_<agent>` tools) it sends the turn somewhere else with the
                  scenario's probability: a handoff to another agent, or another route's label;
                  the router's later calls in the same turn (a repair, its final word) keep
                  that choice, so a turn is misrouted as a whole or not at all
    phrasing      every other answer is reworded (a greeting before it, a closing line after):
                  inside a JSON reply's "answer" too; tool calls are left as they are

Each decision comes from a generator seeded by (seed, scenario, how many turns of it so far), so a
run is reproducible, and a scenario whose router runs passes with probability exactly
1 - misroute (given the wrapped brain passes it). Turns before any router call (a policy
escalation, a rejected input) are not misrouted: `reached` holds the scenarios whose router ran.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import random
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .._pathcov import HANDOFF_PREFIX
from ..llm import Reply, ToolCall, message_text

__all__ = ["NoisyBrain"]

Brain = Callable[..., Any]
_SUFFIX = re.compile(r"\s#\w+$")
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
_OPENINGS = ("", "Thanks for reaching out. ", "Happy to help. ", "Sure. ", "Good question. ")
_CLOSINGS = ("", " Let me know if anything else comes up.", " I hope this helps.")


class NoisyBrain:
    """`brain(agent, messages, model, tools=...)`: `inner`, misrouting each scenario's turns with
    its probability (`misroute`: one for all, or scenario id -> probability, `default` for the
    rest) and varying its answers' phrasing, from `seed`."""

    def __init__(
        self,
        inner: Brain,
        scenarios: Iterable[Any],
        *,
        misroute: float | Mapping[str, float] = 0.1,
        default: float = 0.0,
        seed: int = 0,
        routes: Iterable[str] = (),
        router: str | None = None,
        phrasing: bool = True,
    ) -> None:
        self.inner, self.seed, self.router, self.phrasing = inner, seed, router, phrasing
        self.routes = tuple(routes)
        self.scenarios = {s.query.strip(): s for s in scenarios}
        self._misroute = misroute
        self._default = default
        self._turns: dict[str, int] = {}  # scenario id -> turns begun
        self._current: dict[str, bool] = {}  # scenario id -> is its current turn misrouted
        self.reached: set[str] = set()
        self._tools = _takes_tools(inner)
        for p in [misroute] if isinstance(misroute, float | int) else misroute.values():
            if not 0 <= p <= 1:
                raise ValueError(f"misroute probability {p!r}: give one between 0 and 1")

    def misroute_for(self, scenario_id: str) -> float:
        """The probability that a turn of this scenario is misrouted."""
        if isinstance(self._misroute, Mapping):
            return float(self._misroute.get(scenario_id, self._default))
        return float(self._misroute)

    def draw(self, scenario_id: str) -> bool:
        """Begin a new turn of the scenario: is it misrouted? (The next draw of its own stream.)"""
        turn = self._turns.get(scenario_id, 0)
        self._turns[scenario_id] = turn + 1
        misrouted = self._rng(scenario_id, turn, "route").random() < self.misroute_for(scenario_id)
        self._current[scenario_id] = misrouted
        return misrouted

    def _rng(self, scenario_id: str, turn: int, what: str) -> random.Random:
        digest = hashlib.sha256(f"{self.seed}:{scenario_id}:{turn}:{what}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    def __call__(
        self, agent: str | None, messages: list[dict[str, Any]], model: str, tools: list[Any] | None = None
    ) -> Any:
        reply = (
            self.inner(agent, messages, model, tools=tools or [])
            if self._tools
            else self.inner(agent, messages, model)
        )
        scenario = self._scenario(messages)
        if scenario is None:
            return reply
        handoffs = _handoffs(tools or [])
        if handoffs or (agent is not None and agent == self.router):
            return self._routed(scenario, messages, handoffs, reply)
        return self._reworded(scenario, reply) if self.phrasing else reply

    def _scenario(self, messages: list[dict[str, Any]]) -> Any:
        query = next((message_text(m) for m in messages if m.get("role") == "user"), "").strip()
        return self.scenarios.get(query) or self.scenarios.get(_SUFFIX.sub("", query))

    def _routed(
        self, scenario: Any, messages: list[dict[str, Any]], handoffs: dict[str, str], reply: Any
    ) -> Any:
        if not any(m.get("role") == "assistant" for m in messages):  # the turn's first router call
            self.reached.add(scenario.id)
            self.draw(scenario.id)
        if not self._current.get(scenario.id) or _handed_off(messages):
            return reply
        expected = scenario.expected.route
        options = sorted(set(handoffs or self.routes) - {expected})
        if not options:
            return reply
        wrong = self._rng(scenario.id, self._turns[scenario.id], "where").choice(options)
        return Reply(tool_calls=[ToolCall(handoffs[wrong], {})]) if handoffs else wrong

    def _reworded(self, scenario: Any, reply: Any) -> Any:
        if not isinstance(reply, str) or not reply.strip():
            return reply
        rng = self._rng(scenario.id, self._turns.get(scenario.id, 0), f"phrase:{reply}")

        def reword(text: str) -> str:
            return rng.choice(_OPENINGS) + text + rng.choice(_CLOSINGS)

        doc = _json_object(reply)
        if doc is None:
            return reword(reply)
        if isinstance(doc.get("answer"), str) and doc["answer"].strip():
            doc["answer"] = reword(doc["answer"])
        return json.dumps(doc, ensure_ascii=False)


def _handoffs(tools: Iterable[Any]) -> dict[str, str]:
    names = [
        t["function"]["name"]
        for t in tools
        if isinstance(t, dict)
        and isinstance(t.get("function"), dict)
        and isinstance(t["function"].get("name"), str)
    ]
    return {n.removeprefix(HANDOFF_PREFIX): n for n in names if n.startswith(HANDOFF_PREFIX)}


def _handed_off(messages: list[dict[str, Any]]) -> bool:
    """The router already handed this turn to a worker: its next call is its final word."""
    for m in messages:
        for call in m.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and str(function.get("name", "")).startswith(HANDOFF_PREFIX):
                return True
    return False


def _json_object(text: str) -> dict[str, Any] | None:
    fenced = _FENCE.match(text.strip())
    try:
        doc = json.loads(fenced.group(1) if fenced else text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _takes_tools(brain: Brain) -> bool:
    try:
        params = inspect.signature(brain).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "tools" or p.kind is p.VAR_KEYWORD for p in params)
