"""Capacity of the whole stack on this machine, printed (not a test: figures depend on the machine).

    python benchmarks/load_capacity.py [--profile ramp] [--workers 0] [--no-cache] [--service-workers N]

Runs the `ramp` profile (zero-latency mock LLM, no think time, users doubling every 20 s: 1, 2,
... 64) against a fresh stack, then prints one row per stage (measured after the stage settles):
users, requests/s, P50/P95/P99, error rate; the highest throughput sustained without errors
(the target is 200 requests/s); and the knee, the first stage whose P95 is at least double the
first stage's. Locust, the mock LLM and the service share the machine's cores, as they do in CI.

The service runs as the profile says (two workers, its response cache on, as shipped): the ramp
posts the 230 labelled scenarios over and over, so most requests are cache hits that never reach
the LLM. `--no-cache` makes every request call the LLM twice, which is the service's CPU-bound
case: 210-300 requests/s on this machine with the service's LLM calls on aiohttp (its default),
about 157 with `SUPPORT_DESK_LLM_HTTP=httpx` (1.8 ms of CPU a call instead of 0.3).
`--service-workers N` compares deployments.

Only 127.0.0.1 is used; the run is bounded (140 s of load). Reports under reports/bench/load/.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.load import SLA, load_profile
from harness.load._runner import RunOptions, run_load

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_fidelity import speed_index

REPORTS = Path("reports/bench/load")
TARGET_RPS = 200.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="ramp", help="a staged profile (default ramp)")
    parser.add_argument("--workers", type=int, default=0, help="Locust workers (0: one process)")
    parser.add_argument("--no-cache", action="store_true", help="turn the service's response cache off")
    parser.add_argument(
        "--service-workers", type=int, help="reference service processes (default: the profile's)"
    )
    args = parser.parse_args()
    overrides: dict[str, object] = {"workers": args.workers}
    env = {"SUPPORT_DESK_CACHE__ENABLED": "false"} if args.no_cache else {}
    if args.service_workers:
        env["SUPPORT_DESK_SERVICE_WORKERS"] = str(args.service_workers)
    overrides["env"] = env
    profile = load_profile(args.profile, overrides=overrides)
    REPORTS.mkdir(parents=True, exist_ok=True)
    speed = speed_index()
    service_workers = profile.env.get("SUPPORT_DESK_SERVICE_WORKERS", "1")
    doc = run_load(
        RunOptions(profile=profile, sla=SLA(), reports=REPORTS, progress=sys.stderr.isatty())
    ).document
    stages = doc["stages"] or {"stages": [], "knee": None}
    print(
        f"\nCapacity: profile {profile.name}, {os.cpu_count()} cores, LLM {profile.llm.latency}, "
        f"Locust workers {profile.workers}, service workers {service_workers}, "
        f"cache {'off' if args.no_cache else 'on'} "
        f"(hit rate {100 * (doc['rates']['cache_hit']['value'] or 0):.0f}%), speed index {speed:.0f} ms"
    )
    print(
        f"{'users':>6} {'req/s':>8} {'P50 ms':>8} {'P95 ms':>8} {'P99 ms':>8} {'errors':>7} {'requests':>9}"
    )
    for s in stages["stages"]:
        print(
            f"{s['users']:>6} {s['rps'] or 0:8.1f} {s['p50_ms'] or 0:8.1f} {s['p95_ms'] or 0:8.1f} "
            f"{s['p99_ms'] or 0:8.1f} {100 * (s['error_rate'] or 0):6.2f}% {s['requests']:>9}"
        )
    clean = [s["rps"] for s in stages["stages"] if s["rps"] and not s["error_rate"]]
    best = max(clean, default=0.0)
    verdict = "met" if best >= TARGET_RPS else "NOT met"
    print(f"sustained without errors: {best:.1f} req/s (target {TARGET_RPS:.0f}: {verdict})")
    knee = stages["knee"]
    if knee:
        print(
            f"knee: {knee['users']} users, {knee['rps']:.1f} req/s, P95 {knee['p95_ms']:.1f} ms "
            f"(>= 2 x the first stage's {knee['baseline_p95_ms']:.1f} ms)"
        )
    else:
        print("knee: P95 never doubled over the stages")
    req = doc["requests"]
    print(
        f"whole run: sent {req['sent']}, failed {req['failed']}, lost {req['lost']}; "
        f"report {doc['run']['folder']}"
    )


if __name__ == "__main__":
    main()
