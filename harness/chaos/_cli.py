"""`harness chaos`: run the experiment catalogue with a live display and write reports/chaos.json.

    harness chaos --suite nightly                 # every experiment, full phases, own stack
    harness chaos --suite short --bite            # short phases; each also with its switches off
    harness chaos --stack reports/stack -e net-latency   # against a running `harness stack up`

Ctrl-C and SIGTERM stop the run the same way: the experiment in progress rolls its fault back,
the report is written with what finished, an owned stack is stopped, and the exit code is
130 or 143.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from .._exceptions import HarnessError
from ..measure import ExperimentResult
from ..measure._chaos_report import StackUsed
from ..sut import SystemDeclaration, load_declaration
from ._catalogue import check_against, load_catalogue
from ._display import Display
from ._faults import Targets
from ._journaled import guard_attached
from ._report import build_chaos_report, summary_line, write_report
from ._runner import not_applicable, run_experiment
from ._schema import Experiment
from ._stacks import OWNED_TIMEOUT_S, attach, owned_stack, stack_env, targets_of

__all__ = ["add_arguments", "run"]

_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--suite",
        choices=["nightly", "short"],
        default="nightly",
        help="phase lengths: nightly (each file's `phases`) or short (its `short`)",
    )
    parser.add_argument(
        "-e",
        "--experiment",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this experiment (repeatable; default: the whole catalogue)",
    )
    parser.add_argument(
        "--catalogue",
        metavar="DIR",
        help="a folder of *.yaml experiments (default: the declared one, else the generic catalogue)",
    )
    parser.add_argument(
        "--stack",
        metavar="STACK_JSON",
        help="attach to a running stack (the stack.json of `harness stack up`) "
        "instead of starting a chaos-tuned one",
    )
    parser.add_argument(
        "--bite",
        action="store_true",
        help="also run each experiment with its `resilience_off` switches off (one "
        "extra stack per set) and report whether its hypothesis then fails",
    )
    parser.add_argument("--reports", default="reports", help="output folder (default reports)")
    parser.add_argument("--output", metavar="FILE", help="the report (default REPORTS/chaos.json)")
    parser.add_argument(
        "--request-timeout",
        type=float,
        metavar="S",
        help=f"client timeout per request (default {OWNED_TIMEOUT_S:g} s with an own stack, 40 s attached)",
    )
    parser.add_argument(
        "--pyproject", metavar="FILE", help="pyproject.toml declaring the system (default: nearest)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no live display, only the summary")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the selected experiments; 0 when every hypothesis held (and, with --bite, every
    experiment bit), 1 otherwise, 2 for a bad file or option, 130/143 when interrupted."""
    started = time.time()
    try:
        declaration = load_declaration(args.pyproject)
        catalogue = args.catalogue or declaration.experiments_path
        experiments = load_catalogue(catalogue, args.experiment)
        if args.bite and args.stack:
            raise HarnessError("--bite starts its own stacks (one per set of switches): drop --stack")
        skipped = check_against(experiments, declaration)
        plan = _plan([e for e in experiments if e.name not in skipped], args.bite)
        output = _check_before_work(args, declaration)
    except HarnessError as exc:
        print(f"harness chaos: {exc}", file=sys.stderr)
        return 2
    results: list[ExperimentResult] = [
        not_applicable(e, skipped[e.name], args.suite) for e in experiments if e.name in skipped
    ]
    stacks: list[StackUsed] = []
    stopped: int | None = None
    display = Display(sum(len(group) for _, group in plan), quiet=args.quiet)
    try:
        with display:
            for switches, group in plan:
                stopped = _run_group(args, declaration, switches, group, results, stacks, display)
                if stopped is not None:
                    break
    except KeyboardInterrupt:  # while a stack was starting: its own handler has stopped it
        stopped = signal.SIGINT
    except SystemExit as exc:
        stopped = signal.SIGTERM if exc.code == 128 + signal.SIGTERM else signal.SIGINT
    except HarnessError as exc:
        print(f"harness chaos: {exc}", file=sys.stderr)
        stopped = -1
    finally:
        name = None if stopped in (None, -1) else signal.Signals(stopped).name
        doc = build_chaos_report(results, suite=args.suite, started=started, stacks=stacks, interrupted=name)
        ran = any(r.verdict != "not_applicable" for r in results)
        if ran or not plan[0][1]:  # a run with results, or one with nothing it could run
            print(summary_line(doc))
            print(f"report: {write_report(doc, output)}")
        else:  # nothing ran: an earlier run's report is worth more than an empty one
            print(f"harness chaos: no experiment ran; {output} left as it was", file=sys.stderr)
    if stopped is not None:
        return 1 if stopped == -1 else _EXIT.get(signal.Signals(stopped), 1)
    return 0 if doc.passed() else 1


def _check_before_work(args: argparse.Namespace, declaration: SystemDeclaration) -> Path:
    """Everything that can be checked before a stack starts; the report's path, writable."""
    if args.request_timeout is not None and args.request_timeout <= 0:
        raise HarnessError(f"--request-timeout {args.request_timeout}: give seconds above 0, e.g. 10")
    if args.stack:
        attach(args.stack, declaration)  # a missing or broken record: said now, not after a run
        guard_attached(args.stack, declaration)  # hook: no faults it did not set (_journaled.py)
    elif declaration.serve is None:
        raise HarnessError(
            "a chaos run needs the system running: declare [tool.harness.system.serve] so the stack "
            "starts it, or attach to a running stack with --stack reports/stack/stack.json"
        )
    output = Path(args.output or Path(args.reports) / "chaos.json")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=output.parent, prefix=".writable-"):
            pass
    except OSError as exc:
        raise HarnessError(
            f"{output.parent}: cannot write the report there ({exc.strerror}); give --reports"
        ) from None
    return output


def _plan(experiments: list[Experiment], bite: bool) -> list[tuple[tuple[str, ...], list[Experiment]]]:
    """(defences off, experiments) per stack: all of them with every defence on first, then, with
    `bite`, each set of defences with the experiments that name it."""
    plan: list[tuple[tuple[str, ...], list[Experiment]]] = [((), experiments)]
    if bite:
        sets = sorted({tuple(e.resilience_off) for e in experiments if e.resilience_off})
        plan += [(s, [e for e in experiments if tuple(e.resilience_off) == s]) for s in sets]
    return plan


def _run_group(
    args: argparse.Namespace,
    declaration: SystemDeclaration,
    switches: tuple[str, ...],
    group: list[Experiment],
    results: list[ExperimentResult],
    stacks: list[StackUsed],
    display: Display,
) -> int | None:
    """Run `group` on one stack (started here unless attached); the signal that stopped it, if any."""
    if args.stack:
        targets = attach(args.stack, declaration)
        stacks.append(StackUsed(owned=False, record=str(args.stack), service_url=targets.service_url))
        return asyncio.run(_experiments(group, targets, args, switches, results, display, timeout_s=40.0))
    label = "on" if not switches else "off-" + "-".join(switches)
    stack = owned_stack(Path(args.reports) / "chaos" / label, switches, declaration=declaration)
    display.note(f"starting a chaos-tuned stack ({'resilience on' if not switches else label})...")
    stack.start()
    try:
        stacks.append(
            StackUsed(
                owned=True,
                switches_off=list(switches),
                env=stack_env(declaration, switches),
                service_url=stack.service_url,
                logs=str(stack.dir),
            )
        )
        return asyncio.run(
            _experiments(
                group, targets_of(stack), args, switches, results, display, timeout_s=OWNED_TIMEOUT_S
            )
        )
    finally:
        stack.stop()


async def _experiments(
    group: Iterable[Experiment],
    targets: Targets,
    args: argparse.Namespace,
    switches: tuple[str, ...],
    results: list[ExperimentResult],
    display: Display,
    *,
    timeout_s: float,
) -> int | None:
    """Run each experiment in turn; SIGINT and SIGTERM cancel the one in progress, whose
    `finally` rolls its fault back. Returns the signal that stopped the run, if one did."""
    loop, me = asyncio.get_running_loop(), asyncio.current_task()
    assert me is not None
    got: list[int] = []

    def on_signal(signum: int) -> None:
        got.append(signum)
        me.cancel()

    for sig in _EXIT:
        loop.add_signal_handler(sig, on_signal, sig)
    ticker = asyncio.create_task(_tick(display))
    done = len(results)
    try:
        for exp in group:
            done = len(results)
            display.start(exp.name, "on" if not switches else "off", sum(exp.phases_for(args.suite)))
            result = await run_experiment(
                exp,
                targets,
                suite=args.suite,
                timeout_s=args.request_timeout or timeout_s,
                label="on" if not switches else "off",
                switches_off=list(switches),
                progress=display.phase,
                sink=results,
            )
            display.finish(result)
    except asyncio.CancelledError:
        if not got:
            raise
        me.uncancel()
        if len(results) > done:  # the interrupted experiment's own (partial) result
            display.finish(results[-1])
    finally:
        ticker.cancel()
        for sig in _EXIT:
            loop.remove_signal_handler(sig)
    return got[0] if got else None


async def _tick(display: Display) -> None:
    for _ in range(10**7):  # bounded: about 23 days of ticks
        display.tick()
        await asyncio.sleep(0.2)
