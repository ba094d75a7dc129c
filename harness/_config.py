"""Configuration in one place: every settings class reads, in order of precedence, keyword
arguments, environment variables, then its `[tool.harness.*]` table in the nearest
pyproject.toml. A bad value becomes one `ConfigError` line naming the setting and where to fix it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, PyprojectTomlConfigSettingsSource

from ._exceptions import ConfigError

__all__ = ["HarnessSettings", "build_settings", "find_pyproject"]

S = TypeVar("S", bound=BaseSettings)

# Which pyproject.toml to read; a ContextVar because pydantic-settings builds sources from the
# class, not from the call.
_PYPROJECT: ContextVar[Path | None] = ContextVar("harness_pyproject", default=None)


def find_pyproject() -> Path:
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "pyproject.toml").is_file():
            return folder / "pyproject.toml"
    return Path.cwd() / "pyproject.toml"


class HarnessSettings(BaseSettings):
    """Base of the harness's settings classes: keyword arguments > env > pyproject table."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        pyproject = PyprojectTomlConfigSettingsSource(settings_cls, _PYPROJECT.get() or find_pyproject())
        return (init_settings, env_settings, pyproject)


@contextmanager
def _reading(pyproject: str | Path | None) -> Iterator[None]:
    token = _PYPROJECT.set(Path(pyproject) if pyproject else None)
    try:
        yield
    finally:
        _PYPROJECT.reset(token)


def build_settings(cls: type[S], pyproject: str | Path | None = None, **overrides: Any) -> S:
    """`cls(**overrides)`, with a bad value turned into a one-line `ConfigError`."""
    with _reading(pyproject):
        try:
            return cls(**overrides)
        except ValidationError as exc:
            raise ConfigError(_one_line(exc, cls)) from None


def _one_line(exc: ValidationError, cls: type[BaseSettings]) -> str:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    dotted = ".".join(loc) or "settings"
    config = cls.model_config
    delimiter = config.get("env_nested_delimiter") or "_"
    env = f"{config.get('env_prefix', '')}{delimiter.join(loc).upper()}"
    table = ".".join(config.get("pyproject_toml_table_header") or ())
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return (
        f"invalid setting {dotted} = {err.get('input')!r}: {err['msg']}; "
        f"fix it in [{table}] or env {env}{more}"
    )
