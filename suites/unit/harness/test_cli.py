"""The `harness` command: subcommands listed, one-line errors, exit codes."""

from __future__ import annotations

import pytest

from harness._cli import main

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    for command in (
        "run",
        "llm",
        "proxy",
        "load",
        "chaos",
        "report",
        "gate",
        "compare",
        "stack",
        "serve",
        "init",
    ):
        assert f"    {command} " in out
    for theirs in ("ask", "config"):  # the reference system's: not the harness's
        assert f"    {theirs} " not in out


def test_unknown_tier_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--tiers", "unit,smoke"]) == 2
    assert "unknown tier 'smoke'; choose from unit, integration, system, chaos" in capsys.readouterr().err


def test_delegated_subcommand_options_load_on_demand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["llm", "--help"])
    assert "--latency PROFILE" in capsys.readouterr().out
