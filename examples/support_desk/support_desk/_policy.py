"""Escalation rules, input limits, and model routing: the system's written policy as code.

Escalate to a human when (first match wins, and the reason is recorded):
1. the customer is VIP                                   -> `vip_customer`
2. the query speaks of cancelling the account or a refund -> `cancellation_or_refund`
   (English or Spanish, any case, with or without accents)
3. the supervisor says so                                -> `supervisor_decision`
4. the supervisor's reply names no single route          -> `unrecognised_route`
5. a specialist's confidence is below the threshold      -> `low_confidence`
6. no agent could answer and no fallback answer exists   -> `agent_unavailable`
7. the request's deadline passed                         -> `deadline_exceeded`

Model routing: the supervisor uses the cheap model; the technical agent always uses the strong one;
billing and general use the cheap model unless the query is *complex*: at least
`models.complex_min_words` words, two or more questions, or a code block / stack trace.
"""

from __future__ import annotations

import re
import unicodedata

from harness import InputValidationError
from harness.text import fold

from ._settings import Settings
from ._state import EscalationReason, Route

__all__ = ["escalation_by_rule", "is_complex", "model_for", "sanitise_query"]

# Folded phrases (no accents, lower case). Whole-word matches on the folded query.
_CANCEL_OR_REFUND = [
    r"cancel\w*",  # cancel, cancelled, cancellation, cancelar, cancelación, cancelen...
    r"(?:close|delete|terminate|cerrar|eliminar|borrar|dar de baja)"
    r"(?: (?:mi|my|the|la|el))? (?:cuenta|account)",
    r"darme de baja",
    r"dar de baja",
    r"baja (?:de|del) (?:servicio|contrato|cuenta)",
    r"refunds?",
    r"refunded",
    r"refunding",
    r"money back",
    r"chargeback",
    r"reembolsos?",
    r"reembolsar",
    r"reembolsen",
    r"devolucion(?:es)? (?:del|de mi) dinero",
    r"devuelvan (?:mi|el) dinero",
]
_CANCEL_RE = re.compile(r"\b(?:" + "|".join(_CANCEL_OR_REFUND) + r")\b")
_CODE_RE = re.compile(r"```|Traceback \(most recent call last\)|\bat [\w.$]+\(|Exception:|Error:")
_FORBIDDEN_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}
_ALLOWED_CONTROL = {"\n", "\t", "\r"}


def sanitise_query(query: object, *, max_chars: int) -> str:
    """Return a clean query or raise `InputValidationError` saying what is wrong with it."""
    if not isinstance(query, str):
        raise InputValidationError(f"query must be a string, got {type(query).__name__}")
    text = unicodedata.normalize("NFC", query).strip()
    if not text:
        raise InputValidationError("query is empty; send the customer's question as text")
    if len(text) > max_chars:
        raise InputValidationError(
            f"query has {len(text)} characters; the limit is {max_chars} (setting max_query_chars)"
        )
    bad = [c for c in text if unicodedata.category(c) in _FORBIDDEN_CONTROL and c not in _ALLOWED_CONTROL]
    if bad:
        raise InputValidationError(
            f"query contains {len(bad)} control character(s) such as U+{ord(bad[0]):04X}; strip them"
        )
    return re.sub(r"[ \t]+", " ", text)


def escalation_by_rule(query: str, customer_tier: str) -> EscalationReason | None:
    """Rules 1 and 2, checked before any LLM is called: they cost nothing and never miss."""
    if customer_tier == "vip":
        return EscalationReason.VIP
    if _CANCEL_RE.search(fold(query)):
        return EscalationReason.CANCELLATION
    return None


def is_complex(query: str, *, min_words: int) -> bool:
    return len(query.split()) >= min_words or query.count("?") >= 2 or bool(_CODE_RE.search(query))


def model_for(agent: str, query: str, settings: Settings) -> str:
    models = settings.models
    if agent == Route.TECHNICAL:
        return models.strong
    if agent == "supervisor":
        return models.cheap
    return models.strong if is_complex(query, min_words=models.complex_min_words) else models.cheap
