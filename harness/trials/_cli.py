"""`harness trials`: every scenario k times against the system, pass@1 and pass^k with honest
intervals, written to reports/trials.json (the release report's trials section and its gate).

Exit codes: 0 written, 2 a bad option or nothing to run (one line on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._exceptions import ConfigError
from ..scenarios import NoisyBrain, Scenario, load_scenarios
from ..sut import HTTPSystem, SystemDeclaration, SystemUnderTest, load_declaration, load_system
from ._llm import BRAINS, choose_brain, mocked_llm
from ._record import TrialsRecord
from ._run import Trial, build_record, repeats_of, run_trials

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--repeat",
        type=int,
        default=4,
        metavar="K",
        help="trials per scenario (default 4; a scenario's own `repeat` wins)",
    )
    add("--k", type=int, metavar="K", help="pass^k's k (default: --repeat)")
    add("--confidence", type=float, default=0.95, help="the intervals' level (default 0.95)")
    add("--scenarios", metavar="FILE", help="a scenarios file (default: the declared one)")
    add("--system", metavar="SPEC", help="pkg.module:attr or a URL (default: the declared system)")
    add("--host", metavar="URL", help="a running system, spoken to by the declared HTTP contract")
    add("--brain", choices=BRAINS, help="declared (default in process), noisy, own (default with --host)")
    add("--seed", type=int, default=0, help="the noisy brain's seed (default 0)")
    add("--misroute", type=float, default=0.1, help="the noisy brain's misroute probability (default 0.1)")
    add("--allow-cache", action="store_true", help="let repeats be served from the system's caches")
    add("--reports", default="reports", help="output folder (default reports)")


def _check(args: argparse.Namespace) -> None:
    if args.repeat < 1:
        raise ConfigError(f"--repeat {args.repeat}: give at least 1 trial per scenario")
    if args.k is not None and not args.k >= 1:
        raise ConfigError(f"--k {args.k}: give a k of at least 1")
    if not 0 < args.confidence < 1:
        raise ConfigError(f"--confidence {args.confidence}: give a level between 0 and 1, e.g. 0.95")
    if not 0 <= args.misroute <= 1:
        raise ConfigError(f"--misroute {args.misroute}: give a probability between 0 and 1")
    if args.host and args.brain not in (None, "own"):
        raise ConfigError(
            f"--brain {args.brain} with --host: a running system uses its own LLM; drop --brain"
        )
    if args.host and args.system:
        raise ConfigError("--host and --system both name the system: give one")


def _system(args: argparse.Namespace, declaration: SystemDeclaration) -> SystemUnderTest:
    if args.host:
        routes = declaration.vocabulary.routes
        return HTTPSystem(args.host, declaration.http, name=declaration.name, routes=routes)
    return load_system(args.system, declaration=declaration)


def run(args: argparse.Namespace) -> int:
    _check(args)
    declaration = load_declaration()
    scenarios = load_scenarios(args.scenarios, declaration.vocabulary) if args.scenarios else load_scenarios()
    k = args.k or args.repeat
    short = [s.id for s in scenarios if repeats_of(s, args.repeat) < k]
    if short:
        raise ConfigError(
            f"pass^{k} needs {k} trials of every scenario; {short[0]} has fewer: raise --repeat or its repeat"
        )
    brain, label = choose_brain(
        args.brain or ("own" if args.host else "declared"),
        declaration,
        scenarios,
        seed=args.seed,
        misroute=args.misroute,
    )
    started = time.time()
    with mocked_llm(declaration, brain):
        system = _system(args, declaration)
        trials = asyncio.run(_run(system, scenarios, args))
    truth = _truth(brain)
    record = build_record(
        trials,
        scenarios,
        system=system.name,
        k=k,
        confidence=args.confidence,
        brain=label,
        allow_cache=args.allow_cache,
        repeat=args.repeat,
        started=started,
        scenarios_file=str(args.scenarios or declaration.scenarios_path),
        truth=truth,
    )
    path = record.write(Path(args.reports) / "trials.json")
    print(render(record))
    print(f"trials: {path}")
    return 0


async def _run(
    system: SystemUnderTest, scenarios: Sequence[Scenario], args: argparse.Namespace
) -> list[Trial]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    total = sum(repeats_of(s, args.repeat) for s in scenarios)
    columns = (
        TextColumn("trials"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("trials", total=total, failed=0)
        failed = 0

        def tick(trial: Trial) -> None:
            nonlocal failed
            failed += not trial.passed
            bar.update(task, advance=1, failed=failed)

        try:
            return await run_trials(
                system, scenarios, repeat=args.repeat, allow_cache=args.allow_cache, progress=tick
            )
        finally:
            await system.aclose()


def _truth(brain: Any) -> Any:
    """A noisy brain knows each scenario's true pass rate (given the brain it wraps passes it):
    1 - misroute where its router ran, 1 where none did (a policy escalation, a rejection)."""
    if not isinstance(brain, NoisyBrain):
        return None
    return lambda s: 1 - brain.misroute_for(s.id) if s.id in brain.reached else 1.0


def render(record: TrialsRecord, worst: int = 10) -> str:
    """The run as text: the scenarios that failed a trial (worst first), then the pooled rates."""
    k, level = record.k, f"{100 * record.confidence:g}%"
    o = record.overall
    lines = [
        f"{record.system}: {o.trials} trials of {o.scenarios} scenarios "
        f"({record.brain}; cache {record.cache})"
    ]
    shaky = sorted((s for s in record.scenarios if s.passed < s.n), key=lambda s: s.passed / s.n)
    if shaky:
        lines.append(
            f"{'scenario':<28} {'passed':>7} {'pass@1 [' + level + ']':>22} "
            f"{'pass^' + str(k):>18}  first failure"
        )
    for s in shaky[:worst]:
        at_k = s.pass_k
        known = at_k is not None and at_k.value is not None
        pk = f"{at_k.value:.2f} [{at_k.low:.2f}, {at_k.high:.2f}]" if at_k and known else "–"
        p1 = s.pass_at_1
        first = s.failures[0][:60] if s.failures else ""
        p1_text = f"{p1.value or 0:>9.2f} [{p1.low:.2f}, {p1.high:.2f}]"
        lines.append(f"{s.id:<28} {s.passed:>3}/{s.n:<3} {p1_text} {pk:>18}  {first}")
    if len(shaky) > worst:
        lines.append(f"... and {len(shaky) - worst} more scenarios with a failed trial (all in trials.json)")
    o = record.overall
    lines.append(f"pass@1 {_fmt(o.pass_at_1)}  (pooled, clustered by scenario, {level})")
    if o.pass_k is not None:
        lines.append(
            f"pass^{k} {_fmt(o.pass_k)}  (unbiased C(c,{k})/C(n,{k}), pooled, clustered by scenario)"
        )
    return "\n".join(lines)


def _fmt(i: Any) -> str:
    value = "–" if i.value is None else f"{i.value:.4f}"
    return f"{value} [{i.low:.4f}, {i.high:.4f}] (effective n {i.n_eff:.0f})"
