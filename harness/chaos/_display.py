"""The live progress display of a chaos run (rich): one bar per experiment, moving with time,
labelled with the phase it is in, and one result line printed above it as each one ends."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from ..measure import ExperimentResult
from ._report import one_line

__all__ = ["Display"]

_PHASE_LABEL = {"before": "steady state", "during": "FAULT ACTIVE", "after": "recovering", "done": "done"}
_STYLE = {
    "held": "green",
    "failed": "red",
    "aborted": "yellow",
    "error": "red",
    "interrupted": "yellow",
    "not_applicable": "dim",
    "not_exercised": "magenta",
}


class Display:
    def __init__(self, total: int, *, quiet: bool = False) -> None:
        self.console = Console(stderr=True, quiet=quiet)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[phase]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.overall = self.progress.add_task("experiments", total=total, phase="")
        self.current: TaskID | None = None
        self._phase_started = 0.0
        self._phase_len = 0.0
        self._before_done = 0.0

    def __enter__(self) -> Display:
        self.progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.progress.stop()

    def start(self, name: str, label: str, seconds: float) -> None:
        self.current = self.progress.add_task(f"{name} [{label}]", total=seconds, phase="starting")
        self._before_done = self._phase_len = 0.0

    def phase(self, phase: str, seconds: float) -> None:
        """The runner's progress callback: a phase of `seconds` starts now."""
        if self.current is None:
            return
        self._before_done += self._phase_len  # the previous phase, now over
        self._phase_started, self._phase_len = time.monotonic(), seconds
        self.progress.update(self.current, phase=_PHASE_LABEL.get(phase, phase))

    def tick(self) -> None:
        """Move the bar with time within the current phase (called a few times a second)."""
        if self.current is not None and self._phase_len:
            within = min(self._phase_len, time.monotonic() - self._phase_started)
            self.progress.update(self.current, completed=self._before_done + within)

    def finish(self, result: ExperimentResult) -> None:
        if self.current is not None:
            self.progress.remove_task(self.current)
            self.current = None
        self.progress.advance(self.overall)
        style = _STYLE.get(result.verdict, "white")
        self.console.print(Text(one_line(result), style=style))

    def note(self, text: str) -> None:
        self.console.print(Text(text))
