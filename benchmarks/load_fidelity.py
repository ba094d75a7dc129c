"""Fidelity and overhead of the load tier's numbers, printed (not a test: figures depend on the machine).

    python benchmarks/load_fidelity.py [--users 40] [--seconds 120] [--skip-overhead]

Fidelity: the mock LLM draws the supervisor's latency from a known distribution and answers the
specialist at once (every request: technical scenarios, cache off, so exactly one drawn call):
`fixed` 1,234 ms, then lognormal (median 1,000 ms, sigma 0.2: P95 1,389 ms, P99 1,592 ms). With
the system's own overhead subtracted (its median: client - LLM path + the undrawn calls, from the
audit log), our P50/P95/P99 should lie within 2% of the true quantiles; Locust's bucketed figures
(the same requests) are shown beside them.

Overhead: at 50 concurrent users against the `realistic` model (cache off), the end-to-end P95
(client side) minus the P95 of the LLM critical path (the sum of the agents' call times, from the
service's audit log), over the same requests.

Only 127.0.0.1 is used; every run is bounded in time. Reports under reports/bench/load/.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.load import SLA, LoadProfile, available_profiles
from harness.load._pyproject import deep_merge
from harness.load._runner import RunOptions, run_load
from harness.load._stats import PERCENTILES

REPORTS = Path("reports/bench/load")
NO_CACHE = {"HARNESS_CACHE__ENABLED": "false"}
Z = {"p50": 0.0, "p95": 1.6448536269514722, "p99": 2.3263478740408408}


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


def _median_overhead(doc: dict[str, Any]) -> float:
    """Median per request of everything but the supervisor's drawn call: client - supervisor call."""
    folder = Path(doc["run"]["folder"])
    client = pd.read_csv(folder / "samples.csv").set_index("id")["ms"]
    agents = pd.read_csv(folder / "server_agents.csv")
    supervisor = agents[agents["agent"] == "supervisor"].set_index("request_id")["latency_ms"]
    return float((client - supervisor).dropna().median())


def _drawn(known: dict[str, Any], n: int, seed: int = 0) -> list[float]:
    """The n delays the mock actually slept: its latency generator is `Random(f"{seed}:latency")`
    and only the supervisor's calls (the one model with a non-zero profile) draw from it."""
    if known.get("kind") == "fixed":
        return [known["ttft_median_ms"]] * n
    rng = random.Random(f"{seed}:latency")
    return [rng.lognormvariate(math.log(known["ttft_median_ms"]), known["ttft_sigma"]) for _ in range(n)]


def _row(name: str, q: str, truth: float, drawn: float, ours: dict[str, Any], bucket: float) -> str:
    low, high = ours["ci95"]
    value = ours["value"]
    return (
        f"{name:<10} {q:<4} {truth:8.1f} {drawn:8.1f} {value:9.1f} {_err(value, truth)} {_err(value, drawn)} "
        f"{low:8.1f}-{high:<8.1f} {bucket:8.1f} {_err(bucket, truth)}"
    )


def _err(value: float, truth: float) -> str:
    return f"{100 * (value / truth - 1):+6.2f}%"


def fidelity(users: int, seconds: float) -> None:
    cases = [
        ("fixed", {"kind": "fixed", "ttft_median_ms": 1234.0}, dict.fromkeys(Z, 1234.0)),
        (
            "lognormal",
            {"ttft_median_ms": 1000.0, "ttft_sigma": 0.2},
            {k: 1000.0 * math.exp(0.2 * z) for k, z in Z.items()},
        ),
    ]
    print(f"\nFidelity: {users} users, no think time, {seconds:.0f} s a case, technical queries, cache off.")
    print("true: the profile's quantile; drawn: of the delays the mock slept; reported: the supervisor")
    print("step's P (end-to-end minus the system's own overhead, per request, from the audit log);")
    print("Locust: its bucketed end-to-end P minus the median overhead.")
    print(
        f"{'case':<10} {'q':<4} {'true':>8} {'drawn':>8} {'reported':>9} {'vs true':>7} {'vs drawn':>7} "
        f"{'reported 95% CI':>17} {'Locust':>8} {'vs true':>7}"
    )
    for name, known, true in cases:
        llm = {
            "latency": "zero",
            "models": {"gpt-4o-mini": "known"},
            "profiles": {"known": {**known, "per_token_ms": 0}},
        }
        profile = _profile(
            f"fidelity-{name}", users=users, spawn_rate=float(users), duration_s=seconds, wait_s=[0, 0],
            mix={"technical": 1}, llm=llm, env=NO_CACHE,
        )  # fmt: skip
        doc = _run(profile)
        overhead = _median_overhead(doc)
        reported = doc["agents"]["supervisor"]["latency_ms"]
        drawn = np.sort(_drawn(known, reported["count"]))
        locust = doc["locust_bucketed"] or {}
        for q, truth in true.items():
            at = drawn[max(0, math.ceil(PERCENTILES[q] * drawn.size) - 1)]
            print(_row(name, q, truth, float(at), reported[q], (locust.get(q) or math.nan) - overhead))
        client = doc["latency_ms"]["client"]
        print(
            f"{'':<10} n = {reported['count']}; end-to-end P50/P95/P99 "
            f"{client['p50']['value']:.0f}/{client['p95']['value']:.0f}/{client['p99']['value']:.0f} ms, "
            f"median overhead {overhead:.1f} ms; lost {doc['requests']['lost']}, "
            f"errors {doc['requests']['failed']}"
        )


def overhead(users: int, seconds: float) -> None:
    profile = _profile(
        "overhead", users=users, spawn_rate=float(users), duration_s=seconds, wait_s=[0, 0],
        llm={"latency": "realistic"}, env=NO_CACHE,
    )  # fmt: skip
    doc = _run(profile)
    lat = doc["latency_ms"]
    e2e, path, over = lat["client_with_llm"], lat["llm_path"], lat["overhead"]
    print(
        f"\nOverhead: {users} concurrent users, realistic model, cache off, {seconds:.0f} s, "
        f"n = {e2e['count']}"
    )
    for q in ("p50", "p95", "p99"):
        gap = e2e[q]["value"] - path[q]["value"]
        print(
            f"  {q}: end-to-end {e2e[q]['value']:8.1f} ms   LLM critical path {path[q]['value']:8.1f} ms   "
            f"gap {gap:6.1f} ms   (per-request overhead {q} {over[q]['value']:6.1f} ms)"
        )
    print(
        f"  throughput {doc['throughput']['rps_mean']:.1f} req/s, errors {doc['requests']['failed']}, "
        f"lost {doc['requests']['lost']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40, help="users for the fidelity runs")
    parser.add_argument("--seconds", type=float, default=120, help="seconds per fidelity run")
    parser.add_argument("--overhead-seconds", type=float, default=60)
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--skip-fidelity", action="store_true")
    args = parser.parse_args()
    if not args.skip_fidelity:
        fidelity(args.users, args.seconds)
    if not args.skip_overhead:
        overhead(50, args.overhead_seconds)


if __name__ == "__main__":
    main()
