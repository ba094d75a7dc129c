"""What importing each core package costs: wall time in a fresh interpreter, and how many modules
of LangGraph / LangChain / the example system it drags in.

    python benchmarks/import_cost.py [--runs 5] [--tree PATH ...]

Each package is imported `--runs` times, each in a new interpreter (`-X importtime`, its own
cumulative figure for the package), and the median is printed. With `--tree`, the same is done
for other checkouts of the harness (put first on PYTHONPATH, so this venv's dependencies serve
both), the runs alternating between trees so the machine's drift falls on both alike.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

PACKAGES = (
    "harness",
    "harness.scenarios",
    "harness.chaos",
    "harness.load",
    "harness.sut",
    "harness.llm",
    "harness.report",
    "harness.stack",
    "harness.proxy",
)
# The agent framework and the example system (the reference lived in harness.reference and
# harness.service before it moved out of the core).
FOREIGN = ("langgraph", "langchain", "langchain_core", "support_desk")
_COUNT = (
    "import sys, {package}; "
    "print(sum(1 for m in sys.modules if m.split('.')[0] in {top!r} "
    "or m.startswith(('harness.reference', 'harness.service'))))"
)
_LINE = re.compile(r"import time:\s+\d+ \|\s+(\d+) \|\s*(\S+)")


def one(package: str, tree: Path | None) -> tuple[float, int]:
    """(cumulative import time in ms, foreign modules loaded) in one fresh interpreter."""
    env = dict(os.environ, DEEPEVAL_TELEMETRY_OPT_OUT="YES", DEEPEVAL_FILE_SYSTEM="READ_ONLY")
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    code = _COUNT.format(package=package, top=set(FOREIGN))
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True, text=True, env=env, cwd=tree or Path.cwd(), check=True,
    )  # fmt: skip
    cumulative = [int(us) for us, name in _LINE.findall(proc.stderr) if name == package]
    return cumulative[-1] / 1000, int(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tree", action="append", default=[], type=Path, help="another checkout")
    args = parser.parse_args()
    trees: list[Path | None] = [None, *args.tree]
    names = ["this tree", *(str(t) for t in args.tree)]
    print(f"{'package':<20}" + "".join(f"{n[-28:]:>32}" for n in names))
    for package in PACKAGES:
        times: list[list[float]] = [[] for _ in trees]
        foreign = [0] * len(trees)
        for _ in range(args.runs):
            for i, tree in enumerate(trees):  # alternating: drift lands on every tree alike
                ms, n = one(package, tree)
                times[i].append(ms)
                foreign[i] = n
        pairs = zip(times, foreign, strict=True)
        cells = [f"{statistics.median(t):9.0f} ms, {f:4d} foreign" for t, f in pairs]
        print(f"{package:<20}" + "".join(f"{c:>32}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
