"""The reference system's own command, `support-desk`: subcommands, settings, one-line errors."""

from __future__ import annotations

import json

import pytest

from support_desk.__main__ import main as support_desk


def test_the_reference_system_has_its_own_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        support_desk(["--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    for command in ("ask", "config", "serve"):
        assert f"    {command} " in out


def test_config_prints_effective_settings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPPORT_DESK_BREAKER__FAILURE_THRESHOLD", "3")
    assert support_desk(["config"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["breaker"]["failure_threshold"] == 3 and doc["llm_api_key"] == "**********"


def test_bad_setting_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPPORT_DESK_RETRY__ATTEMPTS", "zero")
    assert support_desk(["config"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("support-desk config: invalid setting retry.attempts")
