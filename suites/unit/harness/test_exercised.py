"""The fired-count judgement: each way a fault can fire too little says no, a fair draw says yes."""

from __future__ import annotations

from typing import Any

import pytest

from harness.chaos._exercised import fault_fired, not_exercised
from harness.chaos._schema import Method

pytestmark = pytest.mark.harness_self


def _method(intensity: float = 1.0, reach: float | None = None, kind: str = "status") -> Method:
    fault = {"kind": kind, "status": 500} if kind == "status" else {"kind": kind, "latency_ms": 100}
    return Method.model_validate({"fault": fault, "intensity": intensity, "duration_s": 5, "reach": reach})


def _counts(hits: int, eligible: int | None, unit: str = "LLM call") -> dict[str, Any]:
    return {"counted_by": "test", "unit": unit, "hits": hits, "eligible": eligible}


@pytest.mark.parametrize(
    ("hits", "eligible", "intensity", "reach", "requests", "short"),
    [
        (0, 0, 1.0, None, 20, "never fired (0 LLM calls met its target)"),
        (0, None, 1.0, None, 20, "never fired, so"),
        (3, 40, 1.0, None, 20, "fewer than the 40 its method implies"),
        (5, 100, 0.5, None, 20, "fewer than the 35 its method implies"),  # 50 - 3 sd = 35
        (4, 4, 1.0, 0.5, 20, "0.20 a request, reach 0.5"),
    ],
)
def test_too_few_hits_is_not_exercised(
    hits: int, eligible: int | None, intensity: float, reach: float | None, requests: int, short: str
) -> None:
    fired = fault_fired(_counts(hits, eligible), _method(intensity, reach), requests)
    why = not_exercised(fired)
    assert why is not None and why.startswith("not exercised:") and short in why


@pytest.mark.parametrize(
    ("hits", "eligible", "intensity", "reach"),
    [(40, 40, 1.0, None), (38, 100, 0.5, None), (1, None, 1.0, None), (12, 12, 1.0, 0.5)],
)
def test_a_fair_draw_is_exercised(
    hits: int, eligible: int | None, intensity: float, reach: float | None
) -> None:
    assert not_exercised(fault_fired(_counts(hits, eligible), _method(intensity, reach), 20)) is None


def test_chunks_have_no_share_per_request_and_uncounted_faults_are_not_judged() -> None:
    fired = fault_fired(_counts(7, None, unit="chunk"), _method(kind="latency"), 20)
    assert fired is not None and fired.per_request is None and not_exercised(fired) is None
    assert fault_fired(None, _method(), 20) is None and not_exercised(None) is None


def test_reach_is_refused_for_network_faults() -> None:
    with pytest.raises(ValueError, match="reach: a network fault is counted in chunks"):
        _method(kind="latency", reach=0.5)
