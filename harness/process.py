"""Long-running processes of a test bed (stack parts, Locust, a system's service workers): they
must not outlive their parent, and their garbage collector must not be measured as latency.

CPython's full collections walk every tracked object. After the imports of LangGraph, FastAPI and
the openai SDK a service holds ~190,000 of them, none of which will ever be garbage, and under 50
concurrent requests a full collection paused its event loop for ~235 ms every ~7 s (measured with
`gc.callbacks`). `gc.freeze()` moves everything alive at start-up to a permanent generation that
collections skip: the same full collection then takes ~35 ms, and the P95 of the service's
per-request overhead fell by about a quarter (benchmarks/load_fidelity.py). Objects created later,
per request, are collected as before.

Where they listen: on loopback unless told otherwise. A server told to bind another address says
so on stderr, in one line naming what it exposes (`warn_if_exposed`), and the control APIs (the
mock LLM's `/_control`, the proxy's API) stay on loopback unless asked for by their own setting.
"""

from __future__ import annotations

import ctypes
import gc
import ipaddress
import signal
import sys

__all__ = [
    "connect_host",
    "die_with_parent",
    "freeze_startup_objects",
    "is_loopback",
    "is_wildcard",
    "warn_if_exposed",
]

# Bind addresses meaning "every interface", and where a local client reaches each.
_WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """`preexec_fn`: SIGTERM this child when its parent dies, even by SIGKILL (Linux; elsewhere a
    no-op), so a killed harness or service never leaves processes holding ports."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def freeze_startup_objects() -> int:
    """Collect once, then exempt every surviving object from later collections; returns how many."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def is_loopback(host: str) -> bool:
    """Whether a bind address reaches this machine only (127.0.0.0/8, ::1, localhost)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:  # a host name: it may resolve to anything, so it counts as exposed
        return False


def is_wildcard(host: str) -> bool:
    """Whether a bind address means every interface."""
    return host.strip() in _WILDCARDS


def connect_host(host: str) -> str:
    """Where a client on this machine connects to reach a server bound to `host` (a wildcard
    bind is reached on loopback)."""
    return _WILDCARDS.get(host.strip(), host)


def warn_if_exposed(host: str, what: str, *, prog: str) -> bool:
    """One line on stderr when `host` is not loopback, naming what other hosts can now reach;
    returns whether it warned."""
    if is_loopback(host):
        return False
    where = "every interface" if is_wildcard(host) else "a non-loopback address"
    print(f"{prog}: warning: binding {host or '*'} ({where}): {what}", file=sys.stderr, flush=True)
    return True
