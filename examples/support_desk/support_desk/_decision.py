"""Parse the supervisor's routing decision out of whatever a real model writes.

Accepted: plain labels in any case, with punctuation, quotes, backticks or code fences; JSON objects
(`{"route": ...}`, `next`, `decision`, `agent`, `destination`, `department`); English or Spanish names
("billing", "facturación", "soporte técnico", "humano"...). A reply that names no route, or names two
different ones, is *unrecognised*: the graph then escalates to a human (reason
`unrecognised_route`), which never loops and never guesses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from harness.text import fold

from ._state import Route

__all__ = ["Decision", "parse_decision"]

# Folded alias -> route. Multi-word aliases are matched as whole phrases.
_ALIASES: dict[str, Route] = {}
for _route, _names in {
    Route.TECHNICAL: [
        "technical_support",
        "technical support",
        "technical",
        "tech support",
        "tech",
        "soporte tecnico",
        "tecnico",
        "soporte_tecnico",
        "it support",
    ],
    Route.BILLING: [
        "billing_support",
        "billing support",
        "billing",
        "payments",
        "payment",
        "soporte de facturacion",
        "facturacion",
        "soporte facturacion",
        "pagos",
        "cobros",
    ],
    Route.GENERAL: [
        "general_support",
        "general support",
        "general",
        "soporte general",
        "atencion general",
        "informacion general",
    ],
    Route.ESCALATE: [
        "escalate_to_human",
        "escalate to human",
        "escalate",
        "escalation",
        "human",
        "human agent",
        "escalar a humano",
        "escalar",
        "humano",
        "agente humano",
        "persona",
        "escalar_a_humano",
    ],
}.items():
    for _name in _names:
        _ALIASES[fold(_name)] = _route

# Longest first, so "technical support" wins over "technical".
_PHRASES = sorted(_ALIASES, key=len, reverse=True)
_PHRASE_RE = re.compile(r"\b(" + "|".join(re.escape(p) for p in _PHRASES) + r")\b")
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)
_JSON_OBJ = re.compile(r"\{.*\}", re.S)
_KEYS = ("route", "next", "decision", "agent", "destination", "department", "label")


@dataclass(frozen=True)
class Decision:
    route: Route | None  # None: unrecognised
    raw: str
    confidence: float | None = None

    @property
    def recognised(self) -> bool:
        return self.route is not None


def parse_decision(raw: str | None) -> Decision:
    """Map a model reply to a route, or to None when it is not a clear single decision."""
    text = (raw or "").strip()
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1).strip()
    label, confidence = _from_json(text)
    if label is None:
        label = text
    return Decision(route=_match(label), raw=raw or "", confidence=confidence)


def _from_json(text: str) -> tuple[str | None, float | None]:
    found = _JSON_OBJ.search(text)
    if not found:
        return None, None
    try:
        obj = json.loads(found.group(0))
    except ValueError:
        return None, None
    if not isinstance(obj, dict):
        return None, None
    lowered = {str(k).lower(): v for k, v in obj.items()}
    label = next((lowered[k] for k in _KEYS if isinstance(lowered.get(k), str)), None)
    conf = lowered.get("confidence")
    confidence = float(conf) if isinstance(conf, (int, float)) and 0 <= conf <= 1 else None
    return label, confidence


def _match(label: str) -> Route | None:
    folded = fold(label)
    if not folded:
        return None
    exact = _ALIASES.get(folded) or _ALIASES.get(folded.replace(" ", "_"))
    if exact:
        return exact
    found = {_ALIASES[m.group(1)] for m in _PHRASE_RE.finditer(folded)}
    return found.pop() if len(found) == 1 else None
