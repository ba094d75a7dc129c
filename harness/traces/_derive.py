"""What spans say about a request, for any system: its agent path, each agent's time, tokens and
errors, and which agent failed first and why.

An *agent span* is one whose `gen_ai.agent.name` attribute (the GenAI semantic conventions'
`invoke_agent` span) or, failing that, whose name is one of the declared agents
(`[tool.harness.system.vocabulary] agents`: LangGraph instrumentations name a node's span after
the node). An agent's span nested in its own (a subgraph named like its node) is one visit. An
*LLM span* is a GenAI `chat` / `text_completion` span or an OpenInference `LLM` span; it belongs to
the nearest agent span above it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._model import Span

__all__ = ["Failure", "Prices", "Trace", "cost_of", "group_traces", "is_llm", "model_of", "tokens_of"]

_LLM_OPERATIONS = {"chat", "text_completion", "generate_content"}


def is_llm(span: Span) -> bool:
    a = span.attributes
    return a.get("gen_ai.operation.name") in _LLM_OPERATIONS or a.get("openinference.span.kind") == "LLM"


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def tokens_of(span: Span) -> tuple[int | None, int | None]:
    """(input, output) tokens an LLM span reports, GenAI names first, then OpenInference's."""
    a = span.attributes
    tin = _int(a.get("gen_ai.usage.input_tokens", a.get("llm.token_count.prompt")))
    tout = _int(a.get("gen_ai.usage.output_tokens", a.get("llm.token_count.completion")))
    return tin, tout


def model_of(span: Span) -> str | None:
    a = span.attributes
    value = a.get("gen_ai.response.model") or a.get("gen_ai.request.model") or a.get("llm.model_name")
    return None if value is None else str(value)


#: model -> (USD per million input tokens, per million output tokens)
Prices = Mapping[str, tuple[float, float]]


def cost_of(span: Span, prices: Prices) -> float | None:
    """USD of one LLM span: the cost it reports (OpenInference's `llm.cost.total`), else its
    tokens at its model's price (a dated snapshot priced like its family), else None."""
    reported = span.attributes.get("llm.cost.total")
    if isinstance(reported, int | float):
        return float(reported)
    model, (tin, tout) = model_of(span), tokens_of(span)
    if model is None or (tin is None and tout is None):
        return None
    price = prices.get(model)
    if price is None:
        family = sorted((n for n in prices if model.startswith(n + "-")), key=len, reverse=True)
        price = prices[family[0]] if family else None
    if price is None:
        return None
    return ((tin or 0) * price[0] + (tout or 0) * price[1]) / 1_000_000


@dataclass(frozen=True)
class Failure:
    span: Span
    agent: str | None

    def describe(self) -> str:
        who = f"agent {self.agent}" if self.agent else "outside any agent"
        return f"{who}, span {self.span.name!r}: {self.span.why() or 'error status'}"


@dataclass
class Trace:
    trace_id: str
    spans: list[Span]
    agents: frozenset[str] = frozenset()
    _by_id: dict[str, Span] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.spans.sort(key=lambda s: (s.start_ns, -s.end_ns))
        self._by_id = {s.span_id: s for s in self.spans}

    @property
    def roots(self) -> list[Span]:
        """Spans whose parent is not here (the harness's own traceparent span is never exported)."""
        return [s for s in self.spans if s.parent_span_id not in self._by_id]

    @property
    def start_ns(self) -> int:
        return min(s.start_ns for s in self.spans)

    @property
    def duration_ms(self) -> float:
        return (max(s.end_ns for s in self.spans) - self.start_ns) / 1e6

    @property
    def failed(self) -> bool:
        return any(s.failed for s in self.spans)

    def parent(self, span: Span) -> Span | None:
        return self._by_id.get(span.parent_span_id or "")

    def depth(self, span: Span) -> int:
        depth, node = 0, self.parent(span)
        while node is not None and depth < 1000:
            depth, node = depth + 1, self.parent(node)
        return depth

    def agent_name(self, span: Span) -> str | None:
        named = span.attributes.get("gen_ai.agent.name")
        if named:
            return str(named)
        return span.name if span.name in self.agents else None

    def agent_of(self, span: Span) -> str | None:
        """The agent whose span is the nearest above `span` (or is `span`)."""
        node: Span | None = span
        for _ in range(1000):
            if node is None:
                return None
            if (name := self.agent_name(node)) is not None:
                return name
            node = self.parent(node)
        return None

    def visits(self) -> list[tuple[str, Span]]:
        """Each agent visit, in order: an agent span not nested in a span of the same agent."""
        out = []
        for span in self.spans:
            name = self.agent_name(span)
            if name is None:
                continue
            above = self.parent(span)
            if above is not None and self.agent_of(above) == name:
                continue
            out.append((name, span))
        return out

    def path(self) -> list[str]:
        return [name for name, _ in self.visits()]

    def llm_calls(self) -> list[tuple[str | None, Span]]:
        return [(self.agent_of(s), s) for s in self.spans if is_llm(s)]

    def tokens(self) -> tuple[int | None, int | None]:
        pairs = [tokens_of(s) for _, s in self.llm_calls()]
        tin = [t for t, _ in pairs if t is not None]
        tout = [t for _, t in pairs if t is not None]
        return (sum(tin) if tin else None, sum(tout) if tout else None)

    def first_failure(self) -> Failure | None:
        """The error span that ended first, the deepest on a tie: where the failure began (its
        parents fail after it, as the error travels up)."""
        failed = [s for s in self.spans if s.failed]
        if not failed:
            return None
        span = min(failed, key=lambda s: (s.end_ns, -self.depth(s)))
        return Failure(span, self.agent_of(span))

    def http_statuses(self) -> list[int]:
        """The HTTP status of each root span that has one: one per time the system served the
        request (two when something in front of it sent it twice)."""
        found = (
            _int(s.attributes.get("http.response.status_code", s.attributes.get("http.status_code")))
            for s in self.roots
        )
        return [status for status in found if status is not None]

    def http_status(self) -> int | None:
        return next(iter(self.http_statuses()), None)


def group_traces(spans: Iterable[Span], agents: Iterable[str] = ()) -> dict[str, Trace]:
    """The spans by trace id, each a `Trace` that knows the declared agents."""
    by_trace: dict[str, dict[str, Span]] = defaultdict(dict)
    for span in spans:  # an exporter that retried a batch sends its spans twice: keep one
        by_trace[span.trace_id][span.span_id] = span
    known = frozenset(agents)
    return {tid: Trace(tid, list(group.values()), known) for tid, group in by_trace.items()}
