"""Toxics: one module per type, each registered under its Toxiproxy type key."""

from __future__ import annotations

from . import bandwidth, latency, limit_data, noop, reset_peer, slicer, slow_close, timeout
from ._base import Direction, Stub, Toxic, ToxicWrapper, new_toxic, roll, toxic_types

__all__ = [
    "Direction",
    "Stub",
    "Toxic",
    "ToxicWrapper",
    "bandwidth",
    "latency",
    "limit_data",
    "new_toxic",
    "noop",
    "reset_peer",
    "roll",
    "slicer",
    "slow_close",
    "timeout",
    "toxic_types",
]
