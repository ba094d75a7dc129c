"""Child processes that must not outlive their parent (stack parts, Locust, service workers)."""

from __future__ import annotations

import ctypes
import signal

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """`preexec_fn`: SIGTERM this child when its parent dies, even by SIGKILL (Linux; elsewhere a
    no-op), so a killed harness or service never leaves processes holding ports."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass
