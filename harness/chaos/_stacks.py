"""The system under chaos: a stack this run owns (tuned for chaos), or one already running.

An owned stack is the usual one (mock LLM -> proxy -> the declared system) with the system's own
chaos tuning (`[tool.harness.system] chaos_env`: for the reference system, 1 s agent timeouts, a
2.5 s request deadline, a breaker that probes again after 1 s, so a fault shows within seconds,
not minutes). The mechanisms are the same; only their numbers shrink. Defences named by an
experiment's `resilience_off` are turned off with the env the declaration gives for each
(`[tool.harness.system.defences]`), one stack per set of defences.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .._exceptions import ChaosError, HarnessError
from ..stack import Stack, read_record
from ..stack._faults_journal import journal_path
from ..sut import SystemDeclaration, load_declaration
from ._faults import Targets

__all__ = ["OWNED_TIMEOUT_S", "attach", "owned_stack", "stack_env", "targets_of"]

#: The mock LLM: a small model nearby (60 ms to first token), seeded.
LLM_ARGS = ["--latency", "fast", "--seed", "7"]
#: A client timeout well past a chaos-tuned system's own bound (the reference answers by 3.5 s).
OWNED_TIMEOUT_S = 10.0


def stack_env(declaration: SystemDeclaration, switches_off: Iterable[str] = ()) -> dict[str, str]:
    return declaration.chaos_env | declaration.defence_env(tuple(switches_off))


def owned_stack(
    reports: str | Path,
    switches_off: Iterable[str] = (),
    *,
    declaration: SystemDeclaration | None = None,
    detached: bool = False,
) -> Stack:
    """A chaos-tuned stack (not started) whose logs and audit log go under `reports`."""
    decl = declaration or load_declaration()
    return Stack(
        reports,
        llm_args=LLM_ARGS,
        system_env=stack_env(decl, switches_off),
        declaration=decl,
        detached=detached,
        health_timeout_s=90,  # several stacks may start at once on a loaded 2-core machine
    )


def targets_of(stack: Stack) -> Targets:
    if not stack.with_proxy:
        raise ChaosError("a chaos run needs the stack's proxy between the system and the LLM")
    if not stack.with_system:
        raise ChaosError("a chaos run needs a system to run against: declare [tool.harness.system.serve]")
    return Targets(
        service_url=stack.service_url,
        llm_url=stack.llm_url,
        proxy_api_url=stack.proxy_api_url,
        audit_log=str(stack.audit_log) if stack.audit_log else None,
        declaration=stack.declaration,
        spans=str(stack.spans) if stack.spans else None,
    )


def attach(stack_json: str | Path, declaration: SystemDeclaration | None = None) -> Targets:
    """Targets of a running stack from its record (`reports/stack/stack.json` after
    `harness stack up`)."""
    try:
        record = read_record(stack_json)
    except HarnessError as exc:
        raise ChaosError(f"--stack {exc}") from None
    missing = [k for k in ("service_url", "proxy_api_url") if not getattr(record, k)]
    if missing:
        raise ChaosError(
            f"--stack {stack_json}: no {', '.join(missing)} (a chaos run needs the system and the proxy)"
        )
    assert record.service_url is not None and record.proxy_api_url is not None
    return Targets(
        service_url=record.service_url,
        llm_url=record.llm_url,
        proxy_api_url=record.proxy_api_url,
        audit_log=record.audit_log,
        declaration=declaration or load_declaration(),
        journal=str(journal_path(stack_json)),  # a killed run's faults stay known (_journaled.py)
        spans=record.spans,
    )
