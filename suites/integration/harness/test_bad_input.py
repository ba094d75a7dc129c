"""Every bad input to every command: one line on stderr naming what, where and the fix, exit 2,
no traceback, and no output file written or replaced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.harness_self

SERVED = '[tool.harness.system]\nname = "x"\npython = "a:b"\n[tool.harness.system.serve]\ncommand = ["x"]\n'
BROKEN = "[tool.harness.system\nname = 1\n"

# (command line, pyproject.toml text or None, what the one line must say)
CASES = [
    (["llm", "--port", "-1"], None, "--port -1: give a port between 1 and 65535"),
    (["serve", "--port", "70000"], None, "--port 70000"),
    (["serve"], None, "no in-process system to serve"),
    (["chaos", "--request-timeout", "-1"], SERVED, "--request-timeout -1.0: give seconds above 0"),
    (["chaos", "--stack", "nowhere.json"], SERVED, "--stack nowhere.json: cannot read it"),
    (["chaos", "--stack", "list.json"], SERVED, "not a harness.stack/1 file"),
    (["chaos", "--stack", "random.json"], SERVED, "not a harness.stack/1 file"),
    (["chaos"], '[tool.harness.system]\nname = "x"\n', "a chaos run needs the system running"),
    (["chaos", "--experiment", "nosuch"], SERVED, "unknown experiment 'nosuch'"),
    (["chaos", "--catalogue", "random"], SERVED, "random: no experiment files (*.yaml)"),
    (["load", "--audit-log", "a.jsonl"], SERVED, "--audit-log names a running system's log: give --host"),
    (["load", "--profile", "nosuch"], SERVED, "unknown load profile 'nosuch'"),
    (["load", "--profiles", "random.bin"], SERVED, "random.bin: not valid TOML"),
    (["load", "--profiles", "typo.toml"], SERVED, "unknown table or key 'smoke'; a profiles file holds "
     "[defaults] and [profiles.NAME] (did you mean [profiles.smoke]?)"),
    (["load"], BROKEN, "pyproject.toml: not valid TOML"),
    (["chaos"], BROKEN, "pyproject.toml: not valid TOML"),
    (["report"], BROKEN, "pyproject.toml: not valid TOML"),
    (["run"], BROKEN, "pyproject.toml: not valid TOML"),
    (["load"], '[tool.harness.system]\nnmae = "x"\n', "unknown setting nmae in [tool.harness.system]: "
     "did you mean 'name'"),
    (["load"], SERVED.replace("command", "comand"), "unknown setting serve.comand in [tool.harness.system]: "
     "did you mean 'command'"),
    (["report"], "[tool.harness.gate]\ncoverage_line = 5\n", "did you mean 'coverage_line_min'?"),
    (["load"], SERVED + "[tool.harness.sla]\np95_ms = 5\n", "unknown key 'p95_ms'"),
    (["gate"], None, "reports/summary.json: cannot read it"),
    (["init", "--python", "not a spec"], None, "use 'package.module:attribute'"),
    (["run", "--tiers", "unit,smoke"], None, "--tiers: unknown tier 'smoke'"),
    (["traces", "receive", "--port", "70000", "--out", "s.jsonl"], None, "--port 70000: give a port"),
    (["traces", "receive", "--out", "random.json/s.jsonl"], None, "cannot write there"),
    (["traces", "receive", "--out", "random"], None, "--out random: cannot write there"),
    (["traces", "receive", "--host", "10.9.9.9", "--out", "s.jsonl"], None, "cannot listen there"),
    (["load"], SERVED + "[tool.harness.system.prices]\nm = { input_per_mtok = -1, output_per_mtok = 1 }\n",
     "input_per_mtok"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "pyproject", "said"), CASES, ids=[" ".join(c[0]) + f" #{i}" for i, c in enumerate(CASES)]
)
def test_a_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, args: list[str], pyproject: str | None, said: str
) -> None:
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject)
    (tmp_path / "list.json").write_text("[]")
    (tmp_path / "random.json").write_bytes(os.urandom(64))
    (tmp_path / "random.bin").write_bytes(b"\x00\xff" + os.urandom(64))
    (tmp_path / "random").mkdir()
    (tmp_path / "typo.toml").write_text('[smoke.env]\nOTEL_TRACES_SAMPLER = "traceidratio"\n')
    before = sorted(p.name for p in tmp_path.rglob("*"))
    done = subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")},
    )
    err = done.stderr.strip()
    assert done.returncode == 2, (done.returncode, done.stdout[-500:], err[-1500:])
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert not done.stdout.strip(), f"a refused command said more: {done.stdout[-500:]}"
    assert said in err, err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before, "a refused command wrote files"
