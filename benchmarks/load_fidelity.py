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
import sys
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.load import SLA, LoadProfile, available_profiles  # noqa: E402
from harness.load._pyproject import deep_merge  # noqa: E402
from harness.load._runner import RunOptions, run_load  # noqa: E402

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


def _overhead_ms(doc: dict[str, Any]) -> float:
    """Median per request of what is not the drawn latency: client - LLM path + the undrawn calls."""
    folder = Path(doc["run"]["folder"])
    client = pd.read_csv(folder / "samples.csv").set_index("id")["ms"]
    agents = pd.read_csv(folder / "server_agents.csv")
    path = agents.groupby("request_id")["latency_ms"].sum()
    undrawn = agents[agents["agent"] != "supervisor"].groupby("request_id")["latency_ms"].sum()
    # The supervisor's call has the same fixed cost (SDK, HTTP, the mock) as the undrawn one.
    both = pd.concat([client, path, undrawn], axis=1, keys=["client", "path", "undrawn"]).dropna()
    return float((both["client"] - both["path"] + 2 * both["undrawn"]).median())


def fidelity(users: int, seconds: float) -> None:
    cases = [
        ("fixed", {"kind": "fixed", "ttft_median_ms": 1234.0}, dict.fromkeys(Z, 1234.0)),
        (
            "lognormal",
            {"ttft_median_ms": 1000.0, "ttft_sigma": 0.2},
            {k: 1000.0 * math.exp(0.2 * z) for k, z in Z.items()},
        ),
    ]
    print(
        f"\nFidelity: {users} users, no think time, {seconds:.0f} s a case; true quantiles of the supervisor's draw"
    )
    print(
        f"{'case':<10} {'q':<4} {'true':>8} {'ours':>9} {'err':>7} {'ours 95% CI':>21} {'Locust':>8} {'err':>7}"
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
        overhead = _overhead_ms(doc)
        client, locust = doc["latency_ms"]["client"], doc["locust_bucketed"] or {}
        for q, truth in true.items():
            ours = client[q]["value"] - overhead
            low, high = (x - overhead for x in client[q]["ci95"])
            bucket = (locust.get(q) or math.nan) - overhead
            print(
                f"{name:<10} {q:<4} {truth:8.1f} {ours:9.1f} {100 * (ours / truth - 1):+6.2f}% "
                f"{low:9.1f} – {high:9.1f} {bucket:8.1f} {100 * (bucket / truth - 1):+6.2f}%"
            )
        print(
            f"{'':<10} n = {client['count']}, overhead subtracted {overhead:.1f} ms (median), "
            f"lost {doc['requests']['lost']}, errors {doc['requests']['failed']}"
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
        f"\nOverhead: {users} concurrent users, realistic model, cache off, {seconds:.0f} s, n = {e2e['count']}"
    )
    for q in ("p50", "p95", "p99"):
        gap = e2e[q]["value"] - path[q]["value"]
        print(
            f"  {q}: end-to-end {e2e[q]['value']:8.1f} ms   LLM critical path {path[q]['value']:8.1f} ms   "
            f"gap {gap:6.1f} ms   (per-request overhead {q} {over[q]['value']:6.1f} ms)"
        )
    print(
        f"  throughput {doc['throughput']['rps_mean']:.1f} req/s, errors {doc['requests']['failed']}, lost {doc['requests']['lost']}"
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
