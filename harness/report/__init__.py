"""The release report, the gate and the canary comparison.

    harness report     # reports/ -> reports/summary.json + reports/index.html (self-contained)
    harness gate       # GO (exit 0) or NO-GO (exit 1) from summary.json and [tool.harness.gate]
    harness compare BASELINE CANDIDATE   # significant latency, error or cost regression: exit 1

Also `python -m harness.report report|gate|compare`. Schema of summary.json:
docs/summary-schema.md. Names load on first use, so `harness gate` does not pay for matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._build import Built, build_report
    from ._collect import build_summary
    from ._compare import Finding, compare
    from ._gate import GateSettings, evaluate, load_gate_settings
    from ._scan import Leak, scan_artifacts
    from ._scrub import scrub
    from ._summary import Summary, load_summary

__all__ = [
    "Built",
    "Finding",
    "GateSettings",
    "Leak",
    "Summary",
    "build_report",
    "build_summary",
    "compare",
    "evaluate",
    "load_gate_settings",
    "load_summary",
    "scan_artifacts",
    "scrub",
]

_HOME = {
    "Built": "_build",
    "Finding": "_compare",
    "GateSettings": "_gate",
    "Leak": "_scan",
    "Summary": "_summary",
    "build_report": "_build",
    "build_summary": "_collect",
    "compare": "_compare",
    "evaluate": "_gate",
    "load_gate_settings": "_gate",
    "load_summary": "_summary",
    "scan_artifacts": "_scan",
    "scrub": "_scrub",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'harness.report' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
