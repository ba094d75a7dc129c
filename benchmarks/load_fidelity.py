"""Fidelity and overhead of the load tier's numbers, printed (not a test: figures depend on the machine).

    python benchmarks/load_fidelity.py [--users 20] [--seconds 120] [--think 0.4] [--warmup 5]
                                       [--skip-overhead] [--skip-fidelity]

Fidelity: the mock LLM draws the supervisor's latency from a known distribution and answers the
specialist at once (technical scenarios, cache off: exactly one drawn call a request): `fixed`
1,234 ms, then lognormal (median 1,000 ms, sigma 0.2: P95 1,389.5 ms, P99 1,592.4 ms). With the
system's own overhead subtracted, the reported P50/P95/P99 should lie within 2% of the true
quantiles. Beside them, end-to-end over the same requests: our exact figure and Locust's
bucketed one. "drawn" is the quantile of the delays the mock really slept (its generator is
seeded), which separates sampling noise from measurement error. Users think for U(0, --think)
seconds between requests: with none, a fixed delay keeps every user in lockstep, so all their
answers reach the service at the same instant and queue behind one another inside the LLM
call's own timing, where no per-request subtraction can see them (try --think 0).
The first --warmup seconds (users spawning, a cold service) are left out of every figure but
Locust's, which covers the whole run (so "e2e ours" beside it does too).

Overhead: at 50 concurrent users against the `realistic` model (cache off), the end-to-end P95
(client side) minus the P95 of the LLM critical path (the sum of the agents' call times, from the
service's audit log), over the same requests, after a 10 s warm-up (all 50 users start at
once against a cold service: that burst is not "50 concurrent users" in steady state).

Only 127.0.0.1 is used; every run is bounded in time. Reports under reports/bench/load/.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness._config import deep_merge
from harness.load import SLA, LoadProfile, available_profiles
from harness.load._analysis import split_warmup
from harness.load._metrics import llm_path
from harness.load._runner import RunOptions, run_load
from harness.measure import PERCENTILES, percentile, read_samples

REPORTS = Path("reports/bench/load")
NO_CACHE = {"SUPPORT_DESK_CACHE__ENABLED": "false"}
Z = {"p50": 0.0, "p95": 1.6448536269514722, "p99": 2.3263478740408408}
CASES = [
    ("fixed", {"kind": "fixed", "ttft_median_ms": 1234.0}),
    ("lognormal", {"ttft_median_ms": 1000.0, "ttft_sigma": 0.2}),
]
HEADER = (
    f"{'case':<9} {'q':<4} {'true':>7} {'drawn':>7} {'reported':>8} {'vs true':>7} {'vs drawn':>8} "
    f"{'reported 95% CI':>15} | {'e2e ours':>8} {'Locust':>7} {'Locust vs ours':>14}"
)


def _profile(name: str, **fields: Any) -> LoadProfile:
    base = available_profiles()["smoke"]
    raw = deep_merge(
        base, {"description": f"benchmark: {name}", "stages": [], **fields}, whole=frozenset({"mix"})
    )
    return LoadProfile.model_validate({**raw, "name": name})


def _run(profile: LoadProfile) -> dict[str, Any]:
    REPORTS.mkdir(parents=True, exist_ok=True)
    analysis = run_load(RunOptions(profile=profile, sla=SLA(), reports=REPORTS, progress=sys.stderr.isatty()))
    return analysis.document


def _true(known: dict[str, Any]) -> dict[str, float]:
    if known.get("kind") == "fixed":
        return dict.fromkeys(Z, known["ttft_median_ms"])
    return {q: known["ttft_median_ms"] * math.exp(known["ttft_sigma"] * z) for q, z in Z.items()}


def _drawn(known: dict[str, Any], n: int, seed: int = 0) -> np.ndarray:
    """The n delays the mock actually slept: its latency generator is `Random(f"{seed}:latency")`
    and only the supervisor's calls (the one model with a non-zero profile) draw from it."""
    if known.get("kind") == "fixed":
        return np.full(n, known["ttft_median_ms"])
    rng = random.Random(f"{seed}:latency")
    median, sigma = math.log(known["ttft_median_ms"]), known["ttft_sigma"]
    return np.sort([rng.lognormvariate(median, sigma) for _ in range(n)])


def _call_floor_ms(doc: dict[str, Any]) -> float:
    """The fixed cost of one LLM call inside the service (SDK, HTTP, the mock) without a drawn
    delay: the median of the zero-latency specialist's call, in the same run."""
    return float(doc["agents"]["technical_support"]["latency_ms"]["p50"]["value"])


def _err(value: float, truth: float) -> str:
    return f"{100 * (value / truth - 1):+6.2f}%"


def _whole_run_client(doc: dict[str, Any]) -> np.ndarray:
    client = read_samples(Path(doc["run"]["folder"]) / "raw")
    return client.loc[client["kind"].notna(), "ms"].to_numpy()


def _case(name: str, known: dict[str, Any], args: argparse.Namespace) -> None:
    llm = {
        "latency": "zero",
        "models": {"gpt-4o-mini": "known"},
        "profiles": {"known": {**known, "per_token_ms": 0}},
    }
    profile = _profile(
        f"fidelity-{name}", users=args.users, spawn_rate=float(args.users),
        duration_s=args.warmup + args.seconds, warmup_s=args.warmup, wait_s=[0, args.think],
        mix={"technical": 1}, llm=llm, env=NO_CACHE,
    )  # fmt: skip
    doc = _run(profile)
    floor = _call_floor_ms(doc)
    # The supervisor step per request = end-to-end minus everything else the system did (its own
    # per-request overhead, from the audit log); one call's fixed cost is the system's too.
    step = doc["agents"]["supervisor"]["latency_ms"]
    drawn = _drawn(known, step["count"])
    whole, locust = _whole_run_client(doc), doc["locust_bucketed"] or {}
    for q, truth in _true(known).items():
        at = float(drawn[max(0, math.ceil(PERCENTILES[q] * drawn.size) - 1)])
        reported = step[q]["value"] - floor
        low, high = (x - floor for x in step[q]["ci95"])
        ours, bucket = percentile(whole, PERCENTILES[q]), locust.get(q) or math.nan
        print(
            f"{name:<9} {q:<4} {truth:7.1f} {at:7.1f} {reported:8.1f} {_err(reported, truth)} "
            f"{_err(reported, at):>8} {low:7.1f}-{high:<7.1f} | "
            f"{ours:8.1f} {bucket:7.0f} {_err(bucket, ours):>14}"
        )
    print(
        f"{'':<9} n = {step['count']}, one LLM call's fixed cost {floor:.1f} ms; Locust counted "
        f"{locust.get('count', 0):.0f} of {whole.size} requests; lost {doc['requests']['lost']}, "
        f"errors {doc['requests']['failed']}"
    )


def fidelity(args: argparse.Namespace) -> None:
    print(
        f"\nFidelity: {args.users} users, think time U(0, {args.think:g}) s, {args.seconds:.0f} s a case "
        f"after a {args.warmup:g} s warm-up, technical queries, cache off."
    )
    print("true: the profile's quantile. drawn: of the delays the mock slept. reported: the harness's")
    print("percentile of the drawn LLM step (end-to-end minus the system's own per-request overhead and")
    print("one call's fixed cost). Right of |: end-to-end, whole run: ours exact, Locust's bucketed.")
    print(HEADER)
    for name, known in CASES:
        _case(name, known, args)


def speed_index() -> float:
    """Milliseconds of CPU a fixed pure-Python loop takes: this machine's speed at the moment (a
    shared host's varies up to 2x within an hour), to read the absolute figures against."""
    started, total = time.process_time(), 0
    for i in range(2_000_000):
        total += i
    return 1000 * (time.process_time() - started)


def _paired_gap_ci(doc: dict[str, Any], q: float, boot: int = 2000) -> tuple[float, float]:
    """95% bootstrap interval of P_q(end-to-end) - P_q(LLM path), resampling requests in pairs."""
    folder = Path(doc["run"]["folder"])
    path = llm_path(pd.read_csv(folder / "server_agents.csv"))
    steady, _ = split_warmup(read_samples(folder / "raw"), doc["run"]["warmup_s"])
    pairs = steady.set_index("id")[["ms"]].join(path.rename("path"), how="inner").to_numpy()
    rng = np.random.default_rng(0)
    picks = pairs[rng.integers(0, len(pairs), size=(boot, len(pairs)))]
    rank = max(0, math.ceil(q * len(pairs)) - 1)
    gaps = np.sort(picks[:, :, 0], axis=1)[:, rank] - np.sort(picks[:, :, 1], axis=1)[:, rank]
    low, high = np.quantile(gaps, [0.025, 0.975])
    return float(low), float(high)


def overhead(
    users: int, seconds: float, repeats: int, service_workers: int | None, warmup: float = 10.0
) -> None:
    env = NO_CACHE | ({"SUPPORT_DESK_SERVICE_WORKERS": str(service_workers)} if service_workers else {})
    profile = _profile(
        "overhead", users=users, spawn_rate=float(users), duration_s=warmup + seconds, warmup_s=warmup,
        wait_s=[0, 0], llm={"latency": "realistic"}, env=env,
    )  # fmt: skip
    print(
        f"\nOverhead: {users} concurrent users, realistic model, cache off, {seconds:.0f} s after a "
        f"{warmup:g} s warm-up, {repeats} runs, service workers "
        f"{profile.env.get('SUPPORT_DESK_SERVICE_WORKERS', '1')}"
    )
    gaps = []
    for run in range(1, repeats + 1):
        speed = speed_index()
        doc = _run(profile)
        lat = doc["latency_ms"]
        e2e, path, over = lat["client_with_llm"], lat["llm_path"], lat["overhead"]
        print(
            f" run {run}: n = {e2e['count']}, {doc['throughput']['rps_mean']:.1f} req/s, errors "
            f"{doc['requests']['failed']}, lost {doc['requests']['lost']}, speed index {speed:.0f} ms "
            f"(lower is faster)"
        )
        for q in ("p50", "p95", "p99"):
            gap = e2e[q]["value"] - path[q]["value"]
            low, high = _paired_gap_ci(doc, PERCENTILES[q])
            print(
                f"  {q}: end-to-end {e2e[q]['value']:8.1f} ms   LLM critical path {path[q]['value']:8.1f} ms"
                f"   gap {gap:6.1f} ms (95% CI {low:5.1f}-{high:5.1f})   per-request overhead "
                f"{q} {over[q]['value']:6.1f} ms"
            )
            if q == "p95":
                gaps.append(gap)
        inside, around = lat["overhead_service"], lat["overhead_http"]
        print(
            f"  per-request overhead p50 / p95: inside the service {inside['p50']['value']:.1f} / "
            f"{inside['p95']['value']:.1f} ms (graph steps, guards, logging), around it "
            f"{around['p50']['value']:.1f} / {around['p95']['value']:.1f} ms (Locust, network, web server)"
        )
    print(f" P95 gap, median of {repeats} runs: {float(np.median(gaps)):.1f} ms (target <= 15 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20, help="users for the fidelity runs")
    parser.add_argument("--seconds", type=float, default=120, help="seconds per fidelity run")
    parser.add_argument("--think", type=float, default=0.4, help="max think time of the fidelity runs")
    parser.add_argument("--warmup", type=float, default=5, help="warm-up of the fidelity runs (s)")
    parser.add_argument("--overhead-seconds", type=float, default=60)
    parser.add_argument("--repeats", type=int, default=3, help="overhead runs (the median is quoted)")
    parser.add_argument(
        "--service-workers", type=int, help="service processes in the overhead runs (default: the profile's)"
    )
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--skip-fidelity", action="store_true")
    args = parser.parse_args()
    if not args.skip_fidelity:
        fidelity(args)
    if not args.skip_overhead:
        overhead(50, args.overhead_seconds, args.repeats, args.service_workers)


if __name__ == "__main__":
    main()
