"""Which one-line bugs in the reference system does its unit tier catch? (a hand-written mutation run)

Each bug of `benchmarks/hidden_bugs.toml` is applied to a temporary copy of the reference system
(`examples/support_desk`) beside a copy of its unit tier (`suites/unit/*.py`, not the harness's own
tests in `suites/unit/harness`), and `pytest -x` runs that copy with the copy first on PYTHONPATH.
The working tree is never written. A bug is *caught* when the run fails (or times out), *missed*
when it passes. First the copy is run un-mutated, so a failing tier cannot pass for a catching one,
and every run checks that the module Python imports is the mutated copy.

    python benchmarks/hidden_bugs.py                      # every bug: caught/missed and the share
    python benchmarks/hidden_bugs.py --only 7             # one bug (1-based, as printed)
    python benchmarks/hidden_bugs.py --without test_x.py  # the tier without some test files
    python benchmarks/hidden_bugs.py --tests-from HEAD    # the tier as committed (git show)
    python benchmarks/hidden_bugs.py -k "not pending"     # pytest -k, for tests waiting on a change

A figure, not a test: exit 0 unless the un-mutated tier fails or a bug's line is not found.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUGS = Path(__file__).with_suffix(".toml")
EXAMPLE = Path("examples/support_desk")
PACKAGE = EXAMPLE / "support_desk"
UNIT = Path("suites/unit")
PYTEST = ["-m", "pytest", "-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", str(UNIT)]
_SUMMARY = re.compile(r"(FAILED|ERROR) \S+\.py")  # pytest's summary lines, not captured logs
_IGNORE = shutil.ignore_patterns("__pycache__", "*.egg-info", ".pytest_cache")


@dataclass(frozen=True)
class Bug:
    number: int
    kind: str
    file: str
    line: str
    new: str
    why: str
    nth: int | None = None  # which of several equal lines; None: the line must be unique

    def apply(self, source: str) -> str:
        """`source` with the bug in it; raises LookupError when its line is not there (once)."""
        lines = source.splitlines(keepends=True)
        hits = [i for i, text in enumerate(lines) if text.strip() == self.line.strip()]
        wanted = self.nth or 1
        if len(hits) < wanted or (self.nth is None and len(hits) > 1):
            raise LookupError(
                f"bug {self.number}: {self.file} has {len(hits)} line(s) {self.line.strip()!r}; "
                "update its line in hidden_bugs.toml (or give nth)"
            )
        at = hits[wanted - 1]
        indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
        lines[at] = indent + self.new.strip() + "\n"
        return "".join(lines)


def load_bugs(path: Path = BUGS) -> list[Bug]:
    docs = tomllib.loads(path.read_text())["bug"]
    return [Bug(number=number, **doc) for number, doc in enumerate(docs, 1)]


def build_copy(dest: Path, *, without: list[str], tests_from: str | None) -> None:
    """The reference system, the root's pyproject and conftest, and its unit tier, under `dest`."""
    shutil.copytree(ROOT / EXAMPLE, dest / EXAMPLE, ignore=_IGNORE)
    for name in ("pyproject.toml", "conftest.py"):
        shutil.copy2(ROOT / name, dest / name)
    (dest / UNIT).mkdir(parents=True)
    if (ROOT / UNIT / "data").is_dir():
        shutil.copytree(ROOT / UNIT / "data", dest / UNIT / "data")
    for name in _unit_files(tests_from):
        if name in without:
            continue
        (dest / UNIT / name).write_bytes(_test_source(name, tests_from))


def _unit_files(tests_from: str | None) -> list[str]:
    if tests_from is None:
        return sorted(p.name for p in (ROOT / UNIT).glob("*.py"))
    listing = _git("ls-tree", "--name-only", f"{tests_from}:{UNIT}")
    return sorted(n for n in listing.decode().split() if n.endswith(".py"))


def _test_source(name: str, tests_from: str | None) -> bytes:
    if tests_from is None:
        return (ROOT / UNIT / name).read_bytes()
    return _git("show", f"{tests_from}:{UNIT / name}")


def _git(*args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=True).stdout


def _env(copy: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPPORT_DESK_", "PYTEST_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(copy / EXAMPLE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def check_import(copy: Path, relative: str, expect: str | None) -> None:
    """Fail unless Python imports `relative` from the copy (and, given `expect`, with that line)."""
    module = "support_desk." + relative.removesuffix(".py").replace("/", ".")
    probe = f"import inspect, {module} as m; print(inspect.getsourcefile(m))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=copy, env=_env(copy), capture_output=True, text=True, check=False
    )
    where = Path(out.stdout.strip() or "/nonexistent")
    if out.returncode != 0 or not where.is_relative_to(copy):
        sys.exit(f"{module} did not import from the copy {copy}: {out.stdout}{out.stderr[-800:]}")
    if expect is not None and expect.strip() not in where.read_text():
        sys.exit(f"{where} is imported but does not hold the mutated line {expect.strip()!r}")


def run_tier(copy: Path, timeout_s: float, select: list[str]) -> tuple[str, float, str]:
    """('passed' | 'failed' | 'timeout', seconds, the first failing test or pytest's last lines)."""
    # Each run on its own: a failing example Hypothesis saved in one run would fail every later one.
    shutil.rmtree(copy / ".hypothesis", ignore_errors=True)
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, *PYTEST, *select],
            cwd=copy,
            env=_env(copy),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - started, ""
    lines = proc.stdout.strip().splitlines()
    # What caught it: the first failing test (or collection error), to tell a catch from noise.
    first = next((ln for ln in lines if _SUMMARY.match(ln)), "\n".join(lines[-3:]))
    return ("passed" if proc.returncode == 0 else "failed"), time.perf_counter() - started, first


def run_bug(copy: Path, bug: Bug, timeout_s: float, select: list[str]) -> tuple[str, float, str]:
    """Run the tier on the bug; a catch by a test that also fails without the bug (a flaky test)
    is noise: that test is left out and the bug run again (once per flaky test, at most 3)."""
    target = copy / PACKAGE / bug.file
    original = target.read_text()
    for _ in range(3):
        try:
            target.write_text(bug.apply(original))
            check_import(copy, bug.file, bug.new)
            outcome, seconds, first = run_tier(copy, timeout_s, select)
        finally:
            target.write_text(original)
        test = _test_id(first)
        if outcome != "failed" or test is None or not _fails_alone(copy, test, timeout_s):
            return outcome, seconds, first
        print(f"    {test} fails without the bug too (flaky): run again without it", flush=True)
        select = [*select, "--deselect", test]
    return outcome, seconds, first


def _test_id(summary: str) -> str | None:
    if not _SUMMARY.match(summary) or "::" not in summary:
        return None
    return summary.split(" ", 1)[1].split(" - ")[0]


def _fails_alone(copy: Path, test: str, timeout_s: float) -> bool:
    """Whether `test` fails on the un-mutated copy too."""
    shutil.rmtree(copy / ".hypothesis", ignore_errors=True)
    command = [sys.executable, *PYTEST[:-1], test]
    try:
        proc = subprocess.run(
            command, cwd=copy, env=_env(copy), capture_output=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return True
    return proc.returncode != 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=int, action="append", help="run bug N (1-based); repeatable")
    parser.add_argument("--without", action="append", default=[], help="leave this suites/unit file out")
    parser.add_argument("--tests-from", help="take suites/unit from this git revision, e.g. HEAD")
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds per run (default 240)")
    parser.add_argument("-k", dest="keyword", help="pytest -k: leave out tests that cannot pass yet")
    args = parser.parse_args(argv)
    select = ["-k", args.keyword] if args.keyword else []
    bugs = load_bugs()
    chosen = [b for b in bugs if not args.only or b.number in args.only]
    with tempfile.TemporaryDirectory(prefix="hidden-bugs-") as tmp:
        copy = Path(tmp)
        build_copy(copy, without=args.without, tests_from=args.tests_from)
        for bug in chosen:  # every line found before the long runs start
            bug.apply((copy / PACKAGE / bug.file).read_text())
        check_import(copy, "_system.py", None)
        outcome, seconds, tail = run_tier(copy, args.timeout, select)
        print(f"un-mutated: {outcome} in {seconds:.0f} s  {tail.splitlines()[-1] if tail else ''}")
        if outcome != "passed":
            print(tail)
            return 1
        print(f"{len(chosen)} bug(s) from {BUGS.relative_to(ROOT)}", flush=True)
        missed = [bug for bug in chosen if not _caught(bug, *run_bug(copy, bug, args.timeout, select))]
    caught = len(chosen) - len(missed)
    share = caught / len(chosen) if chosen else 0.0
    print(f"\nunit tier caught {caught} of {len(chosen)}: {share:.0%}")
    for bug in missed:
        print(f"  missed {bug.number}: [{bug.kind}] {bug.file}: {bug.line.strip()}  ->  {bug.new.strip()}")
    return 0


def _caught(bug: Bug, outcome: str, seconds: float, tail: str) -> bool:
    seen = outcome != "passed"
    verdict = ("caught (timeout)" if outcome == "timeout" else "caught") if seen else "MISSED"
    print(f"{bug.number:3d} {verdict:16s} {seconds:4.0f} s  {bug.kind:17s} {bug.file}: {bug.why}")
    if seen and outcome != "timeout":
        print(f"{'':27s}by {tail.split(' - ')[0].removeprefix('FAILED ')}", flush=True)
    return seen


if __name__ == "__main__":
    sys.exit(main())
