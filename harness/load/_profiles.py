"""Load profiles: users, spawn rate, duration, stages, the mock LLM's latency and faults, the mix.

Profiles are data: the packaged `profiles.toml` (smoke, steady, ramp, spike, soak), changed or
extended by `[tool.harness.load.profiles.NAME]` in pyproject.toml, a `--profiles FILE`, and
command-line flags, in that order (see the comment at the top of profiles.toml).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .._config import deep_merge, find_pyproject, read_toml, table
from .._exceptions import LoadError

#: The packaged profiles (shapes only: no system's env or mix).
PROFILES_FILE = Path(__file__).resolve().with_name("profiles.toml")

__all__ = ["LLMSetup", "LoadProfile", "Stage", "available_profiles", "load_profile"]

_STRICT = ConfigDict(extra="forbid", frozen=True)
_WHOLE = frozenset({"mix", "stages"})


class Stage(BaseModel):
    model_config = _STRICT
    users: int = Field(ge=1, le=10_000)
    duration_s: float = Field(gt=0, le=86_400)
    spawn_rate: float | None = Field(None, gt=0, le=10_000)


class LLMSetup(BaseModel):
    """The stack's mock LLM server: a latency profile per model, faults, a seed."""

    model_config = _STRICT
    latency: str = "fast"
    seed: int = 0
    models: dict[str, str] = Field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = Field(default_factory=dict)
    faults: list[dict[str, Any]] = Field(default_factory=list)

    def server_config(self) -> dict[str, Any]:
        """The document `harness llm --config` reads (validated by the server's own schema)."""
        latency = {"default": self.latency, "models": self.models, "profiles": self.profiles}
        return {"seed": self.seed, "latency": latency, "faults": self.faults}


class LoadProfile(BaseModel):
    model_config = _STRICT
    name: str
    description: str = ""
    users: int = Field(10, ge=1, le=10_000)
    spawn_rate: float = Field(10.0, gt=0, le=10_000)
    duration_s: float = Field(30.0, gt=0, le=86_400)
    stages: list[Stage] = Field(default_factory=list)
    wait_s: tuple[float, float] = (0.0, 0.0)
    warmup_s: float = Field(0.0, ge=0, le=86_400)
    stop_timeout_s: float = Field(45.0, ge=0, le=600)
    request_timeout_s: float = Field(40.0, gt=0, le=600)
    max_requests: int = Field(1_000_000, ge=1, le=100_000_000)
    workers: int = Field(0, ge=0, le=64)
    stream: bool = False  # send to the declared streaming endpoint and time its events
    llm: LLMSetup = Field(default_factory=LLMSetup)
    env: dict[str, str] = Field(default_factory=dict)
    mix: dict[str, float] = Field(default_factory=dict)
    sla: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> LoadProfile:
        low, high = self.wait_s
        if not 0 <= low <= high <= 3600:
            raise ValueError(
                f"wait_s must be [min, max] with 0 <= min <= max <= 3600, got {list(self.wait_s)}"
            )
        if self.warmup_s >= self.run_time_s:
            raise ValueError(
                f"warmup_s ({self.warmup_s:g}) must be shorter than the run ({self.run_time_s:g} s): "
                "nothing would be left to measure"
            )
        if self.stop_timeout_s < self.request_timeout_s:
            # Else a request still waiting at the end is killed unanswered and counted as lost.
            raise ValueError(
                f"stop_timeout_s ({self.stop_timeout_s:g}) must be at least request_timeout_s "
                f"({self.request_timeout_s:g})"
            )
        return self

    @property
    def run_time_s(self) -> float:
        return sum(s.duration_s for s in self.stages) if self.stages else self.duration_s

    @property
    def peak_users(self) -> int:
        return max(s.users for s in self.stages) if self.stages else self.users

    def stage_table(self) -> list[list[float]]:
        """`[until_s, users, spawn_rate]` rows, what the locustfile's shape reads."""
        rows, until = [], 0.0
        for stage in self.stages:
            until += stage.duration_s
            rows.append([until, stage.users, stage.spawn_rate or self.spawn_rate])
        return rows


def _sources(pyproject: Path | None, extra: Path | None) -> list[tuple[str, dict[str, Any]]]:
    """(name, {"defaults": {...}, "profiles": {...}}) in increasing precedence."""
    packaged = read_toml(PROFILES_FILE, LoadError)
    out = [(str(PROFILES_FILE.name), packaged)]
    if pyproject is not None:
        source = f"{pyproject} [tool.harness.load]"
        out.append((source, table(read_toml(pyproject, LoadError), "tool.harness.load", source=source)))
    if extra is not None:
        doc = read_toml(extra, LoadError)
        _only_known_tables(doc, str(extra))
        out.append((str(extra), doc))
    return out


def _only_known_tables(doc: Mapping[str, Any], name: str) -> None:
    """A profiles file holds [defaults] and [profiles.NAME]: a `[smoke.env]` would be ignored."""
    for key in doc:
        if key not in ("defaults", "profiles"):
            hint = f"[profiles.{key}]" if isinstance(doc[key], Mapping) else "[defaults] or [profiles.NAME]"
            raise LoadError(
                f"{name}: unknown table or key {key!r}; a profiles file holds [defaults] and "
                f"[profiles.NAME] (did you mean {hint}?)"
            )


def available_profiles(
    pyproject: str | Path | None = None, extra: str | Path | None = None
) -> dict[str, dict[str, Any]]:
    """Every profile by name, as merged raw tables (defaults applied), not yet validated."""
    found = Path(pyproject) if pyproject else find_pyproject()
    sources = _sources(found, Path(extra) if extra else None)
    defaults: dict[str, Any] = {}
    for name, doc in sources:
        defaults = deep_merge(defaults, table(doc, "defaults", source=name, error=LoadError), whole=_WHOLE)
    merged: dict[str, dict[str, Any]] = {}
    for name, doc in sources:
        for profile, body in table(doc, "profiles", source=name, error=LoadError).items():
            if not isinstance(body, Mapping):
                raise LoadError(f"{name}: [profiles.{profile}] must be a table")
            merged[profile] = deep_merge(merged.get(profile, defaults), body, whole=_WHOLE)
    return merged


def _describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    hint = " (unknown key: check the spelling)" if err["type"] == "extra_forbidden" else ""
    message = err["msg"].removeprefix("Value error, ") + hint
    return f"{where}: {message}" if where else message


def load_profile(
    name: str,
    *,
    pyproject: str | Path | None = None,
    extra: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> LoadProfile:
    """The named profile with every source and `overrides` (e.g. from flags) applied, validated."""
    profiles = available_profiles(pyproject, extra)
    if name not in profiles:
        raise LoadError(
            f"unknown load profile {name!r}; available: {', '.join(sorted(profiles))} "
            f"(add one under [tool.harness.load.profiles.{name}] in pyproject.toml)"
        )
    raw = deep_merge(
        profiles[name], {k: v for k, v in (overrides or {}).items() if v is not None}, whole=_WHOLE
    )
    try:
        return LoadProfile.model_validate({**raw, "name": name})
    except ValidationError as exc:
        raise LoadError(
            f"load profile {name!r}: {_describe(exc)}; fix it in profiles.toml, "
            f"[tool.harness.load.profiles.{name}] or the flag"
        ) from None
