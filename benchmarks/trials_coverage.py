"""Do the trial intervals cover the truth at their nominal rate? On the noisy brain, whose true
pass rates are known, over many seeds.

    python benchmarks/trials_coverage.py [--seeds 300] [--scenarios 40] [--repeat 4] [--reference]

Each seed draws every scenario's true pass rate from a population (a third always pass, the rest
uniform in [0.6, 1]), runs every scenario `--repeat` times against a fast in-process system
(a CallableSystem answering by the noisy brain's misroute decision, so a trial passes with
exactly the scenario's true rate), and checks whether each 95% interval holds its truth:

    per-scenario Wilson (pass@1)     truth: that scenario's rate
    pooled pass@1, pass^k            truth: the population's mean (the estimand of a cluster-
                                     robust interval), and the mean of this seed's scenarios
Then prints one example run's table. `--reference` also runs `harness trials` on the reference
system with the noisy brain (in process, about 15 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.scenarios import NoisyBrain, Scenario
from harness.sut import CallableSystem
from harness.trials import build_record, pass_hat_k, per_scenario, pooled, run_trials
from harness.trials._cli import render

ROOT = Path(__file__).resolve().parents[1]
ROUTES = ("billing", "tech", "general")


def population(rng: random.Random) -> float:
    return 1.0 if rng.random() < 1 / 3 else rng.uniform(0.6, 1.0)


def population_mean(k: int) -> float:
    """E[p^k] for the population above: 1/3 + 2/3 * mean of p^k over U(0.6, 1)."""
    return 1 / 3 + 2 / 3 * (1 - 0.6 ** (k + 1)) / ((k + 1) * 0.4)


def scenarios(m: int) -> list[Scenario]:
    return [
        Scenario(
            id=f"s{i}",
            query=f"question {i}",
            category="c",
            expected={"route": ROUTES[i % 3], "escalated": False},
        )  # type: ignore[arg-type]
        for i in range(m)
    ]


def system_over(brain: NoisyBrain, by_query: dict[str, Scenario]) -> CallableSystem:
    def answer(query: str) -> dict[str, Any]:
        s = by_query[query]
        wrong = brain.draw(s.id)
        route = next(r for r in ROUTES if r != s.expected.route) if wrong else s.expected.route
        return {"route": route, "answer": "ok"}

    return CallableSystem(answer, name="noisy callable")


def one_seed(seed: int, m: int, n: int, k: int) -> tuple[Any, dict[str, float]]:
    rng = random.Random(seed)
    items = scenarios(m)
    truth = {s.id: population(rng) for s in items}
    brain = NoisyBrain(lambda *a, **kw: "", items, misroute={i: 1 - p for i, p in truth.items()}, seed=seed)
    system = system_over(brain, {s.query: s for s in items})
    trials = asyncio.run(run_trials(system, items, repeat=n))
    record = build_record(trials, items, system=system.name, k=k, confidence=0.95, brain="noisy callable",
                          allow_cache=False, repeat=n, started=0.0, truth=lambda s: truth[s.id])  # fmt: skip
    return record, truth


def coverage(seeds: int, m: int, n: int, k: int) -> None:
    hits = dict.fromkeys(("wilson", "at1_pop", "at1_set", "atk_pop", "atk_set"), 0)
    widths = {"at1": 0.0, "atk": 0.0}
    per, example = 0, None
    for seed in range(seeds):
        record, truth = one_seed(seed, m, n, k)
        example = example or record
        counts = [(float(s.n), float(s.passed)) for s in record.scenarios]
        for s in record.scenarios:
            e = per_scenario(s.n, s.passed)
            hits["wilson"] += e.low <= truth[s.id] <= e.high
            per += 1
        at1, atk = pooled(counts, 1), pooled(counts, k)
        set_1 = sum(truth.values()) / m
        set_k = sum(p**k for p in truth.values()) / m
        hits["at1_pop"] += at1.low <= population_mean(1) <= at1.high
        hits["at1_set"] += at1.low <= set_1 <= at1.high
        hits["atk_pop"] += atk.low <= population_mean(k) <= atk.high
        hits["atk_set"] += atk.low <= set_k <= atk.high
        widths["at1"] += at1.high - at1.low
        widths["atk"] += atk.high - atk.low
    print(f"coverage of 95% intervals over {seeds} seeds, {m} scenarios x {n} trials, pass^{k}:")
    print(f"  per-scenario Wilson (pass@1)           {hits['wilson'] / per:7.2%}  ({per} intervals)")
    width = {name: f"(mean width {w / seeds:.3f})" for name, w in widths.items()}
    print(f"  pooled pass@1, population mean          {hits['at1_pop'] / seeds:7.2%}  {width['at1']}")
    print(f"  pooled pass@1, this seed's scenarios    {hits['at1_set'] / seeds:7.2%}")
    print(f"  pooled pass^{k}, population mean          {hits['atk_pop'] / seeds:7.2%}  {width['atk']}")
    print(f"  pooled pass^{k}, this seed's scenarios    {hits['atk_set'] / seeds:7.2%}")
    naive = sum(
        (lambda lo_hi: lo_hi[0] <= population_mean(1) <= lo_hi[1])(_naive(one_seed(s, m, n, k)[0]))
        for s in range(min(seeds, 200))
    )
    share = naive / min(seeds, 200)
    print(f"  (for contrast: Wilson on all trials as if independent, population mean: {share:.2%})")
    assert example is not None
    print("\nexample run (seed 0):")
    print(render(example))


def _naive(record: Any) -> tuple[float, float]:
    from harness.trials import wilson

    return wilson(record.overall.passed, record.overall.trials)


def reference() -> None:
    env = os.environ | {"SUPPORT_DESK_RATE_LIMIT__REQUESTS_PER_MINUTE": "1000000000"}
    cmd = [sys.executable, "-m", "harness", "trials", "--repeat", "4", "--brain", "noisy", "--seed", "1",
           "--misroute", "0.1", "--reports", str(ROOT / "reports" / "bench" / "trials")]  # fmt: skip
    print("\n$ harness " + " ".join(cmd[3:]))
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=300)
    parser.add_argument("--scenarios", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--reference", action="store_true")
    args = parser.parse_args()
    assert pass_hat_k(4, 4, 4) == 1.0
    coverage(args.seeds, args.scenarios, args.repeat, args.k)
    if args.reference:
        reference()


if __name__ == "__main__":
    main()
