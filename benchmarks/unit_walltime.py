"""Wall time of the unit tier: `pytest suites/unit`, serial and with xdist, median of N runs.

    python benchmarks/unit_walltime.py [--runs 3] [--workers auto]

Prints every run, the median of each mode and the ratio between them. Target (issue 2): the
serial median <= 20 s on a 2-core machine. A figure, not a test: a noisy machine must not fail CI.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAST = ["-p", "no:deepeval", "-p", "no:langsmith_plugin", "-p", "no:locust", "-q"]


def one_run(extra: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/unit", *FAST, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"unit tier failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}")
    return seconds, proc.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", default="auto", help="xdist -n value for the parallel mode")
    args = parser.parse_args()
    medians = {}
    for mode, extra in (("serial", []), (f"-n {args.workers}", ["-n", args.workers])):
        times = []
        for i in range(args.runs):
            seconds, summary = one_run(extra)
            times.append(seconds)
            print(f"{mode:>10} run {i + 1}: {seconds:6.2f} s   {summary}", flush=True)
        medians[mode] = statistics.median(times)
        print(f"{mode:>10} median of {args.runs}: {medians[mode]:.2f} s", flush=True)
    serial, parallel = medians.values()
    print(
        f"\nserial median {serial:.2f} s (target <= 20 s: {'met' if serial <= 20 else 'NOT met'}); "
        f"xdist/serial ratio {parallel / serial:.2f}"
    )


if __name__ == "__main__":
    main()
