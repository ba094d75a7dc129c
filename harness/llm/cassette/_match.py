"""Which recording answers a request, and, when none does, a diff against the nearest one.

A request is matched on a few of its fields (`DEFAULT_MATCH`: model, messages, tools), any
top-level body key (`temperature`, `tool_choice`, `response_format`...) or `agent` (the
`X-Harness-Agent` header); whether it streams always counts, since the answer's shape depends on
it. Before comparing, both sides are normalised so that what cannot change the answer does not
fail a replay: keys are compared in sorted order, null fields dropped (`"content": null` and no
`content` are the same message), and the request scrubbed as the recording was (`_redact`).

Identical requests recorded several times are answered in their recorded order; after the last,
the last answer repeats (a load run over a replay asks the same thing many times).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from typing import Any

from ..._exceptions import CassetteError, CassetteMissError
from ._model import Cassette, Exchange, RecordedRequest
from ._redact import scrub

__all__ = ["DEFAULT_MATCH", "Matcher", "parse_match"]

DEFAULT_MATCH = ("model", "messages", "tools")
_DIFF_LINES = 60
_FIX = (
    "If the change is intended, re-record the cassette (docs/cassettes.md: `harness llm --record FILE "
    "--upstream URL`, or HARNESS_CASSETTE_RECORD=1 for @pytest.mark.cassette tests); if the field "
    "cannot change the answer, match on fewer fields (--match / match=)."
)


def parse_match(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """`"model,messages"` or a list of names -> the fields; empty or None -> `DEFAULT_MATCH`."""
    fields = text.split(",") if isinstance(text, str) else list(text or ())
    names = tuple(dict.fromkeys(f.strip() for f in fields if f.strip()))
    bad = [n for n in names if not n.replace("_", "").isalnum()]
    if bad:
        raise CassetteError(f"match field {bad[0]!r}: give request body keys or 'agent', e.g. model,messages")
    return names or DEFAULT_MATCH


def _normalised(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    return value


class Matcher:
    """Finds the exchange of `cassette` answering a request; `where` names the cassette in errors."""

    def __init__(self, cassette: Cassette, fields: Sequence[str] = DEFAULT_MATCH, *, where: str = "") -> None:
        self.cassette, self.fields, self.where = cassette, tuple(fields), where or "the cassette"
        self._by_key: dict[str, list[Exchange]] = {}
        for exchange in cassette.exchanges:
            key = self.key(exchange.request.body, exchange.request.agent, scrubbed=True)
            self._by_key.setdefault(key, []).append(exchange)
        self._played: dict[str, int] = {}

    def view(self, body: dict[str, Any], agent: str | None, *, scrubbed: bool = False) -> dict[str, Any]:
        """What of a request is compared: the match fields, normalised, and the stream flag."""
        clean = body if scrubbed else scrub(body)
        view = {f: (agent if f == "agent" else clean.get(f)) for f in self.fields}
        view = _normalised(view)
        view["stream"] = clean.get("stream") is True
        return dict(view)

    def key(self, body: dict[str, Any], agent: str | None, *, scrubbed: bool = False) -> str:
        return json.dumps(self.view(body, agent, scrubbed=scrubbed), sort_keys=True, ensure_ascii=False)

    def answer(self, body: dict[str, Any], agent: str | None = None) -> Exchange:
        """The recording for this request; `CassetteMissError` with a diff when there is none."""
        key = self.key(body, agent)
        recorded = self._by_key.get(key)
        if not recorded:
            raise CassetteMissError(self.miss(body, agent))
        played = self._played.get(key, 0)
        self._played[key] = played + 1
        return recorded[min(played, len(recorded) - 1)]

    def miss(self, body: dict[str, Any], agent: str | None) -> str:
        """Why nothing matched: the nearest recording and a unified diff of the compared fields."""
        fields = ", ".join(self.fields)
        head = f"cassette {self.where}: no recording matches this request (matching on {fields}, stream)"
        if not self.cassette.exchanges:
            return f"{head}: the cassette holds no recordings. {_FIX}"
        mine = _lines(self.view(body, agent))
        index, nearest = self._nearest(mine)
        theirs = _lines(self.view(nearest.body, nearest.agent, scrubbed=True))
        diff = list(difflib.unified_diff(theirs, mine, f"recorded #{index}", "this request", lineterm=""))
        if len(diff) > _DIFF_LINES:
            diff = [*diff[:_DIFF_LINES], f"... ({len(diff) - _DIFF_LINES} more diff lines)"]
        changed = [f for f in (*self.fields, "stream") if self._differs(f, body, agent, nearest)]
        return (
            f"{head}; the nearest is recording #{index}, which differs in {', '.join(changed) or 'order'}:\n"
            + "\n".join(diff)
            + f"\n{_FIX}"
        )

    def _nearest(self, mine: list[str]) -> tuple[int, RecordedRequest]:
        def likeness(item: tuple[int, Exchange]) -> float:
            theirs = _lines(self.view(item[1].request.body, item[1].request.agent, scrubbed=True))
            return difflib.SequenceMatcher(None, theirs, mine, autojunk=False).ratio()

        index, exchange = max(enumerate(self.cassette.exchanges), key=likeness)
        return index, exchange.request

    def _differs(
        self, field: str, body: dict[str, Any], agent: str | None, recorded: RecordedRequest
    ) -> bool:
        mine = self.view(body, agent)
        return bool(mine.get(field) != self.view(recorded.body, recorded.agent, scrubbed=True).get(field))


def _lines(view: dict[str, Any]) -> list[str]:
    return json.dumps(view, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
