"""How fast a replay answers: `recorded` (as the endpoint did), `scaled:F` (F times that), `none`.

A stream's events are sent at their recorded offsets from the request (times the factor), so the
client measures the recorded time to first token; an unstreamed answer comes after its recorded
elapsed time.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..._exceptions import CassetteError

__all__ = ["Timing", "parse_timing"]


@dataclass(frozen=True, slots=True)
class Timing:
    """A replay's pace: `factor` times the recorded offsets (0: everything at once)."""

    factor: float = 1.0

    def seconds(self, t_ms: float) -> float:
        return self.factor * t_ms / 1000

    @property
    def is_none(self) -> bool:
        return self.factor == 0

    def __str__(self) -> str:
        return "none" if self.is_none else "recorded" if self.factor == 1 else f"scaled:{self.factor:g}"


def parse_timing(text: str | Timing | None) -> Timing:
    """`recorded` (default), `none`, or `scaled:F` with F >= 0 (`scaled:0.5`: twice as fast)."""
    if isinstance(text, Timing):
        return text
    value = (text or "recorded").strip()
    if value == "recorded":
        return Timing(1.0)
    if value == "none":
        return Timing(0.0)
    kind, _, factor = value.partition(":")
    try:
        scaled = float(factor)
    except ValueError:
        scaled = -1.0
    if kind != "scaled" or not scaled >= 0:
        raise CassetteError(f"timing {value!r}: give recorded, none or scaled:F (F >= 0, e.g. scaled:0.5)")
    return Timing(scaled)
