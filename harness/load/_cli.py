"""`harness load`: the command line of a load run, and its summary on screen."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import HarnessError, LoadError

if TYPE_CHECKING:
    from ..measure import SlaReport

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of `harness load` (also `python -m harness.load`)."""
    add = parser.add_argument
    add("--profile", default="smoke", help="load profile: smoke, steady, ramp, spike, soak or your own")
    add("--list", action="store_true", help="list the profiles and exit")
    add("--profiles", metavar="FILE", help="extra profiles, laid out like harness/load/profiles.toml")
    add(
        "--pyproject",
        metavar="FILE",
        help="pyproject.toml declaring the system, [tool.harness.sla/load] (default: nearest)",
    )
    add("--host", help="load this running system (loopback only) instead of starting the stack")
    add("--audit-log", metavar="FILE", help="with --host: the system's audit log, to reconcile against")
    add("--stack", metavar="STACK_JSON", help="load the system of this `harness stack up` (host, audit log), "
        "checked for faults first (with --host: REPORTS/stack/stack.json if it runs that host)")  # fmt: skip
    add("--allow-dirty", action="store_true", help="with --host: run even with faults active on its stack, "
        "flagged in the report (default: refuse)")  # fmt: skip
    add("--workers", type=int, metavar="N", help="Locust's distributed mode: a master and N workers")
    add("--users", type=int, metavar="N", help="concurrent users (drops a profile's stages)")
    add("--spawn-rate", type=float, metavar="R", help="users started per second")
    add("--duration", type=float, metavar="S", help="seconds of load (drops a profile's stages)")
    add("--warmup", type=float, metavar="S", help="the first S seconds: counted, left out of the figures")
    add("--llm-latency", metavar="PROFILE", help="the mock LLM's latency: zero, fast, realistic, slow")
    add("--scenarios", metavar="FILE", help="labelled scenarios (JSON Lines; default: the declared ones)")
    add("--reports", default="reports", help="output folder (default reports)")
    add("--no-progress", action="store_true", help="no live progress display")
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"workers": args.workers, "users": args.users, "spawn_rate": args.spawn_rate,
                           "duration_s": args.duration, "warmup_s": args.warmup}  # fmt: skip
    if args.users is not None or args.duration is not None:
        out["stages"] = []
    if args.llm_latency:
        out["llm"] = {"latency": args.llm_latency}
    return out


def _from_stack(args: argparse.Namespace) -> None:
    """`--stack` alone: load the system it runs, reconciled against its audit log."""
    if args.stack and not args.host:
        from ..stack import read_record

        record = read_record(args.stack)
        if record.service_url is None:
            raise LoadError(
                f"--stack {args.stack}: that stack runs no system; declare [tool.harness.system.serve]"
            )
        args.host, args.audit_log = record.service_url, args.audit_log or record.audit_log


def _list(args: argparse.Namespace) -> int:
    from ._profiles import available_profiles

    for name, raw in sorted(available_profiles(args.pyproject, args.profiles).items()):
        print(f"{name:<12} {raw.get('description', '')}")
    return 0


def _print_summary(doc: SlaReport, path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"SLA · {doc.run.profile} · {doc.verdict.upper()}")
    for column in ("check", "value", "95% CI", "limit", ""):
        table.add_column(column)
    for check in doc.checks:
        ci, unit = check.ci95, check.unit
        table.add_row(
            check.name, _fmt(check.value, unit),
            f"{_fmt(ci[0], unit)} – {_fmt(ci[1], unit)}" if ci else "",
            f"{check.op} {_fmt(check.limit, unit)}",
            "[green]pass[/]" if check.passed else "[red]FAIL[/]",
        )  # fmt: skip
    req = doc.requests
    console = Console()
    console.print(table)
    if doc.run.dirty:  # --allow-dirty on a stack with faults the run did not set
        console.print(f"[bold red]DIRTY STACK[/]: {'; '.join(doc.run.dirty)}", highlight=False)
    console.print(
        f"sent {req.sent} = answered {req.answered} + failed {req.failed} (invalid {req.invalid}) "
        f"+ lost {req.lost} "
        f"(server side: {req.server_record or 'not checked, no audit log or spans'}) · report {path}",
        highlight=False,
    )


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ratio":
        return f"{100 * value:.2f}%"
    if unit == "usd":
        return f"${value:.5f}"
    return f"{value:,.1f}" + (" ms" if unit == "ms" else "")


def run(args: argparse.Namespace) -> int:
    """Run a load profile and judge it against the SLA: 0 pass, 1 fail, 2 could not run."""
    try:
        if args.list:
            return _list(args)
        if args.audit_log and not args.host:
            raise LoadError(
                "--audit-log names a running system's log: give --host too (a stack the run "
                "starts keeps its own audit log)"
            )
        _from_stack(args)  # hook: --stack gives --host and --audit-log (harness/stack/_clean.py guards it)
        from ._profiles import load_profile
        from ._runner import RunOptions, run_load
        from ._sla import load_sla

        profile = load_profile(
            args.profile, pyproject=args.pyproject, extra=args.profiles, overrides=_overrides(args)
        )
        sla = load_sla(args.pyproject, profile.sla, profile=profile.name)
        options = RunOptions(
            profile=profile, sla=sla, reports=Path(args.reports), host=args.host,
            audit_log=Path(args.audit_log) if args.audit_log else None,
            scenarios=Path(args.scenarios) if args.scenarios else None, progress=not args.no_progress,
            pyproject=Path(args.pyproject) if args.pyproject else None,
            stack=Path(args.stack) if args.stack else None, allow_dirty=args.allow_dirty,
        )  # fmt: skip
        result = run_load(options)
    except HarnessError as exc:
        print(f"harness load: {exc}", file=sys.stderr)
        return 2
    _print_summary(result.report, result.path)
    return 0 if result.passed else 1
