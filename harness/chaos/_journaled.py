"""Chaos on an attached stack, journaled: a fault is written to the stack's `faults.json` before it
is set and struck off once it is rolled back (`harness.stack._faults_journal`), so a run killed
mid-fault (SIGKILL: no `finally`) leaves a record the next run acts on: it undoes a dead owner's
faults and refuses a live one's. And before a run attaches, the guard: no fault it did not set.

An owned stack needs no journal: its processes die with the run (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..stack._clean import describe_rule, guard
from ..stack._faults_journal import FaultEntry, Undo, journal_of, new_entry
from ..sut import SystemDeclaration
from ._faults import HandoffInjector, Injector, LLMInjector, NetworkInjector, _call

__all__ = ["Journaled", "guard_attached"]

OWNER = "harness chaos"


def guard_attached(stack_json: str | Path, declaration: SystemDeclaration) -> None:
    """Refuse a stack with faults this run did not set (StackError); undo a dead run's, saying so."""
    guard(stack_json, declaration, say=lambda line: print(f"harness chaos: {line}", file=sys.stderr))


class Journaled:
    """An injector whose fault is journaled while it is set; counts and rollback are the inner's."""

    def __init__(self, inner: Injector, journal: str | Path) -> None:
        self.inner, self.journal = inner, journal
        self.entry: FaultEntry | None = None

    def inject(self) -> None:
        entry = entry_for(self.inner)
        with journal_of(self.journal) as journal:  # first: a kill right after the set is still known
            journal.entries.append(entry)
        self.entry = entry
        self.inner.inject()

    def counts(self) -> dict[str, Any] | None:
        return self.inner.counts()

    def __getattr__(self, name: str) -> Any:
        # Anything else a caller reads of an injector (its method, what it added) is the inner's.
        if name == "inner":  # not set yet (a copy being built): no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    def rollback(self) -> None:
        self.inner.rollback()  # raises if the fault may still be set: its entry stays
        if self.entry is not None:
            gone = self.entry.id
            with journal_of(self.journal) as journal:
                journal.entries[:] = [e for e in journal.entries if e.id != gone]
            self.entry = None


def entry_for(injector: Injector) -> FaultEntry:
    """What `injector` is about to set, where, and the calls that undo it."""
    if isinstance(injector, NetworkInjector):
        return _network_entry(injector)
    if isinstance(injector, LLMInjector):
        return _llm_entry(injector)
    assert isinstance(injector, HandoffInjector)
    rule: dict[str, Any] = {"kind": injector.method.fault.kind, "probability": injector.method.intensity}
    if injector.method.target.source:
        rule["source"] = injector.method.target.source
    return new_entry(
        "handoff",
        f"handoff rule {describe_rule(rule)} at {injector.url}",
        [Undo(method="DELETE", url=injector.url)],
        owner=OWNER,
        set=[rule],
    )


def _network_entry(injector: NetworkInjector) -> FaultEntry:
    proxy = injector.proxy_url.rsplit("/", 1)[1]
    if injector.fault.kind == "down":
        undo = [Undo(method="POST", url=injector.proxy_url, body={"enabled": True})]
        return new_entry("proxy", f"proxy {proxy} disabled", undo, owner=OWNER, set=[{"enabled": False}])
    toxics = injector._toxics()
    names = ", ".join(t["name"] for t in toxics)
    undo = [Undo(method="DELETE", url=f"{injector.proxy_url}/toxics/{t['name']}") for t in toxics]
    return new_entry("proxy", f"toxic {names} on proxy {proxy}", undo, owner=OWNER, set=toxics)


def _llm_entry(injector: LLMInjector) -> FaultEntry:
    root = injector.root
    if injector.method.fault.kind == "slow_tokens":
        # The latency to go back to, read now: the injector reads it again just before it sets its own.
        current = _call("GET", f"{root}/_control/latency")
        saved = {k: current[k] for k in ("default", "models", "profiles") if k in current}
        undo = [Undo(method="PUT", url=f"{root}/_control/latency", body=saved)]
        return new_entry("mock_llm", "mock LLM latency (slow tokens)", undo, owner=OWNER, set=[saved])
    rule = injector._rule()
    undo = [Undo(method="DELETE", url=f"{root}/_control/faults")]
    return new_entry("mock_llm", f"mock LLM rule {describe_rule(rule)}", undo, owner=OWNER, set=[rule])
