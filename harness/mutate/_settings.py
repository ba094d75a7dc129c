"""`[tool.harness.mutate]`: what `harness mutate` mutates and runs, and how long it may take.

    [tool.harness.mutate]
    packages = ["my_pkg"]          # default: the declaration's `coverage` packages
    modules = ["my_pkg/_retry.py"] # files (globs, or dotted names) to mutate; default: all
    tiers = ["unit", "integration"]  # cheapest first; a mutant killed by one skips the rest
    sample = 200                   # that many mutants drawn with `seed`; false: all
    seed = 0
    budget_s = 1200                # no new mutant starts after this; false: no limit
    workers = 2                    # mutants at once, in `parallel_tiers` only
    parallel_tiers = ["unit"]      # tiers safe to run twice at once (no shared ports, folders)
    timeout_factor = 3.0           # a run is cut at factor x the tier's un-mutated time + 10 s
    pytest_args = []               # added to every tier's pytest command

Env `HARNESS_MUTATE_<KEY>` and the CLI flags override it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from .._config import HarnessSettings, build_settings

__all__ = ["TIER_ORDER", "MutateSettings", "load_mutate_settings"]

#: Cheapest first: the order the tiers run a mutant in, whatever order they are named in.
TIER_ORDER = ("unit", "integration", "system", "chaos")


class MutateSettings(HarnessSettings):
    model_config = SettingsConfigDict(
        env_prefix="HARNESS_MUTATE_",
        extra="forbid",
        frozen=True,
        pyproject_toml_table_header=("tool", "harness", "mutate"),
    )

    packages: list[str] = Field(default_factory=list)
    modules: list[str] = Field(default_factory=list)
    tiers: list[str] = Field(default_factory=lambda: ["unit", "integration"], min_length=1)
    sample: int | None = Field(None, ge=1)
    seed: int = 0
    budget_s: float | None = Field(None, gt=0)
    workers: int = Field(2, ge=1, le=32)
    parallel_tiers: list[str] = Field(default_factory=lambda: ["unit"])
    timeout_factor: float = Field(3.0, ge=1)
    pytest_args: list[str] = Field(default_factory=list)

    @field_validator("sample", "budget_s", mode="before")
    @classmethod
    def _false_is_off(cls, value: Any) -> Any:
        return None if value is False or value in ("false", "off") else value

    @field_validator("tiers", "parallel_tiers")
    @classmethod
    def _known_tiers(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in TIER_ORDER]
        if unknown:
            raise ValueError(f"unknown tier {unknown[0]!r}; choose from {', '.join(TIER_ORDER)}")
        return sorted(set(value), key=TIER_ORDER.index)


def load_mutate_settings(pyproject: str | Path | None = None, **overrides: Any) -> MutateSettings:
    return build_settings(MutateSettings, pyproject, **overrides)
