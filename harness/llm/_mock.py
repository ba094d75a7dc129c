"""`MockLLM`: an in-process OpenAI chat-completions endpoint, scripted per agent, model or prompt.

Built on respx, so it answers any `httpx.Client` / `httpx.AsyncClient` request to its
`base_url` without a server; and on httpx2's transports too (`_httpx2`), so an unmodified
`openai.AsyncOpenAI(base_url=llm.base_url)` or langchain-openai `ChatOpenAI(base_url=...)`
(openai 3.x sends through httpx2) is answered the same way.

Agents are named by the `X-Harness-Agent` header, or, for a system that cannot send one, by
their system prompt or the tools they offer: `llm.agent("billing", system=r"billing expert")`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar, Protocol

import httpx
import respx

from .._exceptions import CassetteError, CassetteMissError, ScriptError, UnscriptedCallError
from . import _httpx2
from ._call import AGENT_HEADER, Call
from ._reply import Reply, ToolCall
from ._route import Route, Scripted, SequenceExhausted
from ._wire import completion_response, error_response, models_response
from .faults import Fault

if TYPE_CHECKING:
    from .cassette import CassettePlayer, CassetteRecorder

__all__ = ["DEFAULT_BASE_URL", "UNSCRIPTED_STATUS", "MockLLM"]

DEFAULT_BASE_URL = "http://llm.test/v1"

#: The status of the answer to a call no script covers. A 4xx ("Misdirected Request") so
#: neither the SDK nor a system's retry policy retries it; the test fails at exit anyway.
UNSCRIPTED_STATUS = 421

_SHOWN_PROBLEMS = 5


class _Tape(Protocol):
    """A cassette in play (`replay`, `record`): answers the calls no route answers."""

    def answer(self, call: Call) -> httpx.Response: ...


class MockLLM:
    """A scripted OpenAI-compatible LLM. Use as a (sync or async) context manager.

    Script with `agent()`, `model()`, `prompt()` or `route()`; routes are tried in the
    order they were first created, first match wins, then `default`. Calls no route
    answers get HTTP 421 and make the context manager raise `UnscriptedCallError` on
    exit, even if the system under test caught the error and fell back.
    """

    # base_urls served by started mocks: a second mock on the same URL would never be
    # reached (respx asks the first one), which makes for baffling test failures.
    _serving: ClassVar[set[str]] = set()

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        models: Iterable[str] = (),
        assert_all_called: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.calls: list[Call] = []
        self.default = Route(all_calls=self.calls)
        self._routes: dict[tuple[object, ...], Route] = {}
        self._models = list(models)
        self._assert_all_called = assert_all_called
        self._problems: list[tuple[Call, str]] = []
        self._lock = threading.RLock()  # re-entrant: a side_effect may itself call the mock
        self._started = False
        # (agent, system prompt pattern, tool name): how to name calls that carry no agent header.
        self._identities: list[tuple[str, re.Pattern[str] | None, str | None]] = []
        self._tape: _Tape | None = None
        self._missed = False  # a call no recording of the cassette matched
        self._router = self._build_router()

    def _build_router(self) -> respx.MockRouter:
        # assert_all_mocked stays on: requests to other hosts fall through to other respx
        # routers, and fail as "not mocked" if none claims them (no accidental network).
        router = respx.MockRouter(base_url=self.base_url, assert_all_called=False)
        router.post("/chat/completions", name="chat").mock(side_effect=self._on_chat)
        router.get("/models", name="models").mock(side_effect=self._on_models)
        router.route(name="other").mock(side_effect=self._on_other)
        return router

    # -- scripting ------------------------------------------------------------------------

    def route(
        self,
        *,
        agent: str | None = None,
        model: str | None = None,
        prompt: str | re.Pattern[str] | None = None,
    ) -> Route:
        """The route for calls matching all the given criteria (created on first use)."""
        if agent is None and model is None and prompt is None:
            raise ScriptError("route() needs agent=, model= or prompt=; use llm.default for all")
        candidate = Route(agent=agent, model=model, prompt=prompt, all_calls=self.calls)
        return self._routes.setdefault(candidate.key, candidate)

    def agent(
        self, name: str, *, system: str | re.Pattern[str] | None = None, tool: str | None = None
    ) -> Route:
        """Calls whose `X-Harness-Agent` header is `name`, or (`system`, `tool`: see `identify`)
        that are recognised as that agent."""
        if system is not None or tool is not None:
            self.identify(name, system=system, tool=tool)
        return self.route(agent=name)

    def identify(
        self, name: str, *, system: str | re.Pattern[str] | None = None, tool: str | None = None
    ) -> None:
        """Name `name` the calls without an agent header whose system prompt matches `system`
        (re.search), or that offer a tool called `tool` (e.g. a supervisor's `transfer_to_billing`).
        Rules are tried in the order given; the first that matches names the call."""
        if system is None and tool is None:
            raise ScriptError(f"identify({name!r}) needs system= (a regex) or tool= (a tool name)")
        pattern = re.compile(system) if isinstance(system, str) else system
        self._identities.append((name, pattern, tool))

    def play(self, brain: Callable[..., object]) -> Route:
        """Answer every call no other route answers with `brain(agent, messages, model, tools=...)`,
        the mock LLM server's brain plug-in (a `harness.scenarios.scenario_brain`, a system's own):
        text, JSON, a `Reply` or a `ToolCall`. Returns the default route."""

        def answer(call: Call) -> object:
            reply = brain(call.agent, call.messages, call.model, tools=call.body.get("tools") or [])
            return Reply(tool_calls=[reply]) if isinstance(reply, ToolCall) else reply

        self.default.side_effect = answer
        return self.default

    def replay(self, path: str | Path, *, match: Iterable[str] = ()) -> CassettePlayer:
        """Answer the calls no route answers from the cassette at `path` (docs/cassettes.md),
        matched on `match` (default model, messages, tools); a call matching no recording gets
        HTTP 421 and fails the test with `CassetteMissError` and a diff against the nearest one."""
        from .cassette import CassettePlayer, parse_match

        player = CassettePlayer(path, parse_match(list(match)))
        self._tape = player
        return player

    def record(
        self, path: str | Path, *, upstream: str, key_env: str | None = "OPENAI_API_KEY"
    ) -> CassetteRecorder:
        """Send the calls no route answers to the real endpoint `upstream` (key from env `key_env`;
        None forwards the client's own) and record each, redacted, into a new cassette at `path`."""
        from .cassette import CassetteRecorder

        recorder = CassetteRecorder(path, upstream, key_env)
        self._tape = recorder
        return recorder

    def model(self, name: str) -> Route:
        """Calls asking for model `name`."""
        return self.route(model=name)

    def prompt(self, pattern: str | re.Pattern[str]) -> Route:
        """Calls where `pattern` is found (re.search) in the text of any message."""
        return self.route(prompt=pattern)

    @property
    def routes(self) -> list[Route]:
        """The routes in matching order (`default` not included)."""
        return list(self._routes.values())

    # -- inspection and assertions ------------------------------------------------------------

    def calls_for(
        self,
        *,
        agent: str | None = None,
        model: str | None = None,
        prompt: str | re.Pattern[str] | None = None,
    ) -> list[Call]:
        """Every call matching the criteria, whichever route answered it."""
        probe = Route(agent=agent, model=model, prompt=prompt)
        return [call for call in self.calls if probe.matches(call)]

    @property
    def unscripted_calls(self) -> list[Call]:
        """Calls that got no scripted answer (unmatched, exhausted, or a broken script)."""
        return [call for call, _ in self._problems]

    def assert_all_called(self) -> None:
        """Every scripted route (and a scripted `default`) answered at least one call."""
        idle = [r for r in [*self.routes, self.default] if r.is_scripted and not r.called]
        if idle:
            names = ", ".join(repr(r) for r in idle)
            raise AssertionError(f"MockLLM: scripted but never called: {names}")

    def assert_no_unscripted_calls(self) -> None:
        """Raise `UnscriptedCallError` describing every call that got no scripted answer."""
        if not self._problems:
            return
        shown = [message for _, message in self._problems[:_SHOWN_PROBLEMS]]
        more = len(self._problems) - len(shown)
        error = CassetteMissError if self._missed else UnscriptedCallError
        raise error(
            f"MockLLM: {len(self._problems)} LLM call(s) got no scripted answer "
            f"(each was answered with HTTP {UNSCRIPTED_STATUS}):\n\n"
            + "\n\n".join(shown)
            + (f"\n\n... and {more} more" if more > 0 else "")
        )

    def reset(self) -> None:
        """Forget every call and unscripted call; scripts stay."""
        with self._lock:
            self.calls.clear()
            self._problems.clear()
            for route in [*self.routes, self.default]:
                route.reset()

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> MockLLM:
        if self._started:
            raise ScriptError(f"{self!r} is already started")
        if self.base_url in MockLLM._serving:
            raise ScriptError(
                f"another MockLLM already serves {self.base_url}: script that one (in a test "
                "using the mock_llm fixture, script the fixture) or give this one another base_url"
            )
        self._router.start()
        _httpx2.install(self)
        MockLLM._serving.add(self.base_url)
        self._started = True
        return self

    def stop(self) -> None:
        """Stop intercepting; calls and scripts stay readable."""
        if self._started:
            self._router.stop(quiet=True)
            _httpx2.uninstall(self)
            MockLLM._serving.discard(self.base_url)
            self._started = False

    def __enter__(self) -> MockLLM:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        # Raised even while another exception propagates: an unscripted call is usually
        # its cause, and the original stays visible as __context__.
        self.assert_no_unscripted_calls()
        if self._assert_all_called and exc_type is None:
            self.assert_all_called()

    async def __aenter__(self) -> MockLLM:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return f"<MockLLM {self.base_url} routes={len(self._routes)} calls={len(self.calls)}>"

    # -- the transport side (called by respx, and for httpx2 by `_httpx2`) ---------------------

    def dispatch(self, request: httpx.Request) -> httpx.Response:
        """Answer one request to this mock's `base_url`, as its respx routes do."""
        path = request.url.path.removeprefix(httpx.URL(self.base_url).path)
        if request.method == "POST" and path == "/chat/completions":
            return self._on_chat(request)
        if request.method == "GET" and path == "/models":
            return self._on_models(request)
        return self._on_other(request)

    def _identify(self, call: Call) -> str | None:
        for name, pattern, tool in self._identities:
            if pattern is not None and pattern.search(call.system_prompt):
                return name
            if tool is not None and tool in call.tool_names:
                return name
        return None

    def _on_chat(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            call = Call.from_request(request, index=len(self.calls))
            call.identified = self._identify(call)
            self.calls.append(call)
            try:
                scripted = self._resolve(call)
            except (SequenceExhausted, ScriptError) as exc:
                return self._fail(call, f"MockLLM: {call.describe()}\n{exc}")
            except CassetteError as exc:  # a recording that could not reach or write
                return self._fail(call, f"MockLLM: {call.describe()}\n{exc}")
            except CassetteMissError as exc:
                self._missed = True
                return self._fail(call, f"MockLLM: {call.describe()}\n{exc}")
            except AssertionError as exc:
                # An assert inside a side_effect callable: the system might swallow it.
                self._problems.append((call, f"MockLLM: a side_effect assertion failed: {exc}"))
                raise
        if scripted is None:
            return self._fail(call, self._unscripted_message(call))
        call.response = _respond(scripted, call)
        return call.response

    def _resolve(self, call: Call) -> Scripted | None:
        if call.stream and self._tape is None:
            raise ScriptError("stream=True is not supported by MockLLM; call without streaming")
        routes = [*self._routes.values()] + ([self.default] if self._tape is None else [])
        for route in routes:
            if route.is_scripted and route.matches(call):
                if call.stream:
                    raise ScriptError("stream=True is answered only from a cassette; script it unstreamed")
                return route.answer(call)
        return self._tape.answer(call) if self._tape is not None else None

    def _on_models(self, request: httpx.Request) -> httpx.Response:
        scripted = (route.model for route in self.routes if route.model is not None)
        return models_response([*self._models, *scripted], request=request)

    def _on_other(self, request: httpx.Request) -> httpx.Response:
        return error_response(
            404,
            f"MockLLM serves POST /chat/completions and GET /models under {self.base_url}; "
            f"got {request.method} {request.url}",
            request=request,
        )

    def _fail(self, call: Call, message: str) -> httpx.Response:
        self._problems.append((call, message))
        call.response = error_response(
            UNSCRIPTED_STATUS,
            message,
            request=call.request,
            code="unscripted_call",
            error_type="mock_llm_error",
            headers={"x-should-retry": "false"},  # the openai SDK's own retry switch
        )
        return call.response

    def _unscripted_message(self, call: Call) -> str:
        idle = [r for r in self._routes.values() if not r.is_scripted and r.matches(call)]
        note = "".join(f"\n{route!r} matches but has neither return_value nor side_effect." for route in idle)
        hints = [f"llm.agent({call.agent!r})"] if call.agent is not None else []
        hints += [f"llm.model({call.model!r})", "llm.prompt(r'<regex>')", "llm.default"]
        how = "\n".join(f"    {hint}.return_value = '...'" for hint in hints)
        return (
            f"MockLLM: unscripted {call.describe()}\nNo route matched.{note}\n"
            f"Script it with one of (agent names come from the {AGENT_HEADER} header, or from\n"
            f"llm.agent(name, system=r'<regex of its system prompt>') / tool='<a tool it offers>'):\n{how}"
        )


def _respond(scripted: Scripted, call: Call) -> httpx.Response:
    if isinstance(scripted, Reply):
        return completion_response(scripted, call)
    if isinstance(scripted, Fault):
        return scripted.respond(call)  # transport faults raise from here
    if isinstance(scripted, httpx.Response):
        # A copy: a scripted response may answer many calls, and a body is read only once.
        return httpx.Response(
            scripted.status_code,
            headers=scripted.headers,
            content=scripted.content,
            request=call.request,
        )
    raise scripted
