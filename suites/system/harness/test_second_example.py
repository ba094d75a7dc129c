"""Any team's system through every tier: `harness run` from the second example's own folder
(examples/handoff_desk: langgraph-supervisor, tool-call handoffs, ChatOpenAI, `POST /ask`), with
nothing of it known to the harness but its declaration. Every tier must run against *it* (its
coverage, its graph, its API, its scenarios), the report must name it, and the gate must say
NO-GO for the faults it does not handle, and for nothing else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.system, pytest.mark.slow, pytest.mark.harness_self]

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "handoff_desk"
GLUE = Path(__file__).resolve().parents[3] / "benchmarks" / "glue_count.py"


def _clean_env() -> dict[str, str]:
    # The project's own settings, not the outer pyramid's reports folder or LLM settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "HARNESS_"))}
    return env | {"NO_PROXY": "127.0.0.1,localhost"}


def _harness_run(folder: Path, log: Path, *args: str) -> int:
    """`harness run` from `folder`; its output kept in `log`, its exit code returned."""
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "run", *args],
        cwd=folder,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    log.write_text(proc.stdout + proc.stderr)
    return proc.returncode


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    reports = tmp_path_factory.mktemp("handoff-desk-reports")
    return _harness_run(EXAMPLE, reports / "run.log", "--reports", str(reports)), reports


def _why_not(reports: Path) -> str:
    """The run's summary and the failed tier's own log: a failure in CI must say which experiment and why."""
    logs = [reports / "run.log", *sorted((reports / "logs").glob("*.log"))]
    failed = [p for p in logs[1:] if "FAILED" in p.read_text(errors="replace")]
    return "\n\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in [logs[0], *failed])


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


def test_every_tier_of_the_second_example_runs_and_passes(run: tuple[int, Path]) -> None:
    code, reports = run
    assert code == 0, _why_not(reports)
    tiers = {t["tier"]: t for t in _json(reports / "pyramid.json")["tiers"]}
    assert list(tiers) == ["unit", "integration", "system", "chaos"]
    assert all(t["exit_code"] == 0 and t["passed"] > 0 for t in tiers.values()), tiers


def test_the_report_is_about_the_second_example(run: tuple[int, Path]) -> None:
    _, reports = run
    summary = _json(reports / "summary.json")
    assert summary["system"]["name"] == "handoff desk"
    assert summary["system"]["coverage"] == ["handoff_desk"]
    covered = _json(reports / "coverage" / "integration.json")["files"]
    assert covered and all("handoff_desk" in name for name in covered), sorted(covered)
    assert summary["graph"]["edge_coverage_pct"] == 100.0
    assert "handoff desk" in (reports / "index.html").read_text()


def test_its_load_run_went_through_its_own_api(run: tuple[int, Path]) -> None:
    _, reports = run
    sla = _json(reports / "sla.json")
    assert sla["verdict"] == "pass", sla["failures"]
    req = sla["requests"]
    # It keeps no audit log: reconciled against its spans (each request's root server span).
    assert req["lost"] == 0 and req["sent"] == req["answered"] > 0 and req["server_record"] == "spans"
    assert set(sla["routes"]) == {"billing", "tech"}  # its routes, read from its own reply
    assert sla["tokens"]["per_request"]["value"] is None  # its replies carry no token counts


def test_chaos_says_what_it_survives_and_what_cannot_reach_it(run: tuple[int, Path]) -> None:
    _, reports = run
    verdicts = {e["name"]: e["verdict"] for e in _json(reports / "chaos.json")["experiments"]}
    assert verdicts["handoff-drop"] == "not_applicable"  # no handoff hook: never "held"
    assert verdicts["llm-hang"] == "failed"  # no timeout of its own
    assert "held" in verdicts.values()


def test_the_gate_says_no_go_for_the_chaos_failures_alone(run: tuple[int, Path]) -> None:
    _, reports = run
    summary = _json(reports / "summary.json")
    failing = [g for g in summary["gates"] if not g["passed"]]
    assert summary["verdict"] == "NO-GO"
    assert [g["name"] for g in failing] == ["chaos.held"], failing
    assert "llm-hang" in failing[0]["reason"] and "1 not applicable" in failing[0]["reason"]
    gate = subprocess.run(
        [sys.executable, "-m", "harness", "gate", "--summary", str(reports / "summary.json")],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
    )
    assert gate.returncode == 1 and "NO-GO" in gate.stdout


def test_its_glue_is_at_most_30_lines() -> None:
    proc = subprocess.run([sys.executable, str(GLUE), str(EXAMPLE)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    total = int(proc.stdout.strip().splitlines()[-1].split()[0])
    assert 0 < total <= 30


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    """A project with nothing but `harness init` in it, through `harness run`."""
    folder = tmp_path_factory.mktemp("new-team")
    subprocess.run([sys.executable, "-m", "harness", "init"], cwd=folder, env=_clean_env(), check=True)
    return _harness_run(folder, folder / "run.log"), folder


def test_a_started_project_runs_every_tier_at_once(started: tuple[int, Path]) -> None:
    code, folder = started
    reports = folder / "reports"
    assert code == 0, (folder / "run.log").read_text()[-3000:]
    assert [t["tier"] for t in _json(reports / "pyramid.json")["tiers"]] == [
        "unit",
        "integration",
        "system",
        "chaos",
    ]
    sla = _json(reports / "sla.json")
    # Served by `harness serve`, which writes the audit log: reconciled on both sides.
    assert sla["verdict"] == "pass" and sla["requests"]["audit_checked"] and sla["requests"]["lost"] == 0
    summary = _json(reports / "summary.json")
    assert summary["system"]["name"] == folder.name and summary["system"]["python"] == "starter_system:answer"
    verdicts = {e["name"]: e["verdict"] for e in _json(reports / "chaos.json")["experiments"]}
    assert verdicts["handoff-drop"] == "not_applicable" and "failed" in verdicts.values()
