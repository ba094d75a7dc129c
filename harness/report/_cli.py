"""The command lines of `harness report`, `harness gate` and `harness compare`.

Exit codes: `report` 0 when written; `gate` 0 GO, 1 NO-GO; `compare` 0 no regression, 1 a
significant one. Any of them: 2 when the input is unusable (a missing or corrupt summary, a bad
setting), with one line saying which file or setting.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .._exceptions import HarnessError

__all__ = [
    "add_compare_arguments",
    "add_gate_arguments",
    "add_report_arguments",
    "main",
    "run_compare",
    "run_gate",
    "run_report",
]


def add_report_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    add = parser.add_argument
    add("--reports", default="reports", help="the reports folder to read and write (default reports)")
    add(
        "--sla",
        metavar="FILE",
        help="the load run's sla.json (default REPORTS/sla.json, else the system tier's healthy run)",
    )
    add(
        "--chaos",
        metavar="FILE",
        action="append",
        help="a chaos.json (repeatable; default REPORTS/chaos.json, else REPORTS/chaos-tests/chaos-*.json)",
    )
    add("--pyproject", metavar="FILE", help="pyproject.toml with [tool.harness.gate] (default: nearest)")
    return parser


def run_report(args: argparse.Namespace) -> int:
    """Write REPORTS/summary.json and REPORTS/index.html; 0 when written, 2 when it cannot be."""
    from ._build import build_report
    from ._gate import load_gate_settings

    try:
        built = build_report(
            args.reports, settings=load_gate_settings(args.pyproject), sla=args.sla, chaos=args.chaos
        )
    except HarnessError as exc:
        print(f"harness report: {exc}", file=sys.stderr)
        return 2
    s = built.summary
    failing = sum(not g.passed for g in s.gates)
    print(f"verdict: {s.verdict}" + (f" ({failing} of {len(s.gates)} gates fail)" if failing else ""))
    for note in s.notes:
        print(f"note: {note}")
    print(f"report: {built.html_path}\nsummary: {built.summary_path}")
    return 0


def add_gate_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    add = parser.add_argument
    add(
        "--summary",
        default="reports/summary.json",
        help="the summary to judge (default reports/summary.json)",
    )
    add("--pyproject", metavar="FILE", help="pyproject.toml with [tool.harness.gate] (default: nearest)")
    return parser


def run_gate(args: argparse.Namespace) -> int:
    """Print each gate and its reason; 0 GO, 1 NO-GO or INCONCLUSIVE (not a release), 2 unusable
    summary or settings."""
    from ._gate import evaluate, load_gate_settings, verdict
    from ._summary import load_summary

    try:
        summary, _ = load_summary(Path(args.summary))
        gates = evaluate(summary, load_gate_settings(args.pyproject))
    except HarnessError as exc:
        print(f"harness gate: {exc}", file=sys.stderr)
        return 2
    for g in gates:
        word = "PASS" if g.passed else ("INCONCLUSIVE" if g.inconclusive else "FAIL")
        print(f"{word:<5}  {g.name:<28} {g.reason}")
    result = verdict(gates)
    failing = sum(not g.passed and not g.inconclusive for g in gates)
    unsettled = sum(g.inconclusive for g in gates)
    parts = [f"{failing} of {len(gates)} gates fail"] if failing else []
    parts += [f"{unsettled} inconclusive"] if unsettled else []
    print(result + (": " + ", ".join(parts) if parts else f": all {len(gates)} gates pass"))
    return 0 if result == "GO" else 1


def add_compare_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    add = parser.add_argument
    add("baseline", help="the current release's summary.json (or its reports folder)")
    add("candidate", help="the canary's summary.json (or its reports folder)")
    add("--alpha", type=float, default=0.01, help="significance level of each one-sided test (default 0.01)")
    add(
        "--min-effect",
        type=float,
        default=0.05,
        help="smallest relative worsening that counts (default 0.05)",
    )
    add(
        "--min-error-increase",
        type=float,
        default=0.005,
        help="smallest error-rate increase that counts, absolute (default 0.005)",
    )
    add("--json", metavar="FILE", help="also write the findings as JSON")
    add("--any-runs", action="store_true", help="compare runs of another system, profile or scenario set")
    return parser


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def run_compare(args: argparse.Namespace) -> int:
    """Print each metric's test; 0 no significant regression, 1 at least one, 2 unusable input."""
    from ._compare import compare
    from ._summary import load_summary

    try:
        base, base_dir = load_summary(Path(args.baseline))
        cand, cand_dir = load_summary(Path(args.candidate))
        findings = compare(
            base,
            base_dir,
            cand,
            cand_dir,
            alpha=args.alpha,
            min_effect=args.min_effect,
            min_error_increase=args.min_error_increase,
            any_runs=args.any_runs,
        )
    except HarnessError as exc:
        print(f"harness compare: {exc}", file=sys.stderr)
        return 2
    for f in findings:
        change = "-" if f.change is None else f"{100 * f.change:+.1f}%"
        if f.metric == "error_rate" and f.change is not None:
            change = f"{100 * f.change:+.2f} pts"
        p = "" if f.p_value is None else f" p={f.p_value:.3g}"
        flag = "REGRESSION" if f.regression else "ok"
        values = f"{_fmt(f.baseline)} -> {_fmt(f.candidate)} ({change})"
        print(f"{flag:<10} {f.metric:<18} {values}; {f.test}{p}; {f.note}")
    if args.json:
        Path(args.json).write_text(json.dumps([f.as_dict() for f in findings], indent=2) + "\n")
    regressions = [f.metric for f in findings if f.regression]
    print(f"regression: {', '.join(regressions)}" if regressions else "no significant regression")
    return 1 if regressions else 0


def main(argv: list[str] | None = None) -> int:
    """`python -m harness.report report|gate|compare`, until `harness` itself has the three."""
    parser = argparse.ArgumentParser(
        prog="python -m harness.report", description="Release report, gate, compare."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add_report_arguments(sub.add_parser("report", help="write reports/summary.json and reports/index.html"))
    add_gate_arguments(sub.add_parser("gate", help="GO or NO-GO from reports/summary.json"))
    add_compare_arguments(sub.add_parser("compare", help="a canary's run against the release's"))
    args = parser.parse_args(argv)
    runners = {"report": run_report, "gate": run_gate, "compare": run_compare}
    return runners[args.command](args)
