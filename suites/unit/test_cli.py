"""The `harness` command: subcommands listed, one-line errors, exit codes."""

from __future__ import annotations

import json

import pytest

from harness._cli import main


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    for command in (
        "run",
        "ask",
        "config",
        "serve",
        "llm",
        "proxy",
        "load",
        "chaos",
        "report",
        "gate",
        "compare",
        "stack",
    ):
        assert f"    {command} " in out


def test_config_prints_effective_settings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_BREAKER__FAILURE_THRESHOLD", "3")
    assert main(["config"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["breaker"]["failure_threshold"] == 3 and doc["llm_api_key"] == "**********"


def test_bad_setting_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_RETRY__ATTEMPTS", "zero")
    assert main(["config"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("harness config: invalid setting retry.attempts")


def test_unknown_tier_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--tiers", "unit,smoke"]) == 2
    assert "unknown tier 'smoke'; choose from unit, integration, system, chaos" in capsys.readouterr().err


def test_delegated_subcommand_options_load_on_demand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["llm", "--help"])
    assert "--latency PROFILE" in capsys.readouterr().out
