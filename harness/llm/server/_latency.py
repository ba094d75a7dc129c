"""Latency profiles: how long a model takes to its first token, and per token after that.

A profile is data::

    {"kind": "lognormal", "ttft_median_ms": 400, "ttft_sigma": 0.5, "ttft_max_ms": 5000,
     "per_token_ms": 15, "per_token_sigma": 0.2}

- `lognormal` (the default kind): time to first token (TTFT) = median * exp(sigma * Z), Z
  standard normal, so half the draws fall below the median and sigma sets the tail (0.5:
  p95 ~ 2.3x the median). `ttft_max_ms` caps the tail. The per-token time is drawn the same
  way around `per_token_ms` with `per_token_sigma` (0: always `per_token_ms`), once per reply.
  With `per_token_each = true` the per-token time is drawn afresh for every chunk instead (from
  a generator of its own, so the TTFT draws stay one per reply): chunk-to-chunk jitter, for
  measuring inter-token latency against a known distribution (benchmarks/stream_fidelity.py).
- `fixed`: exactly `ttft_median_ms` and `per_token_ms`, no randomness.
- `zero`: no delay at all (the server then answers without ever sleeping).

A reply of n output tokens takes TTFT + n * per_token; a stream sends its first content
after TTFT and spreads the per-token time over the chunks. Status errors and malformed
bodies answer at once, like a real gateway does.

Built-in profiles (`BUILTIN_PROFILES`): `zero`, `fast` (small model nearby), `realistic`
(a hosted gpt-4o-mini class model), `slow` (a large model on a busy day). A `LatencyConfig`
picks one per model (exact name or fnmatch pattern such as `gpt-4o*`) with a default, and
may add or override profiles. Draws come from a `random.Random` seeded by the server seed.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["BUILTIN_PROFILES", "ZERO", "Delay", "LatencyConfig", "LatencyProfile", "LatencySampler"]


class LatencyProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["lognormal", "fixed", "zero"] = "lognormal"
    ttft_median_ms: float = Field(0.0, ge=0, le=600_000)
    ttft_sigma: float = Field(0.0, ge=0, le=5)
    ttft_max_ms: float | None = Field(None, gt=0)
    per_token_ms: float = Field(0.0, ge=0, le=60_000)
    per_token_sigma: float = Field(0.0, ge=0, le=5)
    per_token_each: bool = False  # lognormal: a fresh per-token draw for every chunk

    @property
    def is_zero(self) -> bool:
        return self.kind == "zero" or (self.ttft_median_ms == 0 and self.per_token_ms == 0)


BUILTIN_PROFILES: dict[str, LatencyProfile] = {
    "zero": LatencyProfile(kind="zero"),
    "fast": LatencyProfile(ttft_median_ms=60, ttft_sigma=0.3, ttft_max_ms=1000, per_token_ms=3),
    "realistic": LatencyProfile(
        ttft_median_ms=450, ttft_sigma=0.5, ttft_max_ms=8000, per_token_ms=15, per_token_sigma=0.2
    ),
    "slow": LatencyProfile(
        ttft_median_ms=1500, ttft_sigma=0.6, ttft_max_ms=30000, per_token_ms=40, per_token_sigma=0.3
    ),
}


class LatencyConfig(BaseModel):
    """Which profile each model gets: `models` maps names or patterns to profile names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: str = "zero"
    models: dict[str, str] = Field(default_factory=dict)
    profiles: dict[str, LatencyProfile] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_profiles(self) -> LatencyConfig:
        known = self.all_profiles()
        wanted = [("default", self.default)] + [(f"models.{m}", p) for m, p in self.models.items()]
        for where, name in wanted:
            if name not in known:
                raise ValueError(
                    f"{where}: unknown latency profile {name!r}; known: {', '.join(sorted(known))}"
                )
        return self

    def all_profiles(self) -> dict[str, LatencyProfile]:
        return {**BUILTIN_PROFILES, **self.profiles}

    def profile_name(self, model: str) -> str:
        if model in self.models:
            return self.models[model]
        for pattern, name in self.models.items():
            if fnmatchcase(model, pattern):
                return name
        return self.default


@dataclass(frozen=True, slots=True)
class Delay:
    """One reply's timing, in seconds."""

    ttft_s: float
    per_token_s: float

    @property
    def is_zero(self) -> bool:
        return self.ttft_s == 0 and self.per_token_s == 0

    def total(self, tokens: int) -> float:
        return self.ttft_s + tokens * self.per_token_s

    def chunk_s(self, tokens: int) -> float:
        """How long a streamed chunk of `tokens` output tokens takes after the one before."""
        return tokens * self.per_token_s


ZERO = Delay(0.0, 0.0)


class PerChunkDelay(Delay):
    """A reply whose per-token time is drawn afresh for every chunk (`chunk_s`); `per_token_s`
    is the median, what a caller asking for one figure gets."""

    __slots__ = ("_rng", "_sigma")
    _sigma: float
    _rng: random.Random

    def __init__(self, ttft_s: float, median_ms: float, sigma: float, rng: random.Random) -> None:
        object.__setattr__(self, "ttft_s", ttft_s)
        object.__setattr__(self, "per_token_s", median_ms / 1000)
        object.__setattr__(self, "_sigma", sigma)
        object.__setattr__(self, "_rng", rng)

    def chunk_s(self, tokens: int) -> float:
        return tokens * _around(self.per_token_s * 1000, self._sigma, self._rng) / 1000

    def total(self, tokens: int) -> float:
        return self.ttft_s + self.chunk_s(tokens)


def _around(median_ms: float, sigma: float, rng: random.Random) -> float:
    if median_ms <= 0:
        return 0.0
    if sigma == 0:
        return median_ms
    return rng.lognormvariate(math.log(median_ms), sigma)


def draw_delay(profile: LatencyProfile, rng: random.Random, chunks: random.Random | None = None) -> Delay:
    """One draw from `profile`; `fixed` and `zero` profiles never touch `rng`; `chunks` draws
    the per-chunk times of a `per_token_each` profile (default: `rng`)."""
    if profile.is_zero:
        return ZERO
    if profile.kind == "fixed":
        return Delay(profile.ttft_median_ms / 1000, profile.per_token_ms / 1000)
    ttft = _around(profile.ttft_median_ms, profile.ttft_sigma, rng)
    if profile.ttft_max_ms is not None:
        ttft = min(ttft, profile.ttft_max_ms)
    if profile.per_token_each:
        return PerChunkDelay(ttft / 1000, profile.per_token_ms, profile.per_token_sigma, chunks or rng)
    per_token = _around(profile.per_token_ms, profile.per_token_sigma, rng)
    return Delay(ttft / 1000, per_token / 1000)


class LatencySampler:
    """Draws delays per model from a config, with its own seeded generator."""

    def __init__(self, config: LatencyConfig, seed: int) -> None:
        self.config = config
        self._profiles = config.all_profiles()
        self._rng = random.Random(f"{seed}:latency")  # str seeds hash the same in every run
        self._chunks = random.Random(f"{seed}:chunks")
        self._by_model: dict[str, LatencyProfile] = {}

    def profile_for(self, model: str) -> LatencyProfile:
        profile = self._by_model.get(model)
        if profile is None:
            profile = self._profiles[self.config.profile_name(model)]
            if len(self._by_model) < 10_000:  # models are few; a client inventing names is not
                self._by_model[model] = profile
        return profile

    def draw(self, model: str) -> Delay:
        return draw_delay(self.profile_for(model), self._rng, self._chunks)
