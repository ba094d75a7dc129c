"""One settings object for the reference system, from defaults, `[tool.support_desk]` and env.

Precedence, highest first: keyword arguments, environment (`SUPPORT_DESK_<FIELD>`, nested fields joined
with `__`, e.g. `SUPPORT_DESK_BREAKER__FAILURE_THRESHOLD=3`), the pyproject table, then the defaults below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from harness import HarnessSettings, build_settings

__all__ = ["ModelPrice", "Settings", "load_settings"]

_STRICT = ConfigDict(extra="forbid", frozen=True)


class BreakerSettings(BaseModel):
    model_config = _STRICT
    failure_threshold: int = Field(5, ge=1)
    reset_timeout_s: float = Field(60.0, gt=0)


class RetrySettings(BaseModel):
    model_config = _STRICT
    attempts: int = Field(3, ge=1, le=10)
    initial_s: float = Field(0.5, ge=0)
    max_s: float = Field(10.0, ge=0)
    jitter: bool = True

    @model_validator(mode="after")
    def _max_not_below_initial(self) -> RetrySettings:
        if self.max_s < self.initial_s:
            raise ValueError(f"max_s ({self.max_s}) must be >= initial_s ({self.initial_s})")
        return self


class TimeoutSettings(BaseModel):
    model_config = _STRICT
    fast_agent_s: float = Field(5.0, gt=0, description="supervisor, billing, general")
    technical_s: float = Field(15.0, gt=0)
    request_deadline_s: float = Field(30.0, gt=0)


class RateLimitSettings(BaseModel):
    model_config = _STRICT
    requests_per_minute: float = Field(100.0, gt=0)
    max_wait_s: float = Field(1.0, ge=0, description="how long a call may queue for a token")


class CacheSettings(BaseModel):
    model_config = _STRICT
    enabled: bool = True
    max_entries: int = Field(1024, ge=1)
    ttl_s: float = Field(3600.0, gt=0)
    stale_ttl_s: float = Field(
        86400.0, ge=0, description="how long an expired answer may serve as a fallback"
    )
    semantic: bool = False
    similarity_threshold: float = Field(0.85, gt=0, le=1)


class ModelSettings(BaseModel):
    model_config = _STRICT
    cheap: str = "gpt-4o-mini"
    strong: str = "gpt-4o"
    complex_min_words: int = Field(60, ge=1, description="a query this long goes to the strong model")


class ModelPrice(BaseModel):
    """USD per one million tokens."""

    model_config = _STRICT
    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


def _default_prices() -> dict[str, ModelPrice]:
    return {
        "gpt-4o-mini": ModelPrice(input_per_mtok=0.15, output_per_mtok=0.60),
        "gpt-4o": ModelPrice(input_per_mtok=2.50, output_per_mtok=10.00),
    }


class ResilienceSwitches(BaseModel):
    """Turn mechanisms off to prove, in tests and chaos runs, that each one matters."""

    model_config = _STRICT
    breaker: bool = True
    retry: bool = True
    timeouts: bool = True
    rate_limit: bool = True
    fallback: bool = True
    cache: bool = True
    idempotency: bool = True  # a node update delivered twice is applied once
    validation: bool = True  # the supervisor's route is checked before the graph follows it


class Settings(HarnessSettings):
    """Every threshold of the reference system."""

    model_config = SettingsConfigDict(
        env_prefix="SUPPORT_DESK_",
        env_nested_delimiter="__",
        extra="ignore",
        frozen=True,
        pyproject_toml_table_header=("tool", "support_desk"),
    )

    llm_base_url: str = "http://127.0.0.1:8400/v1"
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_http: Literal["httpx", "aiohttp"] | None = Field(
        None,
        description="how LLM calls travel; unset: httpx in process (respx and MockLLM see it), "
        "aiohttp in `harness serve` (about 1.2 ms less CPU a call)",
    )
    models: ModelSettings = ModelSettings()
    prices: dict[str, ModelPrice] = Field(default_factory=_default_prices)
    breaker: BreakerSettings = BreakerSettings()
    retry: RetrySettings = RetrySettings()
    timeouts: TimeoutSettings = TimeoutSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    cache: CacheSettings = CacheSettings()
    resilience: ResilienceSwitches = ResilienceSwitches()
    escalation_confidence: float = Field(0.7, ge=0, le=1, description="below this, a human takes over")
    max_discount_pct: float = Field(30.0, ge=0, le=100)
    answer_max_words: int = Field(150, ge=10)
    max_query_chars: int = Field(4000, ge=10)
    redact_llm_input: bool = True


def load_settings(pyproject: str | Path | None = None, **overrides: Any) -> Settings:
    """Build the settings; a bad value raises one-line `ConfigError` naming the setting."""
    return build_settings(Settings, pyproject, **overrides)
