"""The router brain: deterministic, realistic replies for the reference system's agents.

`reply_for(agent, messages, model)` is what a mock LLM answers with (the mock HTTP server calls
it; `brain_side_effect` plugs it into `MockLLM.default.side_effect`). Nothing is random: every
choice comes from the keyword tables in `_brain_keywords` or from a SHA-256 of the query, so
the same request always gets the same reply, and the labelled scenarios stay true.

Reading a query (the last user message, i.e. the PII-redacted query): PII tags such as
"[CARD]" are dropped, the text is folded (case, accents, punctuation), and each specialist
scores the sum of the weights of its patterns found (2: names the department, 1: leans to it).

Supervisor (rules in order, first match wins):
1. threats, legal matters, complaints about staff        -> escalate_to_human
2. prompt injection (ignore instructions, system prompt,
   100% discount, developer mode...)                      -> escalate_to_human
3. no specialist scores at all (off-topic, unclear)       -> escalate_to_human ("when unsure")
4. two specialists tie for the best score                 -> a hedge naming both ("billing_support
   or technical_support"): the parser cannot recognise it, so the system escalates with
   `unrecognised_route`, as it does with a real model that cannot make up its mind
5. otherwise                                              -> the best-scoring specialist
The label is dressed as models dress it, chosen by the query's hash: plain, upper or title case,
quoted, backticked, with a full stop, "Route: ...", JSON `{"route": ...}` (maybe with a
confidence), a fenced JSON block, or the Spanish name ("Facturación") for a Spanish query.

Specialists reply `{"answer", "confidence", "offer"}` as JSON (sometimes in a ```json fence),
in the query's language (Spanish when its Spanish markers outnumber its English ones). The answer
is a canned reply for the first topic that matches (login, invoice, shipping...), under 60 words.
Confidence, from the specialist's own score s and the best other score o:
s=0 -> 0.42, s=1 -> 0.60, s=2 -> 0.78, s=3 -> 0.85, s>=4 -> 0.90; minus 0.06 per point of o
(o capped at 3); capped at 0.65 when s <= o and at 0.50 for an injection attempt; then +-0.01 by
hash. So weak evidence alone (s=1) stays below 0.7 and escalates as `low_confidence`, and any
query routed here with s >= 2 gets at least 0.71. Billing offers a goodwill discount of 10, 15 or
20% in about a fifth of its replies to overcharge complaints ("charged twice", "cobro
duplicado"...), never otherwise. A repair request (the last user message starts "Your previous
reply was rejected") gets the answer for the original query as plain JSON without an offer.
Other agents get a short plain-text answer. The model asked for does not change the content.
When the agent header is missing, the agent is recognised by the reference system prompts.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.llm import Call, message_text
from harness.text import fold

from . import _brain_keywords as kw
from ._prompts import REPAIR_PROMPT, SPECIALIST_PROMPTS, SUPERVISOR_PROMPT

__all__ = [
    "Reading",
    "brain_side_effect",
    "label_variants",
    "language_of",
    "read_query",
    "reply_for",
    "route_for",
    "route_of",
]

ESCALATE = "escalate_to_human"
SPECIALISTS = tuple(kw.SPECIALISTS)  # technical, billing, general: also the tie-break order
REPAIR_PREFIX = REPAIR_PROMPT.split("{error}")[0].rstrip(": ")  # "Your previous reply was rejected"

_SPANISH_NAMES = {
    "technical_support": "Soporte técnico",
    "billing_support": "Facturación",
    "general_support": "Soporte general",
    ESCALATE: "Escalar a humano",
}
_BY_SCORE = (0.42, 0.60, 0.78, 0.85, 0.90)
_PII_TAG = re.compile(r"\[(?:EMAIL|IBAN|CARD|NIE|DNI|PHONE)\]")
_SPANISH_CHARS = re.compile(r"[ñ¿¡áéíóú]")


def _whole(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{pattern})\b")


_SCORERS = {agent: [(_whole(p), w) for p, w in table] for agent, table in kw.SPECIALISTS.items()}
_TOPICS = {agent: [(topic, _whole(p)) for topic, p in table] for agent, table in kw.TOPICS.items()}
_ESCALATE_RE = _whole("|".join(kw.ESCALATE))
_INJECTION_RE = _whole("|".join(kw.INJECTION))
_OVERCHARGE_RE = _whole("|".join(kw.OVERCHARGE))


@dataclass(frozen=True)
class Reading:
    """What the brain makes of one query."""

    folded: str
    language: str  # "en" | "es"
    scores: dict[str, int]  # specialist -> keyword score
    escalate: bool  # threat, legal matter or complaint about staff
    injection: bool  # an attempt to steer the model
    hedge: tuple[str, ...] = ()  # the tied specialists, when the supervisor cannot choose
    route: str = ESCALATE  # the route the supervisor's reply parses to


def _seed(text: str, salt: str) -> int:
    digest = hashlib.sha256(f"{salt}\x00{text}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def language_of(text: str) -> str:
    """ "es" when Spanish markers (words, accents, ñ, ¿, ¡) outnumber English ones, else "en"."""
    words = fold(text).split()
    spanish = sum(w in kw.ES_MARKERS for w in words) + 2 * len(_SPANISH_CHARS.findall(text.lower()))
    english = sum(w in kw.EN_MARKERS for w in words)
    return "es" if spanish > english else "en"


def read_query(query: str) -> Reading:
    """Score a query for every specialist and apply the supervisor's rules."""
    folded = fold(_PII_TAG.sub(" ", query))
    scores = {agent: sum(w for p, w in scorers if p.search(folded)) for agent, scorers in _SCORERS.items()}
    escalate = bool(_ESCALATE_RE.search(folded))
    injection = bool(_INJECTION_RE.search(folded))
    best = max(scores.values())
    top = tuple(a for a in SPECIALISTS if scores[a] == best)
    hedge = top if best > 0 and len(top) > 1 and not (escalate or injection) else ()
    route = top[0] if best > 0 and not (hedge or escalate or injection) else ESCALATE
    return Reading(folded, language_of(query), scores, escalate, injection, hedge, route)


def route_for(query: str) -> str:
    """The route the brain's supervisor sends `query` to (a hedge counts as escalate_to_human).

    Pass the query as the LLM sees it (`harness.reference.redact(query)`) to be exact.
    """
    return read_query(query).route


def reply_for(agent: str | None, messages: Sequence[dict[str, Any]], model: str) -> str:
    """The assistant content a realistic model would send back for this request."""
    del model  # the content does not depend on the model; latency and cost are the server's
    texts = [message_text(m) for m in messages if m.get("role") == "user"]
    query = next((t for t in reversed(texts) if not t.startswith(REPAIR_PREFIX)), "")
    repair = bool(texts) and texts[-1].startswith(REPAIR_PREFIX)
    agent = agent or _agent_from_prompt(messages)
    if agent == "supervisor":
        return _supervisor_reply(query)
    if agent in _SCORERS:
        return _specialist_reply(agent, query, repair=repair)
    return _plain_reply(query)


def brain_side_effect(call: Call) -> str:
    """`MockLLM.default.side_effect = brain_side_effect`: every unscripted call gets the brain."""
    return reply_for(call.agent, call.messages, call.model)


# -- supervisor ------------------------------------------------------------------------------


def _supervisor_reply(query: str) -> str:
    reading = read_query(query)
    seed = _seed(query, "supervisor")
    if reading.hedge:
        first, second = reading.hedge[:2]
        hedges = [f"{first} or {second}", f"It could be {first} or {second}."]
        if reading.language == "es":
            hedges.append(f"{_SPANISH_NAMES[first]} o {_SPANISH_NAMES[second]}")
        return hedges[seed % len(hedges)]
    label = reading.route
    best = max(reading.scores.values())
    confidence = 0.8 if label == ESCALATE else min(0.95, 0.5 + 0.1 * best)
    candidates = label_variants(label, confidence=confidence, spanish=reading.language == "es")
    return candidates[seed % len(candidates)]


def label_variants(label: str, *, confidence: float = 0.9, spanish: bool = False) -> list[str]:
    """Every way the brain may write `label`, in a fixed order (all parse to `label`)."""
    title = "_".join(part.capitalize() for part in label.split("_"))
    variants = [
        label,
        label.upper(),
        title,
        f"`{label}`",
        f'"{label}"',
        f"{label}.",
        f"Route: {label}",
        json.dumps({"route": label}),
        json.dumps({"route": label, "confidence": round(confidence, 2)}),
        f'```json\n{{"next": "{label}"}}\n```',
        f"{label}\n",
    ]
    if spanish:
        variants.append(_SPANISH_NAMES[label])
    return variants


# -- specialists -----------------------------------------------------------------------------


def _specialist_reply(agent: str, query: str, *, repair: bool) -> str:
    reading = read_query(query)
    lang = reading.language
    body = {
        "answer": _answer_text(agent, reading) if reading.scores[agent] >= 2 else kw.UNSURE[lang],
        "confidence": _confidence(agent, query, reading),
        "offer": None if repair else _offer(agent, query, reading),
    }
    text = json.dumps(body, ensure_ascii=False)
    if not repair and _seed(query, agent + ":format") % 4 == 0:
        return f"```json\n{text}\n```"
    return text


def _confidence(agent: str, query: str, reading: Reading) -> float:
    own = reading.scores[agent]
    other = max(s for a, s in reading.scores.items() if a != agent)
    value = _BY_SCORE[min(own, 4)] - 0.06 * min(other, 3)
    if own <= other:
        value = min(value, 0.65)
    if reading.injection:
        value = min(value, 0.50)
    value += (_seed(query, agent + ":confidence") % 3 - 1) * 0.01
    return round(max(0.05, min(0.97, value)), 2)


def _answer_text(agent: str, reading: Reading) -> str:
    topic = next((t for t, pattern in _TOPICS[agent] if pattern.search(reading.folded)), "")
    return kw.ANSWERS[(agent, topic)][reading.language]


def _offer(agent: str, query: str, reading: Reading) -> dict[str, Any] | None:
    if agent != "billing_support" or not _OVERCHARGE_RE.search(reading.folded):
        return None
    seed = _seed(query, "goodwill")
    if seed % 100 >= 20:
        return None
    description = {
        "en": "A goodwill discount on your next invoice for the inconvenience",
        "es": "Un descuento de cortesía en tu próxima factura por las molestias",
    }[reading.language]
    return {"description": description, "discount_pct": (10, 15, 20)[seed // 100 % 3]}


# -- anything else ---------------------------------------------------------------------------


def _plain_reply(query: str) -> str:
    replies = {
        "en": [
            "Thanks for your message. I have noted your request and will get back to you shortly.",
            "Thank you for getting in touch; here is a short answer: we are looking into it.",
        ],
        "es": [
            "Gracias por tu mensaje. He tomado nota de tu solicitud y te responderé en breve.",
            "Gracias por escribirnos; en resumen: lo estamos revisando.",
        ],
    }[language_of(query)]
    return replies[_seed(query, "plain") % len(replies)]


def _agent_from_prompt(messages: Sequence[dict[str, Any]]) -> str | None:
    """Recognise a reference agent by its system prompt when the agent header is missing."""
    system = next((message_text(m) for m in messages if m.get("role") == "system"), "")
    if not system:
        return None
    if system.startswith(SUPERVISOR_PROMPT[:60]):
        return "supervisor"
    return next((str(a) for a, prompt in SPECIALIST_PROMPTS.items() if system.startswith(prompt[:60])), None)


def route_of(agent: str | None, content: str) -> str | None:
    """The route the supervisor's reply names, read as the reference system reads it (labels come
    dressed: "Route: billing", JSON, fences, Spanish names); one it cannot read counts as written.
    The mock LLM server uses it for faults that target a route."""
    from ._decision import parse_decision

    route = parse_decision(content).route
    return route.value if route is not None else content.strip()
