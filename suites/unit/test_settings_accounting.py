"""Configuration (defaults, pyproject, env, one-line errors) and token/cost accounting."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from harness._exceptions import ConfigError
from support_desk import load_settings
from support_desk._accounting import cost_usd
from support_desk._settings import ModelPrice


def test_defaults_match_the_spec() -> None:
    s = load_settings()
    assert (s.breaker.failure_threshold, s.breaker.reset_timeout_s) == (5, 60.0)
    assert (s.retry.attempts, s.retry.initial_s, s.retry.max_s) == (3, 0.5, 10.0)
    assert (s.timeouts.fast_agent_s, s.timeouts.technical_s) == (5.0, 15.0)
    assert s.rate_limit.requests_per_minute == 100
    assert s.escalation_confidence == 0.7 and s.max_discount_pct == 30


def test_pyproject_table_is_read(tmp_path: Path) -> None:
    toml = tmp_path / "pyproject.toml"
    toml.write_text(
        "[tool.support_desk]\nescalation_confidence = 0.8\n"
        "[tool.support_desk.breaker]\nfailure_threshold = 2\n"
    )
    s = load_settings(toml)
    assert s.escalation_confidence == 0.8 and s.breaker.failure_threshold == 2


def test_env_beats_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "pyproject.toml"
    toml.write_text("[tool.support_desk.breaker]\nfailure_threshold = 2\n")
    monkeypatch.setenv("SUPPORT_DESK_BREAKER__FAILURE_THRESHOLD", "7")
    assert load_settings(toml).breaker.failure_threshold == 7


def test_keyword_overrides_beat_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORT_DESK_MAX_DISCOUNT_PCT", "20")
    assert load_settings(max_discount_pct=25).max_discount_pct == 25


@pytest.mark.parametrize(
    ("env", "value", "names"),
    [
        ("SUPPORT_DESK_BREAKER__FAILURE_THRESHOLD", "0", "breaker.failure_threshold"),
        ("SUPPORT_DESK_BREAKER__FAILURE_THRESHOLD", "five", "breaker.failure_threshold"),
        ("SUPPORT_DESK_ESCALATION_CONFIDENCE", "1.5", "escalation_confidence"),
        ("SUPPORT_DESK_RATE_LIMIT__REQUESTS_PER_MINUTE", "-1", "rate_limit.requests_per_minute"),
        ("SUPPORT_DESK_TIMEOUTS__TECHNICAL_S", "0", "timeouts.technical_s"),
    ],
)
def test_bad_env_value_gives_one_line_error_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, names: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "\n" not in message
    assert names in message and env in message


def test_bad_pyproject_value_names_the_table(tmp_path: Path) -> None:
    toml = tmp_path / "pyproject.toml"
    toml.write_text("[tool.support_desk.retry]\ninitial_s = 5\nmax_s = 1\n")
    with pytest.raises(ConfigError, match=r"retry.*max_s \(1.0\) must be >= initial_s.*tool.support_desk"):
        load_settings(toml)


def test_api_key_never_shows_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORT_DESK_LLM_API_KEY", "sk-secret-123")
    s = load_settings()
    assert s.llm_api_key.get_secret_value() == "sk-secret-123"
    assert "sk-secret-123" not in repr(s) and "sk-secret-123" not in s.model_dump_json()


PRICES = {
    "cheap": ModelPrice(input_per_mtok=1.0, output_per_mtok=2.0),
    "cheap-mini": ModelPrice(input_per_mtok=0.1, output_per_mtok=0.2),
}


def test_cost_from_usage_and_price_table() -> None:
    assert cost_usd("cheap", 1_000_000, 500_000, PRICES) == pytest.approx(2.0)
    assert cost_usd("cheap", 0, 0, PRICES) == 0.0


def test_dated_snapshot_is_priced_like_its_longest_family() -> None:
    assert cost_usd("cheap-mini-2024-07-18", 1_000_000, 0, PRICES) == pytest.approx(0.1)
    assert cost_usd("cheap-2025-01-01", 1_000_000, 0, PRICES) == pytest.approx(1.0)


def test_unknown_model_costs_zero_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="support_desk"):
        assert cost_usd("mystery-model", 10, 10, PRICES) == 0.0
        cost_usd("mystery-model", 10, 10, PRICES)
    warnings = [r for r in caplog.records if "mystery-model" in r.getMessage()]
    assert len(warnings) == 1 and "prices" in warnings[0].getMessage()


def test_default_price_table_prices_both_default_models() -> None:
    s = load_settings()
    for model in (s.models.cheap, s.models.strong):
        assert cost_usd(model, 1000, 1000, s.prices) > 0
