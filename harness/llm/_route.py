"""`Route`: which calls a script answers, what it answers, and the calls it answered.

A route reads like a `unittest.mock.Mock`: set `return_value` (every call) or
`side_effect` (a callable, an exception or fault, or a sequence with one item per call),
then assert with `assert_called_once()` and friends or read `calls`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, TypeAlias, TypeVar

import httpx

from .._exceptions import ScriptError
from ._call import Call
from ._reply import Reply, to_reply
from .faults import Fault

__all__ = ["Route", "Scripted", "SequenceExhausted"]

#: What a route resolves a call to: a reply, a fault to apply, an exception to raise, or
#: a raw `httpx.Response` (the escape hatch for bodies no fault describes).
Scripted: TypeAlias = Reply | Fault | BaseException | httpx.Response

_UNSET: Any = object()
_T = TypeVar("_T")


class SequenceExhausted(Exception):
    """A route's `side_effect` sequence has no item left for this call."""


class Route:
    """Answers calls matching every given criterion: agent, model and prompt regex.

    Criteria left as None match anything, so a route with none is a catch-all (`default`).
    """

    def __init__(
        self,
        *,
        agent: str | None = None,
        model: str | None = None,
        prompt: str | re.Pattern[str] | None = None,
        all_calls: list[Call] | None = None,
    ) -> None:
        self.agent = agent
        self.model = model
        self.prompt = re.compile(prompt) if isinstance(prompt, str) else prompt
        self.calls: list[Call] = []
        # The mock's list of every call, only to make assertion failures helpful.
        self._all_calls = all_calls if all_calls is not None else []
        self._return_value: Scripted | None = None
        self._side_effect: Any = _UNSET

    # -- matching -------------------------------------------------------------------------

    @property
    def key(self) -> tuple[object, ...]:
        """Routes with equal keys are the same route: `llm.agent("a")` twice is one route."""
        pattern = (self.prompt.pattern, self.prompt.flags) if self.prompt else None
        return (self.agent, self.model, pattern)

    @property
    def is_scripted(self) -> bool:
        return self._return_value is not None or self._side_effect is not _UNSET

    def matches(self, call: Call) -> bool:
        return (
            (self.agent is None or call.agent == self.agent)
            and (self.model is None or call.model == self.model)
            and (self.prompt is None or self.prompt.search(call.prompt) is not None)
        )

    # -- scripting ------------------------------------------------------------------------

    @property
    def return_value(self) -> Scripted | None:
        """The answer to every call: str, dict/list (JSON), Reply, ToolCall, pydantic model,
        fault, exception, or a raw `httpx.Response`. Setting None clears it.
        """
        return self._return_value

    @return_value.setter
    def return_value(self, value: object) -> None:
        self._return_value = None if value is None else _to_scripted(value, request=None)

    @property
    def side_effect(self) -> Any:
        """A callable (gets the `Call`), an exception or fault, or an iterable of answers.

        Anything `return_value` takes is also accepted, plus raw `httpx.Response` objects.

        A list, tuple or iterator gives one item per call and fails the test once
        exhausted; items may themselves be callables, faults or exceptions. A callable
        returning None falls back to `return_value`. Setting None clears it.
        """
        return None if self._side_effect is _UNSET else self._side_effect

    @side_effect.setter
    def side_effect(self, value: object) -> None:
        if value is None:
            self._side_effect = _UNSET
        elif isinstance(value, list | tuple):
            for item in value:
                _check_item(item)  # fail at setup, not in the middle of the system's run
            self._side_effect = iter(value)
        elif isinstance(value, Iterator):
            self._side_effect = value  # may be endless (itertools.cycle): checked lazily
        else:
            _check_item(value)
            self._side_effect = value

    def answer(self, call: Call) -> Scripted:
        """What this route answers `call` with; records the call on the route.

        Raises SequenceExhausted when the side_effect sequence ran out, and ScriptError
        when the script cannot produce an answer.
        """
        self.calls.append(call)
        call.route = self
        if self._side_effect is _UNSET:
            return self._fallback(call)
        effect = self._side_effect
        if isinstance(effect, Iterator):
            try:
                effect = next(effect)
            except StopIteration:
                raise SequenceExhausted(self._exhausted_message()) from None
        if callable(effect) and not isinstance(effect, type):
            try:
                result = effect(call)
            except httpx.RequestError as exc:
                _with_request(exc, call.request)  # clients read the failed request from it
                raise
            return self._fallback(call) if result is None else _to_scripted(result, call.request)
        return _to_scripted(effect, call.request)

    def _fallback(self, call: Call) -> Scripted:
        if self._return_value is None:
            raise ScriptError(f"{self!r}: side_effect returned None and no return_value is set")
        return _with_request(self._return_value, call.request)

    def _exhausted_message(self) -> str:
        answered = len(self.calls) - 1
        return (
            f"{self!r}: its side_effect sequence was exhausted after {answered} call(s). "
            "Add items, or end with itertools.repeat(...) to answer every later call."
        )

    # -- assertions -----------------------------------------------------------------------

    @property
    def called(self) -> bool:
        return bool(self.calls)

    @property
    def call_count(self) -> int:
        return len(self.calls)

    @property
    def last_call(self) -> Call:
        if not self.calls:
            raise AssertionError(f"{self!r} was never called.{self._others()}")
        return self.calls[-1]

    def assert_called(self) -> None:
        if not self.calls:
            raise AssertionError(f"Expected {self!r} to be called.{self._others()}")

    def assert_called_once(self) -> None:
        self.assert_call_count(1)

    def assert_not_called(self) -> None:
        self.assert_call_count(0)

    def assert_call_count(self, count: int) -> None:
        if len(self.calls) != count:
            raise AssertionError(
                f"Expected {self!r} to be called {count} time(s), "
                f"it was called {len(self.calls)} time(s).{self._others()}"
            )

    def reset(self) -> None:
        """Forget the calls; the script stays."""
        self.calls.clear()

    def _others(self) -> str:
        # The usual cause of a wrong count is a call answered by another route: show all.
        if not self._all_calls:
            return " The mock received no calls."
        lines = [_summary(call) for call in self._all_calls[:20]]
        more = len(self._all_calls) - len(lines)
        tail = f"\n  ... and {more} more" if more > 0 else ""
        return "\nCalls the mock received:\n  " + "\n  ".join(lines) + tail

    def __repr__(self) -> str:
        parts = [
            f"agent={self.agent!r}" if self.agent is not None else "",
            f"model={self.model!r}" if self.model is not None else "",
            f"prompt={self.prompt.pattern!r}" if self.prompt is not None else "",
        ]
        return f"<Route {' '.join(p for p in parts if p) or 'default'}>"


def _summary(call: Call) -> str:
    answered = repr(call.route) if call.route is not None else "unscripted"
    prompt = call.last_user_message[:60]
    return f"#{call.index} agent={call.agent!r} model={call.model!r} {prompt!r} -> {answered}"


def _check_item(item: object) -> None:
    if not (callable(item) and not isinstance(item, type)):
        _to_scripted(item, request=None)


def _to_scripted(value: object, request: httpx.Request | None) -> Scripted:
    """Normalise a scripted value; exception and fault classes are instantiated."""
    if isinstance(value, type) and issubclass(value, Fault):
        return value()
    if isinstance(value, type) and issubclass(value, BaseException):
        return _instantiate(value, request)
    if isinstance(value, Fault | httpx.Response):
        return value
    if isinstance(value, BaseException):
        return _with_request(value, request)
    return to_reply(value)


def _instantiate(cls: type[BaseException], request: httpx.Request | None) -> BaseException:
    message = f"MockLLM: scripted {cls.__name__}"
    if issubclass(cls, httpx.RequestError):
        return cls(message, request=request)
    try:
        return cls(message)
    except TypeError:
        raise ScriptError(f"cannot build {cls.__name__}(message): script an instance") from None


def _with_request(value: _T, request: httpx.Request | None) -> _T:
    # httpx errors carry their request; clients (and the openai SDK) read it.
    if isinstance(value, httpx.RequestError) and request is not None:
        try:
            _ = value.request
        except RuntimeError:
            value.request = request
    return value
