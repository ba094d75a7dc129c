"""The mock LLM of a declared system, played from its labelled scenarios: no hand-written brain.

For the turn a call belongs to (its first user message, matched to a scenario by text; the
` #n` a chaos run adds to make queries unique is ignored):

    a router's call offering handoff tools (`transfer_to_<agent>`)
        before any handoff: the handoff to the scenario's expected route (a tool call); a route
        no tool hands to (a human, say) is answered as a label, as a text router would say it;
        after one: the last answer a worker gave, as the router's final word
    a worker's call offering its own tools
        the scenario's expected tool calls in turn (`expected.tool_calls`), each with its given
        arguments or placeholders that fit the tool's schema; with none declared, the first tool
        offered, once; then a short answer
    the router's call without tools (a label router)
        the expected route's name
    anything else
        a short answer quoting the question

A turn no scenario labels gets a deterministic choice (its text's hash picks the handoff) or the
generic answer. Which call is the router's: the declared `vocabulary.router`, or any call that
offers handoff tools.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from .._pathcov import HANDOFF_PREFIX
from ..llm import Reply, ToolCall, message_text
from ..llm.server import generic_brain, placeholder_arguments

__all__ = ["ScenarioBrain", "scenario_brain"]

_SUFFIX = re.compile(r"\s#\w+$")


def _first_user(messages: list[dict[str, Any]]) -> str:
    return next((message_text(m) for m in messages if m.get("role") == "user"), "")


def _functions(tools: Iterable[Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            out[function["name"]] = function
    return out


def _called(messages: list[dict[str, Any]]) -> list[str]:
    """The tools the assistant has called so far in this conversation, in order."""
    names = []
    for m in messages:
        for call in m.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and isinstance(function.get("name"), str):
                names.append(function["name"])
    return names


class ScenarioBrain:
    """`brain(agent, messages, model, tools=...)` for the mock LLM server, from labelled scenarios."""

    def __init__(self, scenarios: Iterable[Any], router: str | None = None) -> None:
        self.router = router
        self.by_query = {s.query.strip(): s for s in scenarios}

    def scenario(self, messages: list[dict[str, Any]]) -> Any:
        query = _first_user(messages).strip()
        return self.by_query.get(query) or self.by_query.get(_SUFFIX.sub("", query))

    def __call__(
        self, agent: str | None, messages: list[dict[str, Any]], model: str, tools: list[Any] | None = None
    ) -> Reply | str:
        offered = _functions(tools or [])
        handoffs = {n.removeprefix(HANDOFF_PREFIX): n for n in offered if n.startswith(HANDOFF_PREFIX)}
        scenario = self.scenario(messages)
        if handoffs:
            return self._route(messages, handoffs, scenario)
        if offered:
            return self._work(messages, offered, scenario)
        if agent is not None and agent == self.router:
            return self._label(messages, scenario)
        return generic_brain(agent, messages, model)

    def _route(self, messages: list[dict[str, Any]], handoffs: dict[str, str], scenario: Any) -> Reply | str:
        if any(name.startswith(HANDOFF_PREFIX) for name in _called(messages)):
            # The last worker answer: not an assistant message that is itself a call (its text,
            # "Transferring back to supervisor", is the framework talking).
            answers = [
                message_text(m)
                for m in messages
                if m.get("role") == "assistant" and not m.get("tool_calls") and message_text(m)
            ]
            return answers[-1] if answers else "Done."
        route = scenario.expected.route if scenario is not None else _pick(sorted(handoffs), messages)
        if route in handoffs:
            return Reply(tool_calls=[ToolCall(handoffs[route], {})])
        return str(route or "")

    def _work(
        self, messages: list[dict[str, Any]], offered: dict[str, dict[str, Any]], scenario: Any
    ) -> Reply | str:
        called = _called(messages)
        planned = list(scenario.expected.tool_calls) if scenario is not None else []
        if not planned and not any(name in offered for name in called):
            first = next(iter(offered))
            return Reply(
                tool_calls=[ToolCall(first, placeholder_arguments(offered[first].get("parameters")))]
            )
        for step in planned[len([c for c in called if c in {p.name for p in planned}]) :]:
            if step.name in offered:
                args = (
                    step.arguments
                    if step.arguments is not None
                    else placeholder_arguments(offered[step.name].get("parameters"))
                )
                return Reply(tool_calls=[ToolCall(step.name, args)])
        return generic_brain(None, messages, "")

    def _label(self, messages: list[dict[str, Any]], scenario: Any) -> str:
        return str(scenario.expected.route or "") if scenario is not None else ""


def _pick(options: list[str], messages: list[dict[str, Any]]) -> str:
    digest = hashlib.sha256(_first_user(messages).encode()).digest()
    return options[digest[0] % len(options)]


@cache
def _declared() -> ScenarioBrain:
    from ..sut import load_declaration
    from ._load import load_scenarios

    declaration = load_declaration(os.environ.get("HARNESS_PYPROJECT"))
    path = declaration.scenarios_path
    scenarios = load_scenarios(path, declaration.vocabulary) if path is not None else []
    return ScenarioBrain(scenarios, declaration.vocabulary.router)


def scenario_brain(
    agent: str | None, messages: list[dict[str, Any]], model: str, tools: list[Any] | None = None
) -> Reply | str:
    """The declared system's scenario brain (`HARNESS_PYPROJECT`, else the nearest pyproject.toml)."""
    return _declared()(agent, messages, model, tools=tools)
