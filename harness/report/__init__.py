"""The release report, the gate and the canary comparison.

    harness report     # reports/ -> reports/summary.json + reports/index.html (self-contained)
    harness gate       # GO (exit 0) or NO-GO (exit 1) from summary.json and [tool.harness.gate]
    harness compare BASELINE CANDIDATE   # significant latency, error or cost regression: exit 1

Until `harness` has these subcommands: `python -m harness.report report|gate|compare`. Schema of
summary.json: docs/summary-schema.md. Names load on first use, so `harness gate` does not pay
for matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._build import Built, build_report
    from ._cli import (
        add_compare_arguments,
        add_gate_arguments,
        add_report_arguments,
        run_compare,
        run_gate,
        run_report,
    )
    from ._collect import build_summary
    from ._compare import Finding, compare
    from ._gate import GateSettings, evaluate, load_gate_settings
    from ._scan import Leak, scan_artifacts
    from ._scrub import scrub
    from ._summary import SCHEMA, Summary, load_summary

__all__ = [
    "SCHEMA",
    "Built",
    "Finding",
    "GateSettings",
    "Leak",
    "Summary",
    "add_compare_arguments",
    "add_gate_arguments",
    "add_report_arguments",
    "build_report",
    "build_summary",
    "compare",
    "evaluate",
    "load_gate_settings",
    "load_summary",
    "run_compare",
    "run_gate",
    "run_report",
    "scan_artifacts",
    "scrub",
]

_HOME = {
    "SCHEMA": "_summary",
    "Built": "_build",
    "Finding": "_compare",
    "GateSettings": "_gate",
    "Leak": "_scan",
    "Summary": "_summary",
    "add_compare_arguments": "_cli",
    "add_gate_arguments": "_cli",
    "add_report_arguments": "_cli",
    "build_report": "_build",
    "build_summary": "_collect",
    "compare": "_compare",
    "evaluate": "_gate",
    "load_gate_settings": "_gate",
    "load_summary": "_summary",
    "run_compare": "_cli",
    "run_gate": "_cli",
    "run_report": "_cli",
    "scan_artifacts": "_scan",
    "scrub": "_scrub",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'harness.report' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
