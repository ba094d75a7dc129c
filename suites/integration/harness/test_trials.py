"""`harness trials` on the reference system, as a team runs it: the noisy brain's known pass rates
against what the run reports, and a repeat that is never a cache hit unless `--allow-cache`, in
process and over HTTP (the reference service reading `Cache-Control: no-cache`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from harness.llm import DEFAULT_BASE_URL, MockLLM
from harness.scenarios import NoisyBrain, Scenario, load_scenarios
from harness.sut import HTTPSystem, load_declaration
from harness.trials import TrialsRecord, run_trials
from support_desk import SupportSystem, load_settings
from support_desk.brain import reply_for
from support_desk.service import ServiceSettings, create_app

pytestmark = pytest.mark.harness_self

ROOT = Path(__file__).resolve().parents[3]
FAST = {"SUPPORT_DESK_RATE_LIMIT__REQUESTS_PER_MINUTE": "1000000000"}  # its per-agent limiter would pace us


@pytest.fixture(scope="module")
def subset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 40 scenarios (technical, billing, general and policy escalations among them)."""
    path = tmp_path_factory.mktemp("trials") / "scenarios.jsonl"
    lines = load_declaration(ROOT / "pyproject.toml").scenarios_path.read_text().splitlines()  # type: ignore[union-attr]
    path.write_text("\n".join(lines[:40]) + "\n")
    return path


def trials(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    reports = tmp_path / "reports"
    done = subprocess.run(
        [sys.executable, "-m", "harness", "trials", "--reports", str(reports), *args],
        cwd=ROOT,
        env=os.environ | FAST,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return done, reports / "trials.json"


def test_noisy_trials_report_pass_k_with_intervals_that_hold_the_truth(tmp_path: Path, subset: Path) -> None:
    done, path = trials(
        tmp_path,
        "--scenarios",
        str(subset),
        "--repeat",
        "4",
        "--brain",
        "noisy",
        "--seed",
        "3",
        "--misroute",
        "0.25",
    )
    assert done.returncode == 0, done.stderr
    record = TrialsRecord.read(path)
    assert record.overall.trials == 160 and record.cache == "bypassed" and record.k == 4
    routed = [s for s in record.scenarios if s.truth == 0.75]
    assert len(routed) >= 20  # the policy escalations (truth 1.0) never reach the router
    assert any(s.passed < s.n for s in routed) and all(
        s.passed == s.n for s in record.scenarios if s.truth == 1.0
    )
    truth_1 = sum(s.truth or 0 for s in record.scenarios) / 40
    truth_k = sum((s.truth or 0) ** 4 for s in record.scenarios) / 40
    o = record.overall
    assert o.pass_k is not None and o.pass_k.value is not None and o.pass_at_1.value is not None
    assert o.pass_k.value < o.pass_at_1.value  # four in a row is rarer than one
    assert o.pass_at_1.low <= truth_1 <= o.pass_at_1.high and o.pass_k.low <= truth_k <= o.pass_k.high
    assert "pass^4" in done.stdout and "clustered by scenario" in done.stdout


def test_the_verdict_can_say_no_and_yes(tmp_path: Path, subset: Path) -> None:
    _, always = trials(
        tmp_path / "a", "--scenarios", str(subset), "--repeat", "2", "--brain", "noisy", "--misroute", "1"
    )
    _, never = trials(
        tmp_path / "b", "--scenarios", str(subset), "--repeat", "2", "--brain", "noisy", "--misroute", "0"
    )
    failing, passing = TrialsRecord.read(always), TrialsRecord.read(never)
    assert all(s.passed == 0 for s in failing.scenarios if s.truth == 0.0)
    assert any(s.truth == 0.0 for s in failing.scenarios)
    assert passing.overall.passed == passing.overall.trials == 80


def test_a_repeat_is_a_cache_hit_only_with_allow_cache(tmp_path: Path, subset: Path) -> None:
    _, fresh = trials(tmp_path / "a", "--scenarios", str(subset), "--repeat", "2")
    _, cached = trials(tmp_path / "b", "--scenarios", str(subset), "--repeat", "2", "--allow-cache")
    assert sum(s.cache_hits for s in TrialsRecord.read(fresh).scenarios) == 0
    allowed = TrialsRecord.read(cached)
    assert allowed.cache == "allowed" and sum(s.cache_hits for s in allowed.scenarios) >= 10


@pytest.mark.parametrize("allow_cache", [False, True])
async def test_over_http_cache_control_no_cache_is_honoured(
    tmp_path: Path, subset: Path, allow_cache: bool
) -> None:
    scenarios: list[Scenario] = load_scenarios(subset)[:15]
    system = SupportSystem(
        load_settings(llm_base_url=DEFAULT_BASE_URL, rate_limit={"requests_per_minute": 1e9})
    )
    app = create_app(system, ServiceSettings(audit_log=str(tmp_path / "audit.jsonl")))
    declaration = load_declaration(ROOT / "pyproject.toml")
    async with app.router.lifespan_context(app), MockLLM() as llm:
        llm.play(
            NoisyBrain(
                lambda agent, messages, model, tools=None: reply_for(agent, messages, model),
                scenarios,
                misroute=0.0,
            )
        )
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")
        sut = HTTPSystem(
            "http://service", declaration.http, client=client, routes=declaration.vocabulary.routes
        )
        done = await run_trials(sut, scenarios, repeat=2, allow_cache=allow_cache)
        await client.aclose()
    await system.aclose()
    hits = sum(t.cache_hit for t in done)
    assert all(t.passed for t in done)
    assert (hits > 0) if allow_cache else (hits == 0 and system.cache.stats.bypassed > 0)
