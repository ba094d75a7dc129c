"""The live progress display: time, requests, throughput, errors and recent P95, from the raw samples
as the locustfile writes them (so the figures shown are ours, not Locust's bucketed ones).

On a terminal it is a rich progress bar; elsewhere (CI logs, pipes) one plain line every 10 s.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ..measure import percentile

__all__ = ["LiveSamples", "show_progress"]

_WINDOW_S = 10.0


class LiveSamples:
    """Tails `samples-*.jsonl` in a folder: totals, and the last 10 s for rate and P95."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._offsets: dict[Path, int] = {}
        self.requests = self.failed = 0
        self._recent: deque[tuple[float, float]] = deque()  # (end time, ms)

    def _new_lines(self, path: Path) -> list[str]:
        with path.open("rb") as handle:
            handle.seek(self._offsets.get(path, 0))
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits for next time
        self._offsets[path] = self._offsets.get(path, 0) + len(complete)
        return complete.decode("utf-8", errors="replace").splitlines()

    def poll(self) -> None:
        for path in sorted(self.folder.glob("samples-*.jsonl")):
            for line in self._new_lines(path):
                self._add(json.loads(line))
        horizon = time.time() - _WINDOW_S
        while self._recent and self._recent[0][0] < horizon:
            self._recent.popleft()

    def _add(self, record: dict[str, Any]) -> None:
        self.requests += 1
        if record.get("kind") != record.get("expected"):
            self.failed += 1
        if record.get("ms") is not None:
            self._recent.append((record["start"] + record["ms"] / 1000, record["ms"]))

    def line(self) -> str:
        window = [ms for _end, ms in self._recent]
        p95 = percentile(window, 0.95) if window else None
        rate = len(window) / _WINDOW_S
        errors = f"{100 * self.failed / self.requests:.1f}%" if self.requests else "-"
        recent = f"{p95:,.0f} ms" if p95 is not None else "-"
        return f"{self.requests:,} requests · {rate:,.1f}/s · errors {errors} · P95 (10 s) {recent}"


def show_progress(
    live: LiveSamples, *, total_s: float, title: str, done: Callable[[], bool], enabled: bool = True
) -> None:
    """Refresh twice a second until `done()`; the bar tracks the planned run time."""
    console = Console(stderr=True)
    if not enabled:
        while not done():
            time.sleep(0.5)
        return
    if not console.is_terminal:
        _plain(live, console, title, done)
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[stats]}"),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(title, total=total_s, stats="starting...")
        started = time.monotonic()
        while not done():
            live.poll()
            bar.update(task, completed=min(total_s, time.monotonic() - started), stats=live.line())
            time.sleep(0.5)
        live.poll()
        bar.update(task, completed=total_s, stats=live.line())


def _plain(live: LiveSamples, console: Console, title: str, done: Callable[[], bool]) -> None:
    started = last = time.monotonic()
    while not done():
        time.sleep(0.5)
        if time.monotonic() - last >= 10:
            live.poll()
            console.print(f"{title}: {time.monotonic() - started:4.0f} s · {live.line()}", highlight=False)
            last = time.monotonic()
    live.poll()
    console.print(f"{title}: done · {live.line()}", highlight=False)
