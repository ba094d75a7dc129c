"""The reference service's own settings: `[tool.harness.service]`, env `HARNESS_SERVICE_*`, flags."""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    PyprojectTomlConfigSettingsSource,
    SettingsConfigDict,
)

from .._exceptions import ConfigError
from ..reference._settings import _find_pyproject

__all__ = ["ServiceSettings", "load_service_settings"]


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HARNESS_SERVICE_",
        extra="ignore",
        frozen=True,
        pyproject_toml_table_header=("tool", "harness", "service"),
    )

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    requests_per_second: float = Field(500.0, gt=0, description="API rate limit; beyond it, 429")
    burst: int = Field(1000, ge=1)
    audit_log: str | None = Field(None, description="JSONL file of every request; none if unset")
    grace_s: float = Field(2.0, ge=0, description="added to the request deadline before a 503")
    chaos_control: bool = Field(False, description="expose /_control/handoff for chaos runs")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            PyprojectTomlConfigSettingsSource(settings_cls, _find_pyproject()),
        )


def load_service_settings(**overrides: Any) -> ServiceSettings:
    try:
        return ServiceSettings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"])
        raise ConfigError(
            f"invalid service setting {name} = {err.get('input')!r}: {err['msg']}; "
            f"fix it in [tool.harness.service], env HARNESS_SERVICE_{name.upper()} or the flag"
        ) from None
