"""Did the fault fire? An experiment whose fault never met the system proves nothing.

Each injector counts what its fault did while it was active (mock-LLM rule hits, chunks a toxic
handled, handoffs a rule fired on). The run is *not exercised*, never held, when

- the fault never fired at all, or
- fewer hits than the method implies: with `eligible` events drawn at probability `p`, fewer
  than `eligible * p` minus three binomial standard deviations (so a fair draw is not refused,
  but a rule that misses its target is), or
- fewer hits per request sent during the fault than the method's `reach` (a cache answering
  most of the traffic, so the faulted path was hardly on it).
"""

from __future__ import annotations

import math
from typing import Any

from ..measure import FaultFired
from ._schema import Method

__all__ = ["fault_fired", "not_exercised"]


def fault_fired(counts: dict[str, Any] | None, method: Method, requests: int) -> FaultFired | None:
    """The record of what the fault did; None when there was nothing to count by."""
    if counts is None:
        return None
    hits, eligible = int(counts["hits"]), counts.get("eligible")
    p = method.intensity
    expected = None if eligible is None else eligible * p
    least = 1
    if eligible is not None:
        least = max(1, math.floor(eligible * p - 3 * math.sqrt(eligible * p * (1 - p))))
    per_request = None
    if counts["unit"] != "chunk" and requests:
        per_request = round(hits / requests, 4)
    return FaultFired(
        counted_by=counts["counted_by"],
        unit=counts["unit"],
        hits=hits,
        eligible=eligible,
        expected=None if expected is None else round(expected, 2),
        min_hits=least,
        requests=requests,
        per_request=per_request,
        min_per_request=method.reach,
    )


def not_exercised(fired: FaultFired | None) -> str | None:
    """Why the fault did not fire as its method implies, or None if it did (or was not counted)."""
    if fired is None:
        return None
    unit = f"{fired.unit}s"
    if fired.hits == 0:
        met = "" if fired.eligible is None else f" ({fired.eligible} {unit} met its target)"
        return f"not exercised: the fault never fired{met}, so the hypothesis was not tested"
    if fired.hits < fired.min_hits:
        return (
            f"not exercised: the fault fired {fired.hits} times on {fired.eligible} {unit} that met its "
            f"target, {fired.expected} expected: fewer than the {fired.min_hits} its method implies"
        )
    reach = fired.min_per_request
    if reach is not None and fired.per_request is not None and fired.per_request < reach:
        return (
            f"not exercised: {fired.hits} {unit} hit for {fired.requests} requests during the fault "
            f"({fired.per_request:.2f} a request, reach {reach:g}): the rest never met the faulted path "
            f"(a cache answering them?); send fresh queries (load.pool) or lower method.reach"
        )
    return None
