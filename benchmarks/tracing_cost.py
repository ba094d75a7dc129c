"""What tracing costs a system: service CPU per request and the client-side P95, export on vs off.

    python benchmarks/tracing_cost.py [--pyproject examples/handoff_desk/pyproject.toml]
                                      [--clients 8] [--block 100] [--blocks 6]

Two stacks of the declared system side by side, each with a zero-latency mock LLM (so what is
measured is the system, not the LLM): one with `traces = true` (the stack's OTLP receiver, the
standard OTEL_* variables: the system exports every span), one without (its OTel code stays
off). Blocks of `--block` requests go to each in turn, A/B alternating, so that the machine's
drift (up to 2x within minutes here) falls on both alike. Per block: the service's CPU seconds
(its process tree, psutil) per request, and the client round trips. Printed: per arm, the
median over blocks of CPU ms a request, P50 and P95 of the round trips pooled over blocks, and
the ratios on/off; plus how many spans the traced arm exported per request (the receiver's
file), which shows the export was really on. The receiver's own CPU is not counted: it is the
collector's cost, not the system's. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.scenarios import load_scenarios
from harness.stack import Stack
from harness.sut import HTTPSystem, SystemDeclaration, Turn, load_declaration
from harness.traces import read_spans

#: The reference's own limits would throttle a benchmark that only wants its CPU.
REFERENCE_ENV = {
    "SUPPORT_DESK_CACHE__ENABLED": "false",
    "SUPPORT_DESK_RATE_LIMIT__REQUESTS_PER_MINUTE": "1e9",
    "SUPPORT_DESK_SERVICE_REQUESTS_PER_SECOND": "1e9",
    "SUPPORT_DESK_SERVICE_BURST": "1000000000",
    "SUPPORT_DESK_SERVICE_CHAOS_CONTROL": "false",
}


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of the process and its children so far."""
    proc = psutil.Process(pid)
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


async def block(system: HTTPSystem, turns: list[Turn], clients: int, offset: int) -> list[float]:
    queue = iter(range(len(turns)))
    latencies: list[float] = []

    async def worker() -> None:
        for i in queue:
            turn = turns[i].model_copy(update={"request_id": f"bench-{offset + i}", "no_cache": True})
            outcome = await system.ask(turn)
            if outcome.status != "ok":
                raise SystemExit(f"request failed, the figures would mean nothing: {outcome.error}")
            latencies.append(outcome.latency_ms)

    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies


def service_pid(stack: Stack) -> int:
    part = next(p for p in stack.processes if p.name == stack.declaration.name)
    assert part.pid is not None
    return part.pid


def arm(declaration: SystemDeclaration, traced: bool, folder: str, extra: dict[str, str]) -> Stack:
    assert declaration.serve is not None
    serve = declaration.serve.model_copy(update={"traces": traced})
    env = REFERENCE_ENV if "support_desk" in " ".join(declaration.serve.command) else {}
    env = {**env, **extra}
    return Stack(
        folder, proxy=False, llm_args=["--latency", "zero"], system_env=env,
        declaration=declaration.model_copy(update={"serve": serve}),
    )  # fmt: skip


async def measure(stacks: dict[str, Stack], turns: list[Turn], args: argparse.Namespace) -> dict[str, dict]:
    decl = next(iter(stacks.values())).declaration
    systems = {
        name: HTTPSystem(s.service_url, decl.http, routes=decl.vocabulary.routes, timeout_s=30)
        for name, s in stacks.items()
    }
    figures: dict[str, dict] = {name: {"cpu_ms": [], "lat": []} for name in stacks}
    sent = 0
    for system in systems.values():  # warm-up: imports, JIT caches, first connections
        await block(system, turns[: args.clients * 4], args.clients, 10_000_000 + sent)
        sent += args.clients * 4
    for b in range(args.blocks):
        order = list(stacks) if b % 2 == 0 else list(reversed(stacks))
        for name in order:
            work = [turns[(sent + i) % len(turns)] for i in range(args.block)]
            before = cpu_s(service_pid(stacks[name]))
            lat = await block(systems[name], work, args.clients, sent)
            used = cpu_s(service_pid(stacks[name])) - before
            sent += args.block
            figures[name]["cpu_ms"].append(1000 * used / args.block)
            figures[name]["lat"] += lat
            print(f"block {b + 1} {name:>3}: {1000 * used / args.block:6.2f} ms CPU/request, "
                  f"P95 {pct(lat, 0.95):7.1f} ms", flush=True)  # fmt: skip
    for system in systems.values():
        await system.aclose()
    return figures


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, int(q * len(ordered) + 0.999999))) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyproject", default="pyproject.toml")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--block", type=int, default=100)
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE",
        help="for both arms' system, e.g. OPENINFERENCE_HIDE_INPUTS=true",
    )  # fmt: skip
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.env)
    declaration = load_declaration(args.pyproject)
    scenarios = load_scenarios(declaration.scenarios_path, declaration.vocabulary)
    turns = [s.turn() for s in scenarios if not s.expected.rejected]
    stacks = {"off": arm(declaration, False, "reports/bench/tracing-off", extra),
              "on": arm(declaration, True, "reports/bench/tracing-on", extra)}  # fmt: skip
    started = time.monotonic()
    try:
        for stack in stacks.values():
            stack.start()
        figures = asyncio.run(measure(stacks, turns, args))
        time.sleep(1.0)  # the last batch of spans
        spans_file = stacks["on"].spans
        spans = len(list(read_spans([spans_file]))) if spans_file and spans_file.exists() else 0
    finally:
        for stack in stacks.values():
            stack.stop()
    n = args.blocks * args.block + args.clients * 4
    with_env = f" with {' '.join(args.env)}" if args.env else ""
    took = time.monotonic() - started
    print(f"\n{declaration.name}{with_env}: {args.blocks} blocks of {args.block} requests per arm, "
          f"A/B alternating, {args.clients} clients, zero-latency LLM ({took:.0f} s)")  # fmt: skip
    rows = {}
    for name, f in figures.items():
        rows[name] = (statistics.median(f["cpu_ms"]), pct(f["lat"], 0.5), pct(f["lat"], 0.95))
        print(f"  export {name:>3}: CPU {rows[name][0]:6.2f} ms/request (median of blocks), "
              f"P50 {rows[name][1]:7.1f} ms, P95 {rows[name][2]:7.1f} ms")  # fmt: skip
    on, off = rows["on"], rows["off"]
    print(f"  on/off: CPU x{on[0] / off[0]:.2f} (+{on[0] - off[0]:.2f} ms), P50 x{on[1] / off[1]:.2f}, "
          f"P95 x{on[2] / off[2]:.2f} (+{on[2] - off[2]:.1f} ms)")  # fmt: skip
    print(f"  spans received from the traced arm: {spans} ({spans / n:.1f} a request)")


if __name__ == "__main__":
    main()
