"""Adapters: a LangGraph compiled graph, or any Python callable, as a system (HTTP: `_http`).

Each maps a `Turn` in and an `Outcome` out, and reports the system's failures in the outcome
(`status="error"`) rather than raising: a test tier must count them, not crash on them.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel

from .._exceptions import InputValidationError
from .._pathcov import HANDOFF_PREFIX
from ._model import Outcome, Turn, bypassing_cache

__all__ = ["CallableSystem", "GraphSystem"]

ToInput = Callable[[Turn], dict[str, Any]]
# Tools a supervisor framework adds itself (handoffs there and back): not the system's own tools.
_FRAMEWORK_TOOLS = (HANDOFF_PREFIX, "transfer_back_to_")
FromOutput = Callable[[dict[str, Any]], dict[str, Any]]


def _default_to_input(turn: Turn) -> dict[str, Any]:
    return {
        "query": turn.query,
        "user_id": turn.user_id,
        "customer_tier": turn.customer_tier,
        "messages": [("user", turn.query)],
    }


def _default_from_output(state: dict[str, Any]) -> dict[str, Any]:
    """Our field names as they are; for a graph whose state is only `messages` (agents handing
    off with tool calls), the last message is the answer, the last `transfer_to_<agent>` call
    names the route, and the other tool calls are the tools it called."""
    out = {k: v for k, v in state.items() if k in Outcome.model_fields or k in ("escalate", "tokens")}
    messages = state.get("messages") or []
    if "answer" not in out and messages:
        out["answer"] = str(getattr(messages[-1], "content", messages[-1]))
    called = [name for m in messages for name in _called_tools(m)]
    handoffs = [n.removeprefix(HANDOFF_PREFIX) for n in called if n.startswith(HANDOFF_PREFIX)]
    if "route" not in out and handoffs:
        out["route"] = handoffs[-1]
    if "tool_calls" not in out and called:
        out["tool_calls"] = [n for n in called if not n.startswith(_FRAMEWORK_TOOLS)]
    return out


def _called_tools(message: Any) -> list[str]:
    """The tool names an assistant message calls (a langchain message or an OpenAI-style dict)."""
    calls = message.get("tool_calls") if isinstance(message, dict) else getattr(message, "tool_calls", None)
    names = []
    for call in calls or []:
        function = call.get("function") if isinstance(call, dict) else None
        name = call.get("name") if isinstance(call, dict) else getattr(call, "name", None)
        name = name or (function.get("name") if isinstance(function, dict) else None)
        if isinstance(name, str):
            names.append(name)
    return names


def _as_mapping(value: Any) -> dict[str, Any]:
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        return {"answer": value}
    raise TypeError(f"a system returned {type(value).__name__}; return a dict, a pydantic model or a str")


class _Timed:
    name: str

    async def ask(self, turn: Turn) -> Outcome:
        started = time.perf_counter()
        try:
            with bypassing_cache(turn.no_cache):  # `cache_bypassed()` for the system, in process
                outcome = await self._ask(turn)
        except InputValidationError as exc:
            outcome = Outcome(status="rejected", error=str(exc))
        except Exception as exc:  # the system's failure is a finding, not a harness crash
            outcome = Outcome(status="error", error=f"{type(exc).__name__}: {exc}")
        if not outcome.latency_ms:
            outcome.latency_ms = (time.perf_counter() - started) * 1000
        return outcome

    async def _ask(self, turn: Turn) -> Outcome:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def _keywords(fn: Callable[..., Any]) -> frozenset[str]:
    """The turn fields `fn` takes besides the query: those it names, or all with `**kwargs`."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: give it the query alone
        return frozenset()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return frozenset(("user_id", "customer_tier", "session_id"))
    return frozenset(p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD))


def _names(fn: Callable[..., Any], name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class CallableSystem(_Timed):
    """`fn(query, **fields)`, sync or async, returning a dict, a pydantic model or a plain answer
    string. Of the turn's other fields (`user_id`, `customer_tier`, `session_id`) it is given
    those it accepts; `no_cache` only when it names it."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.fn, self._close = fn, close
        self.name = name or str(getattr(fn, "__qualname__", "callable"))
        self._accepts = _keywords(fn)
        # Not given through **kwargs: a function that passes them on may not take it.
        self._names_no_cache = _names(fn, "no_cache")

    async def _ask(self, turn: Turn) -> Outcome:
        given = {"user_id": turn.user_id, "customer_tier": turn.customer_tier, "session_id": turn.session_id}
        kwargs: dict[str, Any] = {k: v for k, v in given.items() if k in self._accepts}
        if self._names_no_cache:
            kwargs["no_cache"] = turn.no_cache
        result = self.fn(turn.query, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return Outcome.from_mapping(_as_mapping(result))

    async def aclose(self) -> None:
        if self._close is not None:
            await self._close()


class GraphSystem(_Timed):
    """A LangGraph compiled graph: `to_input` builds its input state, `from_output` reads the final
    state into our field names (defaults: same names; last message as the answer, the last
    handoff tool call as the route). `config` is passed to the graph: a RunnableConfig (callbacks,
    a recursion limit), or a function of the turn (a `thread_id` per session)."""

    def __init__(
        self,
        graph: Any,
        *,
        name: str = "langgraph",
        to_input: ToInput | None = None,
        from_output: FromOutput | None = None,
        config: dict[str, Any] | Callable[[Turn], dict[str, Any]] | None = None,
    ) -> None:
        if not hasattr(graph, "ainvoke"):
            raise TypeError("GraphSystem needs a compiled graph (call .compile() on your StateGraph)")
        self.graph, self.name = graph, name
        self._to_input = to_input or _default_to_input
        self._from_output = from_output or _default_from_output
        self._config = config

    async def _ask(self, turn: Turn) -> Outcome:
        # Stream updates as well as values, subgraphs included: the top level's node names give
        # the path (for path coverage), every level's messages the tools called (a worker agent's
        # calls live in its own subgraph, often out of the final state).
        path: list[str] = []
        calls: dict[str, str] = {}  # tool call id -> name: a call a parent copies is one call
        final: dict[str, Any] = {}
        config = self._config(turn) if callable(self._config) else self._config
        stream = self.graph.astream(
            self._to_input(turn), config, stream_mode=["updates", "values"], subgraphs=True
        )
        async for namespace, mode, chunk in stream:
            if mode == "values":
                final = dict(chunk) if not namespace else final
                continue
            for node, update in chunk.items():
                if not namespace and not node.startswith("__"):
                    path.append(node)
                for message in (update or {}).get("messages", []) if isinstance(update, dict) else []:
                    calls.update(_called_by_id(message))
        mapped = self._from_output(final)
        mapped["path"] = path
        if calls:  # the whole run's calls; the final state may hold only the last agent's
            mapped["tool_calls"] = [n for n in calls.values() if not n.startswith(_FRAMEWORK_TOOLS)]
        return Outcome.from_mapping(mapped)


def _called_by_id(message: Any) -> dict[str, str]:
    calls = message.get("tool_calls") if isinstance(message, dict) else getattr(message, "tool_calls", None)
    out = {}
    for n, call in enumerate(calls or []):
        name = _called_tools({"tool_calls": [call]})
        key = call.get("id") if isinstance(call, dict) else getattr(call, "id", None)
        if name:
            out[str(key or f"{id(message)}:{n}")] = name[0]
    return out
