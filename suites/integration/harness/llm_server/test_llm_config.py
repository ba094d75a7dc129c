"""Config files (TOML, JSON) and their errors, the command line, and the latency sampler."""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from harness._exceptions import HarnessError, MockServerError
from harness.llm.server import LatencyConfig, LatencyProfile, LatencySampler, load_config
from harness.llm.server._latency import draw_delay
from harness.llm.server._run import add_arguments, build_config, main

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

HERE = Path(__file__).parent

GOOD_TOML = """
seed = 42
models = ["gpt-4o"]

[latency]
default = "fast"
models = { "gpt-4o" = "flaky" }

[latency.profiles.flaky]
ttft_median_ms = 800
ttft_sigma = 0.9
per_token_ms = 20

[[faults]]
kind = "status"
probability = 0.1
status = 503
retry_after = 1
target = { agent = "billing_support" }

[[faults]]
kind = "hang"
probability = 0.01
seconds = 30
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_toml_config_loads(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "chaos.toml", GOOD_TOML))
    assert config.seed == 42 and config.models == ["gpt-4o"]
    assert config.latency.profile_name("gpt-4o") == "flaky"
    assert config.latency.profile_name("other") == "fast"
    assert [rule.kind for rule in config.faults] == ["status", "hang"]
    assert config.faults[0].target.agent == ["billing_support"] and config.faults[1].hang_seconds == 30


def test_json_config_loads(tmp_path: Path) -> None:
    doc = {"seed": 1, "faults": [{"kind": "schema_violation", "probability": 0.2, "variant": "wrong_type"}]}
    config = load_config(_write(tmp_path, "c.json", json.dumps(doc)))
    assert config.faults[0].variant == "wrong_type"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "a.toml",
            "[[faults]]\nkind = 'status'\nprobability = -1\n",
            "a.toml: faults[0].probability: Input should be greater than or equal to 0",
        ),
        (
            "b.toml",
            "[[faults]]\nprobability = 1\n",
            "b.toml: faults[0].kind: Field required (one of: status,",
        ),
        (
            "c.toml",
            "[[faults]]\nkind = 'slow'\nprobability = 1\n",
            "c.toml: faults[0].kind: Input should be 'status', 'hang', 'stall', 'malformed', 'truncated', "
            "'empty', 'invalid_route', 'schema_violation' or 'hallucinated_tool'",
        ),
        (
            "d.toml",
            "[[faults]]\nkind = 'hang'\nprobability = 1\nseconds = 500\n",
            "d.toml: faults[0].seconds: Input should be less than or equal to 120",
        ),
        (
            "e.toml",
            "[[faults]]\nkind = 'hang'\nprobability = 1\nvariant = 'wrong_type'\n",
            "e.toml: faults[0]: Value error, 'variant' only applies to kind 'schema_violation', not 'hang'",
        ),
        (
            "f.toml",
            "[latency]\ndefault = 'ludicrous'\n",
            "f.toml: latency: Value error, default: unknown latency profile 'ludicrous'; known: fast, ",
        ),
        (
            "g.toml",
            "[latency.profiles.x]\nttft_sigma = 9\n",
            "g.toml: latency.profiles.x.ttft_sigma: Input should be less than or equal to 5",
        ),
        ("h.toml", "sed = 1\n", "h.toml: sed: Extra inputs are not permitted (unknown setting"),
        ("i.toml", "seed = \n", "i.toml: not valid TOML: "),
        ("j.json", "[1, 2]", "j.json: expected a table/object at the top, got list"),
        ("k.yaml", "seed: 1", "k.yaml: a config file must end in .json or .toml"),
    ],
)
def test_bad_config_files_name_the_file_and_field(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    with pytest.raises(MockServerError) as caught:
        load_config(_write(tmp_path, name, text))
    assert str(caught.value).startswith(str(tmp_path / name))
    assert expected in str(caught.value)
    assert isinstance(caught.value, HarnessError)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(MockServerError, match="cannot read the config file: No such file"):
        load_config(tmp_path / "absent.toml")


def test_command_line_overrides_the_file(tmp_path: Path) -> None:
    import argparse

    path = _write(tmp_path, "chaos.toml", GOOD_TOML)
    args = add_arguments(argparse.ArgumentParser()).parse_args(
        [
            "--config",
            str(path),
            "--seed",
            "5",
            "--latency",
            "slow",
            "--fault",
            "empty:0.25",
            "--brain-memo",
            "0",
        ]
    )
    config = build_config(args)
    assert config.seed == 5 and config.latency.default == "slow" and config.brain_memo == 0
    assert [(r.kind, r.probability) for r in config.faults][-1] == ("empty", 0.25)
    assert len(config.faults) == 3


def test_cli_reports_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--fault", "status"]) == 2
    assert "--fault 'status': expected KIND:PROBABILITY" in capsys.readouterr().err
    assert main(["--fault", "melt:1", "--brain", "llm_server_helpers:stand_in_brain"]) == 2
    assert "command line: faults[0].kind: Input should be 'status'" in capsys.readouterr().err
    bad = _write(tmp_path, "bad.toml", "seed = 'x'\n")
    assert main(["--config", str(bad)]) == 2
    assert f"harness llm: {bad}: seed: Input should be a valid integer" in capsys.readouterr().err


def test_cli_serves_until_terminated() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.llm.server",
            "--port",
            "0",
            "--brain",
            "llm_server_helpers:stand_in_brain",
            "--fault",
            "empty:1",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("mock LLM listening on http://127.0.0.1:") and line.rstrip().endswith("/v1")
        base_url = line.split()[-1]
        assert httpx.get(base_url.removesuffix("/v1") + "/health").json() == {"status": "ok"}
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        answer = httpx.post(base_url + "/chat/completions", json=body).json()
        assert answer["choices"][0]["message"]["content"] == ""
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
        if proc.stdout is not None:
            proc.stdout.close()


# -- the latency sampler (draws, not wall time) ----------------------------------------------
def test_lognormal_draws_centre_on_the_median_with_the_given_sigma() -> None:
    profile = LatencyProfile(ttft_median_ms=400, ttft_sigma=0.5, per_token_ms=12, per_token_sigma=0.2)
    rng = random.Random(2024)
    draws = [draw_delay(profile, rng) for _ in range(200)]
    ttft_ms = [d.ttft_s * 1000 for d in draws]
    assert statistics.median(ttft_ms) == pytest.approx(400, rel=0.15)
    assert statistics.stdev(math.log(t) for t in ttft_ms) == pytest.approx(0.5, rel=0.2)
    assert statistics.median(d.per_token_s * 1000 for d in draws) == pytest.approx(12, rel=0.1)


def test_fixed_zero_capped_and_seeded_profiles() -> None:
    rng = random.Random(1)
    fixed = draw_delay(LatencyProfile(kind="fixed", ttft_median_ms=250, per_token_ms=10), rng)
    assert (fixed.ttft_s, fixed.per_token_s, fixed.total(10)) == (0.25, 0.01, 0.35)
    assert draw_delay(LatencyProfile(kind="zero", ttft_median_ms=999), rng).is_zero
    capped = LatencyProfile(ttft_median_ms=1000, ttft_sigma=3, ttft_max_ms=1500)
    assert max(draw_delay(capped, rng).ttft_s for _ in range(200)) == 1.5
    config = LatencyConfig(default="realistic", models={"gpt-4o-mini*": "fast", "gpt-4o": "slow"})
    first, second = LatencySampler(config, seed=3), LatencySampler(config, seed=3)
    assert [first.draw("gpt-4o") for _ in range(5)] == [second.draw("gpt-4o") for _ in range(5)]
    assert first.profile_for("gpt-4o-mini-2024") == second.config.all_profiles()["fast"]
    assert first.profile_for("claude") == LatencyConfig().all_profiles()["realistic"]
    assert LatencySampler(config, seed=4).draw("gpt-4o") != LatencySampler(config, seed=3).draw("gpt-4o")
