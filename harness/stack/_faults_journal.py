"""The fault journal: `faults.json` beside a stack's `stack.json`, one entry per fault a run has set.

A chaos run attached to a stack writes an entry *before* it sets a fault (who: its pid and the
kernel's start time of that pid; what and where: the rules or toxics as sent, and the control-API
calls that undo them) and removes it once the fault is rolled back. A run killed in between
(SIGKILL: no `finally`, no atexit) leaves the entry, so the next run on the stack knows whose
fault it is: a dead owner's is undone (`harness.stack._clean.guard`), a live owner's is refused.

    with journal_of(stack_json) as journal:      # flock'd; written back atomically on exit
        journal.entries.append(entry)

Every change is a read-modify-write under an exclusive `flock`, so a run clearing a dead owner's
entries never loses one another run is adding.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

from .._exceptions import HarnessError, StackError
from .._files import TypedFile
from ._process import pid_alive

__all__ = [
    "JOURNAL",
    "FaultEntry",
    "FaultJournal",
    "Undo",
    "journal_of",
    "journal_path",
    "new_entry",
    "owner_alive",
    "undo",
]

JOURNAL = "faults.json"
_TIMEOUT = httpx.Timeout(5.0)


class Undo(BaseModel):
    """One control-API call that takes the fault away (a 404 counts as done: already gone)."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["DELETE", "PUT", "POST"]
    url: str
    body: Any = None


class FaultEntry(BaseModel):
    """A fault one run set on the stack, and how to remove it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    owner_pid: int
    # The kernel's start time of the owner (clock ticks since boot, /proc/PID/stat): a pid the
    # kernel has since given to another process is not taken for a live owner. None: not Linux.
    owner_started: int | None = None
    owner: str  # what set it, e.g. "harness chaos llm-500"
    started_at: str  # ISO 8601, UTC
    where: Literal["mock_llm", "proxy", "handoff"]
    what: str  # one human line: "mock LLM rule status 500 (p=0.5)"
    set: list[dict[str, Any]] = Field(default_factory=list)  # the rules or toxics as sent
    undo: list[Undo]


class FaultJournal(TypedFile):
    """`faults.json`: the faults runs have set on this stack and not yet removed."""

    SCHEMA: ClassVar[str] = "harness.faults/1"
    ERROR: ClassVar[type[HarnessError]] = StackError
    FIX: ClassVar[str] = "remove every fault and the journal with `harness stack clean`"

    entries: list[FaultEntry] = Field(default_factory=list)


def journal_path(stack_json: str | Path) -> Path:
    """`faults.json` beside `stack.json` (or in the folder `stack_json`)."""
    path = Path(stack_json)
    return (path if path.is_dir() else path.parent) / JOURNAL


@contextmanager
def journal_of(stack_json: str | Path) -> Iterator[FaultJournal]:
    """The journal, locked against other runs; written back on exit (removed when empty)."""
    path = journal_path(stack_json)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / f".{JOURNAL}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        journal = FaultJournal.read(path) if path.exists() else FaultJournal()
        before = journal.dumps()
        yield journal
        if not journal.entries:
            path.unlink(missing_ok=True)
        elif journal.dumps() != before:
            journal.write(path)


def _started(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime); the fields after the ")" that closes the command name start at 3.
    return int(stat.rsplit(")", 1)[1].split()[19])


def new_entry(
    where: Literal["mock_llm", "proxy", "handoff"],
    what: str,
    undo: list[Undo],
    *,
    owner: str,
    set: list[dict[str, Any]] | None = None,
) -> FaultEntry:
    """An entry owned by this process, started now."""
    pid = os.getpid()
    return FaultEntry(
        id=f"{pid}-{time.time_ns()}",
        owner_pid=pid,
        owner_started=_started(pid),
        owner=owner,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        where=where,
        what=what,
        set=set or [],
        undo=undo,
    )


def owner_alive(entry: FaultEntry) -> bool:
    """Whether the process that set the fault still runs (the same process, not its pid reused)."""
    if not pid_alive(entry.owner_pid):
        return False
    return entry.owner_started is None or _started(entry.owner_pid) in (None, entry.owner_started)


def undo(entry: FaultEntry) -> None:
    """Make the entry's undo calls; StackError, one line, if one cannot be made."""
    for call in entry.undo:
        where = f"cannot remove {entry.what} left by pid {entry.owner_pid}: {call.method} {call.url}"
        try:
            resp = httpx.request(call.method, call.url, json=call.body, timeout=_TIMEOUT, trust_env=False)
        except httpx.HTTPError as exc:
            raise StackError(
                f"{where}: {type(exc).__name__}; is the stack still up? "
                "(`harness stack down`, then `harness stack up`)"
            ) from None
        if resp.status_code >= 400 and resp.status_code != 404:
            raise StackError(f"{where}: {resp.status_code} {resp.text.strip()[:200]}")
