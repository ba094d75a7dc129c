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
from ._model import Outcome, Turn

__all__ = ["CallableSystem", "GraphSystem"]

ToInput = Callable[[Turn], dict[str, Any]]
FromOutput = Callable[[dict[str, Any]], dict[str, Any]]


def _default_to_input(turn: Turn) -> dict[str, Any]:
    return {
        "query": turn.query,
        "user_id": turn.user_id,
        "customer_tier": turn.customer_tier,
        "messages": [("user", turn.query)],
    }


def _default_from_output(state: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in state.items() if k in Outcome.model_fields or k in ("escalate", "tokens")}
    if "answer" not in out and state.get("messages"):
        out["answer"] = str(getattr(state["messages"][-1], "content", state["messages"][-1]))
    return out


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


class CallableSystem(_Timed):
    """`fn(query, **fields)`, sync or async, returning a dict, a pydantic model or a plain answer
    string. Of the turn's other fields (`user_id`, `customer_tier`, `session_id`) it is given
    those it accepts."""

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

    async def _ask(self, turn: Turn) -> Outcome:
        given = {"user_id": turn.user_id, "customer_tier": turn.customer_tier, "session_id": turn.session_id}
        result = self.fn(turn.query, **{k: v for k, v in given.items() if k in self._accepts})
        if inspect.isawaitable(result):
            result = await result
        return Outcome.from_mapping(_as_mapping(result))

    async def aclose(self) -> None:
        if self._close is not None:
            await self._close()


class GraphSystem(_Timed):
    """A LangGraph compiled graph: `to_input` builds its input state, `from_output` reads the final
    state into our field names (defaults: same names, last message as the answer)."""

    def __init__(
        self,
        graph: Any,
        *,
        name: str = "langgraph",
        to_input: ToInput | None = None,
        from_output: FromOutput | None = None,
    ) -> None:
        if not hasattr(graph, "ainvoke"):
            raise TypeError("GraphSystem needs a compiled graph (call .compile() on your StateGraph)")
        self.graph, self.name = graph, name
        self._to_input = to_input or _default_to_input
        self._from_output = from_output or _default_from_output

    async def _ask(self, turn: Turn) -> Outcome:
        # Stream updates as well as values: the node names give the path, for path coverage.
        path: list[str] = []
        final: dict[str, Any] = {}
        async for mode, chunk in self.graph.astream(self._to_input(turn), stream_mode=["updates", "values"]):
            if mode == "updates":
                path.extend(name for name in chunk if not name.startswith("__"))
            else:
                final = dict(chunk)
        mapped = self._from_output(final)
        mapped["path"] = path
        return Outcome.from_mapping(mapped)
