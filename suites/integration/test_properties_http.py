"""Properties of the whole system over HTTP, against the stack: any input ends within the deadline
with a valid route or a clear 422, never a 5xx, and no input PII reaches the service's log, the
audit log, the mock LLM's log or the metrics."""

from __future__ import annotations

import time

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.stack import Stack
from harness.strategies import customer_queries
from support_desk import ROUTES

DEADLINE_S = 1.5  # the stack's SUPPORT_DESK_TIMEOUTS__REQUEST_DEADLINE_S (see conftest)
GRACE_S = 2.0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=customer_queries(), tier=st.sampled_from(["standard", "vip"]))
def test_over_http_never_a_5xx_and_always_within_the_deadline(stack: Stack, query: str, tier: str) -> None:
    started = time.monotonic()
    resp = httpx.post(
        f"{stack.service_url}/v1/chat",
        json={"query": query, "user_id": "prop", "customer_tier": tier},
        timeout=30,
    )
    elapsed = time.monotonic() - started
    assert resp.status_code in (200, 422), resp.text[:300]
    assert elapsed < DEADLINE_S + GRACE_S
    if resp.status_code == 200:
        assert resp.json()["route"] in ROUTES
    else:
        assert resp.json()["error"]


def test_over_http_no_input_pii_in_service_log_audit_log_or_metrics(stack: Stack) -> None:
    secrets = [
        "maria.garcia@example.com",
        "4111 1111 1111 1111",
        "ES91 2100 0418 4502 0005 1332",
        "12345678Z",
        "+34 612 345 678",
        "X1234567L",
    ]
    with httpx.Client(base_url=stack.service_url, timeout=30) as client:
        for i, secret in enumerate(secrets):
            body = {"query": f"My data is {secret}, the app crashes", "user_id": secret, "session_id": secret}
            assert (
                client.post("/v1/chat", json=body, headers={"X-Request-Id": f"pii-{i}-{secret}"}).status_code
                == 200
            )
        metrics = client.get("/metrics").text
    time.sleep(0.2)  # let the log lines land
    artifacts = {
        "service log": (stack.dir / "service.log").read_text(),
        "audit log": (stack.dir / "audit.jsonl").read_text(),
        "mock LLM log": (stack.dir / "llm.log").read_text(),
        "metrics": metrics,
    }
    assert len(artifacts["audit log"].splitlines()) >= len(secrets)  # every request was audited
    leaks = [(name, s) for name, text in artifacts.items() for s in secrets if s in text]
    assert not leaks
