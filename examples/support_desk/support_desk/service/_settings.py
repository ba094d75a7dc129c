"""The reference service's own settings: `[tool.support_desk.service]`, env `SUPPORT_DESK_SERVICE_*`,
and flags."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from harness import HarnessSettings, build_settings

__all__ = ["ServiceSettings", "load_service_settings"]


class ServiceSettings(HarnessSettings):
    model_config = SettingsConfigDict(
        env_prefix="SUPPORT_DESK_SERVICE_",
        extra="ignore",
        frozen=True,
        pyproject_toml_table_header=("tool", "support_desk", "service"),
    )

    host: str = Field("127.0.0.1", description="bind address; any but loopback is warned about on start")
    port: int = Field(8000, ge=0, le=65535)
    requests_per_second: float = Field(500.0, gt=0, description="API rate limit; beyond it, 429")
    burst: int = Field(1000, ge=1)
    audit_log: str | None = Field(None, description="JSONL file of every request; none if unset")
    max_body_bytes: int = Field(1_048_576, ge=1, description="a request body over this gets 413")
    read_timeout_s: float = Field(
        5.0, gt=0, description="a request body not whole this long after its headers gets 408"
    )
    grace_s: float = Field(2.0, ge=0, description="added to the request deadline before a 503")
    chaos_control: bool = Field(False, description="expose /_control/handoff for chaos runs")
    workers: int = Field(
        1, ge=1, le=64, description="service processes on the port (one per core); chaos control needs 1"
    )


def load_service_settings(**overrides: Any) -> ServiceSettings:
    return build_settings(ServiceSettings, **{k: v for k, v in overrides.items() if v is not None})
