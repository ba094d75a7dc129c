"""`harness report`: a reports folder in, `summary.json` and `index.html` out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._exceptions import ReportError
from ._collect import build_summary, write_summary
from ._gate import GateSettings, load_gate_settings
from ._html import write_html
from ._summary import Summary

__all__ = ["Built", "build_report"]


@dataclass(frozen=True)
class Built:
    summary: Summary
    summary_path: Path
    html_path: Path


def build_report(
    reports: str | Path = "reports",
    *,
    settings: GateSettings | None = None,
    sla: str | Path | None = None,
    chaos: list[str | Path] | None = None,
) -> Built:
    """Read everything under `reports`, judge it by `[tool.harness.gate]` (or `settings`), and
    write `summary.json` and `index.html` there."""
    folder = Path(reports)
    if not folder.is_dir():
        raise ReportError(f"{folder}: no such reports folder; run `harness run` first")
    summary = build_summary(
        folder,
        settings or load_gate_settings(),
        sla=Path(sla) if sla else None,
        chaos=[Path(p) for p in chaos] if chaos else None,
    )
    return Built(summary, write_summary(summary, folder), write_html(summary, folder))
