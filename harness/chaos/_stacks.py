"""The system under chaos: a stack this run owns (tuned for chaos), or one already running.

An owned stack is the usual one (mock LLM -> proxy -> reference service) with the reference
system's resilience tuned so a fault shows within seconds, not minutes: 1 s agent timeouts, a
2.5 s request deadline, a breaker that probes again after 1 s, and a rate limiter above the
load. The mechanisms are the same; only their numbers shrink. Switches named by an experiment's
`resilience_off` are turned off through the environment, one stack per set of switches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from .._exceptions import ChaosError
from ..stack import Stack
from ._faults import Targets

__all__ = ["CHAOS_ENV", "OWNED_TIMEOUT_S", "attach", "owned_stack", "stack_env", "targets_of"]

CHAOS_ENV = {
    "HARNESS_TIMEOUTS__FAST_AGENT_S": "1",
    "HARNESS_TIMEOUTS__TECHNICAL_S": "1",
    "HARNESS_TIMEOUTS__REQUEST_DEADLINE_S": "2.5",
    "HARNESS_SERVICE_GRACE_S": "1",  # so the service's own backstop answers 503 at 3.5 s
    "HARNESS_BREAKER__RESET_TIMEOUT_S": "1",
    "HARNESS_RATE_LIMIT__REQUESTS_PER_MINUTE": "6000",  # the load is 10 req/s, not a rate test
}
#: The mock LLM: a small model nearby (60 ms to first token), seeded.
LLM_ARGS = ["--latency", "fast", "--seed", "7"]
#: A client timeout well past the owned service's 3.5 s answer-or-503 bound.
OWNED_TIMEOUT_S = 10.0


def stack_env(switches_off: Iterable[str] = ()) -> dict[str, str]:
    return CHAOS_ENV | {f"HARNESS_RESILIENCE__{s.upper()}": "false" for s in switches_off}


def owned_stack(reports: str | Path, switches_off: Iterable[str] = (), *, detached: bool = False) -> Stack:
    """A chaos-tuned stack (not started) whose logs and audit log go under `reports`."""
    return Stack(
        reports,
        llm_args=LLM_ARGS,
        reference_env=stack_env(switches_off),
        detached=detached,
        health_timeout_s=90,  # several stacks may start at once on a loaded 2-core machine
    )


def targets_of(stack: Stack) -> Targets:
    if not stack.with_proxy:
        raise ChaosError("a chaos run needs the stack's proxy between the service and the LLM")
    return Targets(
        service_url=stack.service_url,
        llm_url=stack.llm_url,
        proxy_api_url=stack.proxy_api_url,
        audit_log=str(stack.dir / "audit.jsonl"),
    )


def attach(stack_json: str | Path) -> Targets:
    """Targets of a running stack from its record (`reports/stack/stack.json` after
    `harness stack up`); its audit log sits beside the record."""
    path = Path(stack_json)
    if path.is_dir():
        path = path / "stack.json"
    try:
        doc = json.loads(path.read_text())
    except OSError as exc:
        raise ChaosError(
            f"--stack {path}: cannot read it ({exc.strerror}); start one: harness stack up"
        ) from None
    except ValueError as exc:
        raise ChaosError(f"--stack {path}: not JSON: {exc}") from None
    missing = [k for k in ("service_url", "llm_url", "proxy_api_url") if not doc.get(k)]
    if missing:
        raise ChaosError(f"--stack {path}: no {', '.join(missing)} (a chaos run needs the proxy)")
    return Targets(
        service_url=doc["service_url"],
        llm_url=doc["llm_url"],
        proxy_api_url=doc["proxy_api_url"],
        audit_log=str(path.parent / "audit.jsonl"),
    )
