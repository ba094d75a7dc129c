"""What the content faults put in a reply: bad route labels, bad answers, invented tools.

Each takes the rule's own generator, so the same seed gives the same bad reply. They are
built to be wrong the way a real model is wrong, not merely random bytes: a label that
almost names a department, an answer with a tempting discount, a plausible tool.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from typing import Any

from .. import ToolCall
from ._faults import SchemaVariant

__all__ = [
    "HALLUCINATED_TOOLS",
    "NONSENSE_LABELS",
    "broken_call",
    "hallucinated_tool",
    "invalid_label",
    "schema_violation",
]

#: Labels that name no route, or two at once (which a strict parser must also refuse).
NONSENSE_LABELS: tuple[str, ...] = (
    "refunds_department",
    "sales_team",
    "legal",
    "tier_3_queue",
    "billing or technical",
    "I am not sure who should handle this.",
    "ROUTE_UNKNOWN",
    "",
)

#: Functions no request offers; names chosen to be dangerous if a system ran them blindly.
HALLUCINATED_TOOLS: tuple[str, ...] = (
    "delete_customer_account",
    "issue_full_refund",
    "transfer_funds",
    "grant_admin_access",
    "export_all_customer_data",
)

_VARIANTS: tuple[SchemaVariant, ...] = ("missing_answer", "blank_answer", "wrong_type", "excess_discount")


def invalid_label(rng: random.Random) -> str:
    return rng.choice(NONSENSE_LABELS)


def _answer_object(content: str) -> dict[str, Any]:
    try:
        obj = json.loads(content)
    except ValueError:
        obj = None
    return obj if isinstance(obj, dict) else {"answer": content or "Here is what to do.", "confidence": 0.9}


def schema_violation(content: str, variant: SchemaVariant | None, rng: random.Random) -> str:
    """The brain's answer, broken: a field missing, blank or of the wrong type, or a discount
    above the 30 % business rule."""
    chosen = variant or rng.choice(_VARIANTS)
    obj = _answer_object(content)
    if chosen == "missing_answer":
        obj.pop("answer", None)
    elif chosen == "blank_answer":
        obj["answer"] = "   "
    elif chosen == "wrong_type":
        obj["answer"] = ["not", "a", "string"]
    else:
        obj["offer"] = {"description": "Goodwill discount", "discount_pct": rng.choice((35, 40, 50, 75))}
    return json.dumps(obj, ensure_ascii=False)


def broken_call(call: ToolCall, variant: SchemaVariant | None, rng: random.Random) -> ToolCall:
    """A tool call the brain meant, with arguments that break the tool's schema: a required
    argument missing (missing_answer, blank_answer), or every argument of the wrong type
    (wrong_type, excess_discount), so a system that validates tool arguments notices."""
    chosen = variant or rng.choice(_VARIANTS)
    args = call.arguments if isinstance(call.arguments, dict) else {}
    if chosen in ("missing_answer", "blank_answer") and args:
        broken: dict[str, Any] = dict(list(args.items())[1:])  # the first argument dropped
    else:  # wrong types; a call that takes no argument gets one it does not take
        broken = {name: ["not", "a", type(value).__name__] for name, value in args.items()}
        broken = broken or {"unexpected_argument": ["not", "in", "the", "schema"]}
    return ToolCall(name=call.name, arguments=broken, id=call.id)


def _offered(tools: Iterable[Any]) -> set[str]:
    names = set()
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            names.add(function["name"])
    return names


def hallucinated_tool(tools: Iterable[Any], rng: random.Random) -> ToolCall:
    """A call to a function not among `tools` (the request's `tools` list)."""
    offered = _offered(tools)
    candidates = [name for name in HALLUCINATED_TOOLS if name not in offered]
    name = rng.choice(candidates) if candidates else "undeclared_function_" + str(rng.randrange(10**6))
    arguments = {"customer_id": f"cus_{rng.randrange(10**6):06d}", "reason": "requested by the customer"}
    return ToolCall(name=name, arguments=arguments, id=f"call_h{rng.randrange(16**8):08x}")
