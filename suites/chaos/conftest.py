"""Chaos-tier fixtures: chaos-tuned stacks, one per set of resilience switches turned off.

Stacks start lazily (the first test that needs a configuration starts it) and all stop at the
end of the session. They start from the main thread: a child's PR_SET_PDEATHSIG is tied to
the thread that forked it, so a stack started from a short-lived thread would die with it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness.chaos import Targets, build_chaos_report, owned_stack, targets_of, write_report
from harness.measure import ExperimentResult
from harness.stack import Stack

REPORTS = Path(__file__).resolve().parents[2] / "reports" / "chaos-tests"

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")


class ChaosStacks:
    """One running stack per set of switches off (`()`: resilience fully on)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: dict[tuple[str, ...], Stack] = {}
        self.results: list[ExperimentResult] = []

    def stack(self, switches_off: Iterable[str] = ()) -> Stack:
        key = tuple(sorted(switches_off))
        if key not in self.running:
            name = "on" if not key else "off-" + "-".join(key)
            self.running[key] = owned_stack(self.folder / name, key).start()
        return self.running[key]

    def targets(self, switches_off: Iterable[str] = ()) -> Targets:
        return targets_of(self.stack(switches_off))

    def stop(self) -> None:
        stacks = list(self.running.values())
        # Every process at once (each takes a while to exit), then each stack in reverse order
        # of start: `Stack.stop` restores the signal handlers its start replaced, which only
        # the main thread may do.
        parts = [part for stack in stacks for part in stack.processes]
        with ThreadPoolExecutor(max(1, len(parts))) as pool:
            list(pool.map(lambda part: part.stop(), parts))
        for stack in reversed(stacks):
            stack.stop()
        self.running.clear()


@pytest.fixture(scope="session")
def chaos_stacks(worker_id: str) -> Iterator[ChaosStacks]:  # worker_id: pytest-xdist's
    stacks, started = ChaosStacks(REPORTS / f"stacks-{worker_id}"), time.time()
    try:
        yield stacks
    finally:
        stacks.stop()
        if stacks.results:
            # The short runs' measurements, as `harness chaos --suite short --bite` would write them.
            doc = build_chaos_report(stacks.results, suite="short", started=started, stacks=[])
            write_report(doc, REPORTS / f"chaos-{worker_id}.json")
