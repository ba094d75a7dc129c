"""The architecture holds: the import-linter contracts (pyproject.toml) are kept, and importing a
core package loads no LangGraph, no LangChain and no module of the example built on the harness."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

ROOT = Path(__file__).resolve().parents[3]
CORE = (
    "harness",
    "harness.llm",
    "harness.sut",
    "harness.load",
    "harness.chaos",
    "harness.report",
    "harness.scenarios",
    "harness.evals",
    "harness.proxy",
    "harness.stack",
    "harness.measure",
    "harness.plugin",
)
# What the core must never load: the example system and the agent framework it is built with.
FOREIGN = ("support_desk", "handoff_desk", "langgraph", "langchain", "langchain_core", "langchain_openai")

_PROBE = """
import json, sys
for name in sys.argv[1:]:
    __import__(name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {foreign!r})))
"""


def test_the_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout and "6 kept" in proc.stdout, proc.stdout[-1000:]


def _loaded_by(*packages: str) -> list[str]:
    """The foreign modules a fresh interpreter holds after importing `packages`."""
    env = {"DEEPEVAL_TELEMETRY_OPT_OUT": "YES", "DEEPEVAL_FILE_SYSTEM": "READ_ONLY"}
    code = _PROBE.format(foreign=set(FOREIGN))
    proc = subprocess.run(
        [sys.executable, "-c", code, *packages],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return list(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_no_core_package_loads_anything_of_the_example() -> None:
    # All at once: if none of them is in the union, none is in any one of them.
    loaded = _loaded_by(*CORE)
    if loaded:  # name the culprits, one fresh interpreter each
        culprits = {p: found[:3] for p in CORE if (found := _loaded_by(p))}
        raise AssertionError(f"core packages load the example or its framework: {culprits}")


def test_the_probe_sees_a_foreign_import() -> None:
    # The check itself can say no: importing the example does load what the core must not.
    loaded = _loaded_by("support_desk")
    assert "support_desk" in loaded and any(m.startswith("langgraph") for m in loaded)
