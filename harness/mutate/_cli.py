"""`harness mutate`: how much would the tiers catch? Mutate the declared packages, run the tiers
against each mutant, write reports/mutation.json (score per tier, survivors with file:line)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .._exceptions import ConfigError
from ..sut import load_declaration
from ._generate import find_packages, generate_mutants, sample_mutants
from ._record import MutantResult, MutationRecord
from ._runner import Plan, Runner
from ._settings import load_mutate_settings

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--modules", help="comma-separated files (globs, dotted names) to mutate, e.g. pkg/_retry.py"
    )
    parser.add_argument(
        "--tiers", help="comma-separated tiers, run cheapest first (default unit,integration)"
    )
    parser.add_argument("--sample", type=int, metavar="N", help="run N mutants drawn at random (with --seed)")
    parser.add_argument("--seed", type=int, help="the sample's seed (default 0)")
    parser.add_argument("--budget", type=float, metavar="SECONDS", help="start no mutant after this long")
    parser.add_argument("-n", "--workers", type=int, help="mutants at once in the parallel tiers (default 2)")
    parser.add_argument("--reports", default="reports", help="output folder (default reports)")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments for every tier, after --")


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    values: dict[str, Any] = {
        "modules": _split(args.modules),
        "tiers": _split(args.tiers),
        "sample": args.sample,
        "seed": args.seed,
        "budget_s": args.budget,
        "workers": args.workers,
    }
    if args.pytest_args:
        values["pytest_args"] = list(args.pytest_args)
    return {k: v for k, v in values.items() if v is not None}


def _split(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


def run(args: argparse.Namespace) -> int:
    settings = load_mutate_settings(**_overrides(args))
    declaration = load_declaration()
    names = settings.packages or declaration.coverage
    if not names:
        raise ConfigError(
            "nothing to mutate: set [tool.harness.system] coverage (the system's packages) "
            "or [tool.harness.mutate] packages"
        )
    packages = find_packages(names)
    mutants = generate_mutants(packages, settings.modules)
    chosen = sample_mutants(mutants, settings.sample, settings.seed)
    console = Console()
    if args.list:
        for m in chosen:
            line, before, after = m.changed_lines()
            print(f"{m.file}:{line}  [{m.operator}]  {before}  ->  {after}")
        return 0
    console.print(
        f"{len(chosen)} of {len(mutants)} mutants of {', '.join(names)}; tiers {', '.join(settings.tiers)}"
        + (f"; budget {settings.budget_s:g} s" if settings.budget_s else "")
    )
    plan = Plan(declaration.name, packages, declaration.suites_path, declaration.root, settings)
    record = _with_progress(plan, Path(args.reports), chosen, len(mutants), console)
    _print(console, record, Path(args.reports))
    return 0


def _with_progress(
    plan: Plan, reports: Path, chosen: list[Any], generated: int, console: Console
) -> MutationRecord:
    counts = {"killed": 0, "survived": 0}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("baseline run of the tiers", total=len(chosen))

        def seen(result: MutantResult) -> None:
            counts["survived" if result.status == "survived" else "killed"] += 1
            progress.update(
                task, advance=1, description=f"killed {counts['killed']}, survived {counts['survived']}"
            )
            if not console.is_terminal:  # a CI log: a line per mutant instead of a bar
                console.print(f"{result.status:<8} {result.where} [{result.operator}] {result.tier or ''}")

        runner = Runner(plan, reports, on_result=seen)
        return runner.run(chosen, generated)


def _print(console: Console, record: MutationRecord, reports: Path) -> None:
    score = "n/a" if record.score is None else f"{record.score:.1%}"
    console.print(
        f"mutation score {score}: {record.run} run, {record.not_run} not run ({record.stopped}), "
        f"{record.wall_s:.0f} s wall; {reports / 'mutation.json'}"
    )
    for t in record.tiers:
        tier_score = "n/a" if t.score is None else f"{t.score:.1%}"
        timeouts = f" ({t.timeouts} by timeout)" if t.timeouts else ""
        console.print(
            f"  {t.tier:<12} killed {t.killed}{timeouts}, score {tier_score} (baseline {t.baseline_s:.1f} s)"
        )
    for m in record.survivors:
        console.print(
            f"  survived {m.file}:{m.line} [{m.operator}] {m.original}  ->  {m.mutated}", markup=False
        )
