"""Run mutants against the tiers, cheapest first, in copies of the packages (`Workspace`).

Before any mutant, each tier runs once un-mutated in a copy: a tier that fails then would pass for
one that catches everything, so it stops the run (MutationError, with its log). Its time sets the
tier's timeout for a mutant (`timeout_factor` x it + 10 s): a mutant that makes the tests hang is
cut there and counted as a kill, marked `timeout`. A mutant goes through the tiers in order and
the first that fails kills it, if its failing test passes un-mutated (checked once per test:
else the test is noise, left out of the rest of the run); a survivor has run every tier. Up to
`workers` mutants run at once, but a tier not in `parallel_tiers` (one that binds ports or
writes a shared folder) runs one mutant at a time. The budget is checked before each mutant
starts; Ctrl-C stops the running tests and keeps every result already had.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .._exceptions import MutationError
from ._generate import Mutant, PackageSource
from ._pytest_plugin import WRONG_IMPORT
from ._record import MutantResult, MutationRecord, Status, TierScore
from ._settings import MutateSettings
from ._workspace import Workspace

__all__ = ["Outcome", "Runner", "TierRun"]

Outcome = Literal["passed", "failed", "timeout", "empty", "stopped"]
# The whole node id up to pytest's " - " message: a parametrised id may hold spaces, and a cut
# one is a prefix `--deselect` would take for every case it starts (and a re-run would not find).
_FAILURE = re.compile(r"^(?:FAILED|ERROR) (.+?)(?: - |$)", re.MULTILINE)
_SLACK_S = 10.0  # on top of factor x baseline: process start-up varies more than test time


@dataclass(frozen=True)
class TierRun:
    outcome: Outcome
    seconds: float
    first_failure: str | None = None
    output: str = ""


@dataclass(frozen=True)
class Plan:
    """What the runner runs: from the settings, the declaration and the CLI."""

    system: str
    packages: Sequence[PackageSource]
    suites: Path  # holds unit/ integration/ ...
    cwd: Path  # the project root the tiers run in (their conftest, pyproject)
    settings: MutateSettings


class Runner:
    def __init__(
        self, plan: Plan, reports: Path, on_result: Callable[[MutantResult], None] | None = None
    ) -> None:
        self.plan = plan
        self.reports = reports
        self.on_result = on_result or (lambda result: None)
        self.baseline_s: dict[str, float] = {}
        self._stop = threading.Event()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._serial = {tier: threading.Lock() for tier in plan.settings.tiers}
        self._trusted: set[str] = set()  # tests seen passing un-mutated: their failure is a kill
        self.deselected: list[str] = []  # tests seen failing un-mutated: left out from then on
        self._clean: Workspace | None = None
        self._clean_lock = threading.Lock()

    # -- one pytest run ----------------------------------------------------------------------
    def command(self, target: str) -> list[str]:
        """pytest on a tier (its folder) or on one test id."""
        path = str(self.plan.suites / target) if "::" not in target else target
        deselect = [arg for test in list(self.deselected) for arg in ("--deselect", test)]
        return [
            sys.executable, "-m", "pytest", path,
            "-x", "-q", "-rfE", "-p", "no:randomly", "-p", "no:cacheprovider",
            "-p", "harness.mutate._pytest_plugin",
            *self.plan.settings.pytest_args, *deselect,
        ]  # fmt: skip

    def run_tier(self, workspace: Workspace, tier: str, timeout_s: float | None) -> TierRun:
        """One run of `tier` (or of one test id) against the copy; in its own session, so a
        Ctrl-C reaches us, not it."""
        started = time.monotonic()
        proc = subprocess.Popen(
            self.command(tier),
            cwd=self.plan.cwd,
            env=workspace.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        with self._lock:
            self._running.add(proc)
        try:
            out, _ = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill(proc)
            out, _ = proc.communicate()
            return TierRun("timeout", time.monotonic() - started, output=out.decode(errors="replace"))
        finally:
            with self._lock:
                self._running.discard(proc)
        return _judged(proc.returncode, time.monotonic() - started, out.decode(errors="replace"), self._stop)

    # -- the un-mutated tiers ----------------------------------------------------------------
    def baseline(self, workspace: Workspace) -> list[str]:
        """Run each tier un-mutated; the tiers that have tests, in order. MutationError when one fails."""
        tiers = []
        for tier in self.plan.settings.tiers:
            if not (self.plan.suites / tier).is_dir():
                continue
            run = self.run_tier(workspace, tier, None)
            log = self.reports / "mutation" / f"baseline-{tier}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(run.output, encoding="utf-8")
            if run.outcome == "stopped":
                raise KeyboardInterrupt
            if run.outcome == "failed":
                first = f" ({run.first_failure})" if run.first_failure else ""
                raise MutationError(
                    f"the {tier} tier fails without any mutant{first}, so it cannot tell a mutant from "
                    f"its own failure: fix it, or leave it out with --tiers (log: {log})"
                )
            if run.outcome == "passed":
                self.baseline_s[tier] = run.seconds
                tiers.append(tier)
        if not tiers:
            raise MutationError(
                f"no tier of {', '.join(self.plan.settings.tiers)} has tests under {self.plan.suites}"
            )
        return tiers

    # -- one mutant --------------------------------------------------------------------------
    def run_mutant(self, workspace: Workspace, mutant: Mutant, tiers: Sequence[str]) -> MutantResult:
        line, original, mutated = mutant.changed_lines()
        status: Status = "survived"
        tier_hit: str | None = None
        first: str | None = None
        spent = 0.0
        with workspace.applied(mutant):
            for tier in tiers:
                run = self._run_trusted(workspace, tier)
                spent += run.seconds
                if run.outcome == "stopped":
                    status = "not_run"
                    break
                if run.outcome in ("failed", "timeout", "empty"):
                    status = "timeout" if run.outcome == "timeout" else "killed"
                    tier_hit, first = tier, run.first_failure
                    break
        return MutantResult(
            id=mutant.id, file=mutant.file, line=line, function=mutant.function, operator=mutant.operator,
            original=original, mutated=mutated, status=status, tier=tier_hit, killed_by=first,
            seconds=round(spent, 2),
        )  # fmt: skip

    def _run_trusted(self, workspace: Workspace, tier: str) -> TierRun:
        """A tier's run whose failing test, if any, passes un-mutated: one that fails without the
        mutant too (flaky, or broken since the baseline) is noise, left out, and the tier run
        again without it (at most 3 times)."""
        for _ in range(3):
            run = self._run_guarded(workspace, tier)
            test = run.first_failure
            if run.outcome != "failed" or test is None or "::" not in test or not self._fails_unmutated(test):
                return run
        return run

    def _fails_unmutated(self, test: str) -> bool:
        with self._clean_lock:
            if test in self._trusted:
                return False
            if test in self.deselected:
                return True
            assert self._clean is not None
            failed = self.run_tier(self._clean, test, None).outcome not in ("passed", "stopped")
            (self.deselected.append if failed else self._trusted.add)(test)
            return failed

    def _run_guarded(self, workspace: Workspace, tier: str) -> TierRun:
        if self._stop.is_set():
            return TierRun("stopped", 0.0)
        timeout = self.baseline_s[tier] * self.plan.settings.timeout_factor + _SLACK_S
        if tier in self.plan.settings.parallel_tiers:
            return self.run_tier(workspace, tier, timeout)
        with self._serial[tier]:
            return self.run_tier(workspace, tier, timeout)

    # -- the whole run -----------------------------------------------------------------------
    def run(self, mutants: Sequence[Mutant], generated: int) -> MutationRecord:
        """Every mutant through the tiers; the record of what was had, also on Ctrl-C (re-raised)."""
        started = time.monotonic()
        settings = self.plan.settings
        results: dict[int, MutantResult] = {}
        with tempfile.TemporaryDirectory(prefix="harness-mutate-") as tmp:
            workspaces: queue.SimpleQueue[Workspace] = queue.SimpleQueue()
            first = Workspace(Path(tmp) / "w0", self.plan.packages)
            tiers = self.baseline(first)
            self._clean = Workspace(Path(tmp) / "clean", self.plan.packages)  # never mutated
            workspaces.put(first)
            for n in range(1, min(settings.workers, max(len(mutants), 1))):
                workspaces.put(Workspace(Path(tmp) / f"w{n}", self.plan.packages))
            stopped = self._run_all(mutants, tiers, workspaces, results, started)
        record = self._record(mutants, results, tiers, generated, time.monotonic() - started, stopped)
        record.write(self.reports / "mutation.json")
        if stopped == "interrupted":
            raise _Interrupted(record)
        return record

    def _run_all(
        self,
        mutants: Sequence[Mutant],
        tiers: Sequence[str],
        workspaces: queue.SimpleQueue[Workspace],
        results: dict[int, MutantResult],
        started: float,
    ) -> Literal["done", "budget", "interrupted"]:
        budget = self.plan.settings.budget_s
        over = threading.Event()

        def one(mutant: Mutant) -> None:
            if budget is not None and time.monotonic() - started > budget:
                over.set()
            if over.is_set() or self._stop.is_set():
                return
            workspace = workspaces.get()
            try:
                result = self.run_mutant(workspace, mutant, tiers)
            finally:
                workspaces.put(workspace)
            if result.status != "not_run":
                results[mutant.number] = result
                self.on_result(result)

        pool = ThreadPoolExecutor(max_workers=self.plan.settings.workers, thread_name_prefix="mutant")
        futures: set[Future[None]] = {pool.submit(one, m) for m in mutants}
        try:
            while futures:
                done, futures = wait(futures, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()
        except KeyboardInterrupt:
            self._stop.set()
            with self._lock:
                for proc in list(self._running):
                    _kill(proc)
            return "interrupted"
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return "budget" if over.is_set() else "done"

    def _record(
        self,
        mutants: Sequence[Mutant],
        results: dict[int, MutantResult],
        tiers: Sequence[str],
        generated: int,
        wall_s: float,
        stopped: Literal["done", "budget", "interrupted"],
    ) -> MutationRecord:
        settings = self.plan.settings
        done = [results[m.number] for m in mutants if m.number in results]
        left = [_not_run(m) for m in mutants if m.number not in results]
        return MutationRecord(
            system=self.plan.system,
            packages=[p.name for p in self.plan.packages],
            modules=list(settings.modules),
            tiers=tier_scores(done, tiers, self.baseline_s),
            generated=generated,
            sample=settings.sample,
            seed=settings.seed,
            budget_s=settings.budget_s,
            run=len(done),
            not_run=len(left),
            score=_share(sum(r.status != "survived" for r in done), len(done)),
            deselected=list(self.deselected),
            wall_s=round(wall_s, 1),
            stopped=stopped,
            mutants=sorted(done + left, key=lambda r: int(r.id.rsplit("#", 1)[1])),
        )


class _Interrupted(KeyboardInterrupt):
    """Ctrl-C, after the record of what was done was written."""

    def __init__(self, record: MutationRecord) -> None:
        super().__init__()
        self.record = record


def tier_scores(
    done: Sequence[MutantResult], tiers: Sequence[str], baseline_s: dict[str, float]
) -> list[TierScore]:
    """Each tier's kills, and its score: killed by it or a cheaper tier / run."""
    scores, cumulative = [], 0
    for tier in tiers:
        mine = [r for r in done if r.tier == tier]
        cumulative += len(mine)
        scores.append(
            TierScore(
                tier=tier,
                baseline_s=round(baseline_s.get(tier, 0.0), 2),
                killed=len(mine),
                timeouts=sum(r.status == "timeout" for r in mine),
                cumulative=cumulative,
                score=_share(cumulative, len(done)),
            )
        )
    return scores


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _not_run(mutant: Mutant) -> MutantResult:
    return MutantResult(
        id=mutant.id, file=mutant.file, line=mutant.line, function=mutant.function,
        operator=mutant.operator, original="", mutated="", status="not_run",
    )  # fmt: skip


def _judged(code: int, seconds: float, output: str, stop: threading.Event) -> TierRun:
    if stop.is_set():
        return TierRun("stopped", seconds, output=output)
    if code == WRONG_IMPORT:
        raise MutationError(
            output.strip().splitlines()[-1] if output.strip() else "a package was not imported from its copy"
        )
    if code == 0:
        return TierRun("passed", seconds, output=output)
    if code == 5:  # pytest: no tests collected
        return TierRun("empty", seconds, output=output)
    found = _FAILURE.search(output)
    return TierRun("failed", seconds, found.group(1) if found else _last_line(output), output)


def _last_line(output: str) -> str | None:
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    return lines[-1][:200] if lines else None


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """The run and everything it started (a service, a mock LLM): its whole process group."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
