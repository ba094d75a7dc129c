"""Configuration in one place: every settings class reads, in order of precedence, keyword
arguments, environment variables, then its `[tool.harness.*]` table in the nearest
pyproject.toml. A bad value becomes one `ConfigError` line naming the setting and where to fix it.
Tables that are data rather than settings (load profiles, SLA tables) are read with `read_toml`
and `table`, and layered with `deep_merge`.
"""

from __future__ import annotations

import difflib
import tomllib
import typing
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, PyprojectTomlConfigSettingsSource

from ._exceptions import ConfigError, HarnessError

__all__ = ["HarnessSettings", "build_settings", "deep_merge", "find_pyproject", "read_toml", "table"]

S = TypeVar("S", bound=BaseSettings)

# Which pyproject.toml to read; a ContextVar because pydantic-settings builds sources from the
# class, not from the call.
_PYPROJECT: ContextVar[Path | None] = ContextVar("harness_pyproject", default=None)


def find_pyproject(start: str | Path | None = None) -> Path | None:
    """The nearest pyproject.toml at or above `start` (default: the working directory), or None."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return folder / "pyproject.toml"
    return None


def read_toml(path: str | Path, error: type[HarnessError] = ConfigError) -> dict[str, Any]:
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None


def table(
    doc: Mapping[str, Any], dotted: str, *, source: str, error: type[HarnessError] = ConfigError
) -> dict[str, Any]:
    """`doc[a][b][c]` for `dotted = "a.b.c"`, or {} when absent; a non-table there is an error."""
    node: Any = doc
    for key in dotted.split("."):
        if not isinstance(node, Mapping):
            raise error(f"{source}: [{dotted}] must be a table")
        node = node.get(key, {})
    if not isinstance(node, Mapping):
        raise error(f"{source}: [{dotted}] must be a table, got {type(node).__name__}")
    return dict(node)


def deep_merge(
    base: Mapping[str, Any], top: Mapping[str, Any], *, whole: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """`top` over `base`; nested tables merge key by key, except the keys in `whole` (replaced)."""
    out = dict(base)
    for key, value in top.items():
        if key not in whole and isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


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
        path = _PYPROJECT.get() or find_pyproject() or Path.cwd() / "pyproject.toml"
        pyproject = PyprojectTomlConfigSettingsSource(settings_cls, path)
        return (init_settings, env_settings, pyproject)


@contextmanager
def _reading(pyproject: str | Path | None) -> Iterator[None]:
    token = _PYPROJECT.set(Path(pyproject) if pyproject else None)
    try:
        yield
    finally:
        _PYPROJECT.reset(token)


def build_settings(cls: type[S], pyproject: str | Path | None = None, **overrides: Any) -> S:
    """`cls(**overrides)`, with a bad value, or a pyproject that is not TOML, turned into a
    one-line `ConfigError`."""
    path = Path(pyproject) if pyproject else find_pyproject()
    if path is not None and path.exists():
        read_toml(path)  # a broken file: one line naming it, not a parser's traceback
    with _reading(pyproject):
        try:
            return cls(**overrides)
        except ValidationError as exc:
            raise ConfigError(_one_line(exc, cls)) from None


def _one_line(exc: ValidationError, cls: type[BaseSettings]) -> str:
    # A typo first: an unknown key usually explains the missing one beside it.
    err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
    loc = [str(p) for p in err["loc"]]
    dotted = ".".join(loc) or "settings"
    config = cls.model_config
    delimiter = config.get("env_nested_delimiter") or "_"
    env = f"{config.get('env_prefix', '')}{delimiter.join(loc).upper()}"
    table = ".".join(config.get("pyproject_toml_table_header") or ())
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    if err["type"] == "extra_forbidden":  # a typo, most often: name the key it was meant to be
        known = _known_keys(cls, loc[:-1])
        near = difflib.get_close_matches(loc[-1], known, n=1)
        hint = f"did you mean {near[0]!r}?" if near else f"known: {', '.join(sorted(known))}"
        return f"unknown setting {dotted} in [{table}]: {hint}{more}"
    return (
        f"invalid setting {dotted} = {err.get('input')!r}: {err['msg']}; "
        f"fix it in [{table}] or env {env}{more}"
    )


def _known_keys(cls: type[BaseModel], path: list[str]) -> list[str]:
    """The field names of the model at `path` under `cls` (its nested tables followed)."""
    model: type[BaseModel] | None = cls
    for key in path:
        field = model.model_fields.get(key) if model is not None else None
        annotation = getattr(field, "annotation", None)
        inner = [a for a in (*typing.get_args(annotation), annotation) if isinstance(a, type)]
        model = next((a for a in inner if issubclass(a, BaseModel)), None)
    return list(model.model_fields) if model is not None else []
