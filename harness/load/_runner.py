"""Load runs: the target up, Locust as subprocesses (with a live progress display), then the analysis.
Every part is bounded in time and always stopped.

`run_loads` runs several side by side (the system tier does): every target comes up first, then
every load starts at once, then the analyses run one after another, so no run's load window
overlaps another's start-up or analysis, the CPU-heavy phases.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from .._exceptions import LoadError
from ..measure import RunHeader, new_run_id
from ..sut import SystemDeclaration, load_declaration
from ._analysis import Analysis, analyse
from ._locust import LocustProcesses, locust_env
from ._profiles import LoadProfile
from ._progress import LiveSamples, show_progress
from ._sla import SLA
from ._target import Target, check_attached, check_loopback, scrape_costs

__all__ = ["RunOptions", "run_load", "run_loads"]

T = TypeVar("T")


@dataclass
class RunOptions:
    profile: LoadProfile
    sla: SLA
    reports: Path = Path("reports")
    host: str | None = None  # an already running system on loopback; None: start the stack
    audit_log: Path | None = None  # with --host: its audit log, to reconcile against
    scenarios: Path | None = None  # default: the declared ones
    progress: bool = True
    pyproject: Path | None = None  # the one declaring the system (default: the nearest)
    stack: Path | None = None  # with host: the stack.json it belongs to (default: found under reports)
    allow_dirty: bool = False  # with host: run even with faults active on that stack, flagged

    @property
    def declaration(self) -> SystemDeclaration:
        return load_declaration(self.pyproject)

    @property
    def scenarios_file(self) -> Path | None:
        return self.scenarios or self.declaration.scenarios_path


@dataclass
class _Run:
    """One run between its start and its analysis."""

    options: RunOptions
    id: str = field(default_factory=new_run_id)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    target: Target | None = None
    costs_before: dict[str, float] | None = None
    costs_after: dict[str, float] | None = None
    dirty: list[str] = field(default_factory=list)  # faults active on an attached stack (allowed)

    @property
    def folder(self) -> Path:
        name = f"{self.options.profile.name}-{self.started:%Y%m%d-%H%M%S}-{self.id}"
        return self.options.reports / "load" / name

    def start_target(self) -> None:
        o = self.options
        self.declaration = o.declaration  # a bad declaration refuses here, before any folder exists
        if o.host is not None:  # hook: a dirty attached stack refuses here too (_target.check_attached)
            self.dirty = check_attached(o.host, o.stack, o.reports, self.declaration, o.allow_dirty)
        (self.folder / "raw").mkdir(parents=True, exist_ok=True)
        self.target = Target.start(o.profile, self.folder, o.host, o.audit_log, self.declaration)
        self.costs_before = scrape_costs(self.target.url, self.declaration)

    def load(self, progress: bool) -> None:
        assert self.target is not None
        profile = self.options.profile
        env = locust_env(
            profile,
            run_id=self.id,
            samples=self.folder / "raw",
            scenarios=self.options.scenarios_file,
            pyproject=self.options.pyproject,
        )
        procs = LocustProcesses(profile, host=self.target.url, folder=self.folder, env=env)
        started = time.monotonic()
        procs.start()
        try:
            deadline = started + procs.hard_limit_s()
            show_progress(
                LiveSamples(self.folder / "raw"),
                total_s=profile.run_time_s,
                title=f"load {profile.name}",
                done=lambda: procs.poll() is not None or time.monotonic() > deadline,
                enabled=progress,
            )
            code = procs.wait(started)
        finally:
            procs.stop()
        if code != 0:
            raise LoadError(procs.failure(code))
        self.costs_after = scrape_costs(self.target.url, self.declaration)

    def agent_costs(self) -> dict[str, float] | None:
        if self.costs_after is None:
            return None
        before = self.costs_before or {}
        return {agent: total - before.get(agent, 0.0) for agent, total in self.costs_after.items()}

    def header(self) -> RunHeader:
        p, o = self.options.profile, self.options
        return RunHeader(
            id=self.id, profile=p.name, description=p.description, folder=str(self.folder),
            started_at=self.started.isoformat(timespec="seconds"),
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
            target=self.target.url if self.target else None, stack=o.host is None,
            users=p.peak_users, spawn_rate=p.spawn_rate, run_time_s=p.run_time_s,
            stages=[(until, int(users), rate) for until, users, rate in p.stage_table()],
            workers=p.workers, wait_s=p.wait_s, warmup_s=p.warmup_s,
            llm=p.llm.model_dump() if o.host is None else None, env=p.env, locust_exit_code=0,
            system=o.declaration.name, scenarios=_fingerprint(o.scenarios_file), dirty=self.dirty,
            stream=p.stream,
        )  # fmt: skip

    def spans(self) -> Path | None:
        """The spans the run's system exported: its own stack's, or those of the stack it
        attached to (`--host` with the record of `harness stack up`), when it is traced."""
        assert self.target is not None
        if self.target.stack is not None:
            return self.target.stack.spans
        o = self.options
        if o.host is None:
            return None
        from ..stack import read_record
        from ..stack._clean import attached_record

        record = attached_record(o.host, o.stack, o.reports)
        spans = read_record(record).spans if record is not None else None
        return Path(spans) if spans else None

    def analyse(self) -> Analysis:
        o = self.options
        assert self.target is not None
        return analyse(
            folder=self.folder, reports=o.reports, run=self.header(), profile=o.profile, sla=o.sla,
            audit_path=self.target.audit_log, scenarios=o.scenarios_file, agent_costs=self.agent_costs(),
            spans=self.spans(),
            agent_names=tuple(o.declaration.vocabulary.agents or ()), prices=o.declaration.price_table(),
        )  # fmt: skip


def _fingerprint(path: Path | None) -> str | None:
    """A scenario file as two runs can be matched by: its name and a digest of its content."""
    if path is None or not path.is_file():
        return None
    return f"{path.name} sha256:{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"


def _each(runs: Sequence[_Run], step: Callable[[_Run], T]) -> list[T]:
    """`step` on every run at once, each in a thread that lives until its step is over."""
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        futures = [pool.submit(step, run) for run in runs]
    errors = [f.exception() for f in futures if f.exception() is not None]
    if errors:
        raise errors[0]  # type: ignore[misc]
    return [f.result() for f in futures]


class _Keeper(threading.Thread):
    """Starts one run's target and stops it, in the same thread: the stack's processes get
    PR_SET_PDEATHSIG, which fires when the *thread* that started them ends."""

    def __init__(self, run: _Run) -> None:
        super().__init__(name=f"target-{run.options.profile.name}", daemon=True)
        self.run_, self.ready, self.release = run, threading.Event(), threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.run_.start_target()
        except BaseException as exc:  # handed to the main thread, which raises it
            self.error = exc
        finally:
            self.ready.set()
        self.release.wait()
        if self.run_.target is not None:
            self.run_.target.stop()


def _side_by_side(runs: list[_Run]) -> None:
    keepers = [_Keeper(run) for run in runs]
    try:
        for keeper in keepers:
            keeper.start()
        for keeper in keepers:
            keeper.ready.wait()
        errors = [k.error for k in keepers if k.error is not None]
        if errors:
            raise errors[0]
        _each(runs, lambda run: run.load(False))
    finally:
        for keeper in keepers:
            keeper.release.set()
        for keeper in keepers:
            keeper.join(timeout=60)


def run_loads(many: Sequence[RunOptions]) -> list[Analysis]:
    """Run every profile side by side; reports land in `<reports>/load/<profile>-<time>-<id>/`."""
    for options in many:  # before anything is created or sent
        if options.host is not None:
            check_loopback(options.host)
    runs = [_Run(options) for options in many]
    if len(runs) == 1:  # in this thread: Ctrl-C and SIGTERM stop the stack cleanly
        try:
            runs[0].start_target()
            runs[0].load(runs[0].options.progress)
        finally:
            if runs[0].target is not None:
                runs[0].target.stop()
    else:
        _side_by_side(runs)
    return [run.analyse() for run in runs]


def run_load(options: RunOptions) -> Analysis:
    """Run one profile and analyse it."""
    return run_loads([options])[0]
