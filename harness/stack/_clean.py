"""Faults on a running stack, seen live: what is active, `harness stack clean`, and the guard a run
passes before it attaches.

Live means read from the parts themselves, not from the journal: the mock LLM's fault rules and
latency config (`/_control/faults`, `/_control/latency`), every proxy's toxics and whether it is
enabled (`/proxies`), and the rules on the system's handoff hook (`hooks.handoff`). A fault set by
hand, by an older harness or by a killed run shows the same.

    guard(stack_json, declaration, who="load")   # before a run: lines to print; StackError to refuse
    clean(stack_json, declaration)               # `harness stack clean`: what it removed
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from .._exceptions import HarnessError, StackError
from ..sut import SystemDeclaration
from ._faults_journal import FaultEntry, journal_of, journal_path, owner_alive, undo
from ._stack import StackRecord, read_record

__all__ = ["active_faults", "attached_record", "clean", "clean_command", "describe_rule", "guard"]

_TIMEOUT = httpx.Timeout(5.0)
#: The name prefix of what chaos runs add (toxics, latency profiles): `harness.chaos._faults`.
CHAOS_PREFIX = "chaos-"


def _call(method: str, url: str, body: Any = None, *, missing_ok: bool = False) -> Any:
    """One control-API call; None for a 404 when `missing_ok` (a hook the system has turned off)."""
    try:
        resp = httpx.request(method, url, json=body, timeout=_TIMEOUT, trust_env=False)
    except httpx.HTTPError as exc:
        raise StackError(
            f"{method} {url}: {type(exc).__name__}; is the stack up? (`harness stack up`)"
        ) from None
    if missing_ok and resp.status_code in (404, 405):
        return None
    if resp.status_code >= 400:
        raise StackError(f"{method} {url}: {resp.status_code} {resp.text.strip()[:200]}")
    return resp.json() if resp.content else None


def _llm_root(record: StackRecord) -> str:
    return record.llm_url.removesuffix("/").removesuffix("/v1")


def _handoff_url(record: StackRecord, declaration: SystemDeclaration) -> str | None:
    hook = declaration.hooks.handoff
    return f"{record.service_url}{hook}" if hook and record.service_url else None


def describe_rule(rule: dict[str, Any]) -> str:
    """A mock LLM or handoff rule in a few words: "status 500 (p=0.5, target {'agent': 'x'})"."""
    kind = rule.get("kind")
    detail = f" {rule['status']}" if "status" in rule else ""
    target = rule.get("target") or rule.get("source")
    return f"{kind}{detail} (p={rule.get('probability', 1)}{f', target {target}' if target else ''})"


def _latency_changed(latency: dict[str, Any]) -> bool:
    """A latency profile a chaos run put in (its slow-tokens faults add one named chaos-...)."""
    named = {latency.get("default"), *latency.get("models", {}).values(), *latency.get("profiles", {})}
    return any(isinstance(n, str) and n.startswith(CHAOS_PREFIX) for n in named)


def active_faults(record: StackRecord, declaration: SystemDeclaration) -> list[str]:
    """Every fault active on the stack now, one line each (empty: clean)."""
    root, found = _llm_root(record), []
    found += [f"mock LLM rule {describe_rule(r)}" for r in _call("GET", f"{root}/_control/faults")["faults"]]
    latency = _call("GET", f"{root}/_control/latency")
    if _latency_changed(latency):
        found.append(f"mock LLM latency default={latency.get('default')} models={latency.get('models')}")
    if record.proxy_api_url:
        for name, proxy in (_call("GET", f"{record.proxy_api_url}/proxies") or {}).items():
            found += [f"toxic {t['name']} ({t['type']}) on proxy {name}" for t in proxy.get("toxics", [])]
            if not proxy.get("enabled", True):
                found.append(f"proxy {name} disabled")
    hook = _handoff_url(record, declaration)
    state = _call("GET", hook, missing_ok=True) if hook else None
    found += [f"handoff rule {describe_rule(r)}" for r in (state or {}).get("rules", [])]
    return found


def clean(stack_json: str | Path, declaration: SystemDeclaration) -> list[str]:
    """Remove every fault from the stack, whatever set it, and the journal; what was removed."""
    record = read_record(stack_json)
    removed = _clean_llm(_llm_root(record))
    if record.proxy_api_url:
        removed += _clean_proxies(record.proxy_api_url)
    hook = _handoff_url(record, declaration)
    state = _call("GET", hook, missing_ok=True) if hook else None
    if hook and state and state.get("rules"):
        _call("DELETE", hook)
        removed += [f"handoff rule {describe_rule(r)}" for r in state["rules"]]
    return removed + _clear_journal(stack_json)


def _clean_llm(root: str) -> list[str]:
    rules = _call("GET", f"{root}/_control/faults")["faults"]
    latency = _call("GET", f"{root}/_control/latency")
    # Back to the latency (and faults) the server started with, then no faults at all: a latency
    # a run changed is undone whatever its profile was called.
    _call("POST", f"{root}/_control/reset")
    _call("DELETE", f"{root}/_control/faults")
    removed = [f"mock LLM rule {describe_rule(r)}" for r in rules]
    if _call("GET", f"{root}/_control/latency") != latency:
        removed.append("mock LLM latency (back to its startup config)")
    return removed


def _clean_proxies(api: str) -> list[str]:
    removed = []
    for name, proxy in (_call("GET", f"{api}/proxies") or {}).items():
        for toxic in proxy.get("toxics", []):
            _call("DELETE", f"{api}/proxies/{name}/toxics/{toxic['name']}", missing_ok=True)
            removed.append(f"toxic {toxic['name']} on proxy {name}")
        if not proxy.get("enabled", True):
            _call("POST", f"{api}/proxies/{name}", {"enabled": True})
            removed.append(f"proxy {name} disabled (enabled again)")
    return removed


def _clear_journal(stack_json: str | Path) -> list[str]:
    try:
        with journal_of(stack_json) as journal:
            owners = sorted({e.owner_pid for e in journal.entries})
            count = len(journal.entries)
            journal.entries.clear()
    except HarnessError:  # not a journal: nothing in it can be trusted, and its faults are gone
        journal_path(stack_json).unlink(missing_ok=True)
        return [f"{journal_path(stack_json)} (unreadable)"]
    return [f"{count} journal entries (pid {', '.join(map(str, owners))})"] if count else []


def _refuse_live_owner(entries: list[FaultEntry], stack_json: str | Path) -> None:
    live = [e for e in entries if e.owner_pid != os.getpid() and owner_alive(e)]
    if live:
        e = live[0]
        raise StackError(
            f"{journal_path(stack_json)}: a running harness (pid {e.owner_pid}, `{e.owner}`, since "
            f"{e.started_at}) has set {e.what} on this stack; wait for it to finish or stop it "
            f"(kill {e.owner_pid}), then run again"
        )


def _clear_dead_owners(stack_json: str | Path) -> list[str]:
    """Undo the faults of runs that died with them still set; one line per owner cleared."""
    cleared: dict[int, list[FaultEntry]] = {}
    with journal_of(stack_json) as journal:
        _refuse_live_owner(journal.entries, stack_json)
        failed: HarnessError | None = None
        for entry in list(journal.entries):
            try:
                undo(entry)
            except HarnessError as exc:
                failed = exc
                break
            journal.entries.remove(entry)
            cleared.setdefault(entry.owner_pid, []).append(entry)
    if failed is not None:
        raise failed
    return [
        f"cleared {len(es)} fault(s) left by dead run pid {pid} (`{es[0].owner}`, since "
        f"{es[0].started_at}): {'; '.join(e.what for e in es)}"
        for pid, es in cleared.items()
    ]


def guard(
    stack_json: str | Path,
    declaration: SystemDeclaration,
    *,
    allow_dirty: bool = False,
    flag: str | None = None,
    say: Callable[[str], None] = print,
) -> list[str]:
    """Before a run attaches to a stack: a dead run's journaled faults are undone (and said); a
    live run's are refused; any other active fault is refused, or with `allow_dirty` returned
    (to flag the run), one line each. StackError, one line with the fix, when refused; `flag`
    names the caller's option that runs anyway."""
    for line in _clear_dead_owners(stack_json):
        say(line)
    active = active_faults(read_record(stack_json), declaration)
    if active and not allow_dirty:
        raise StackError(
            f"{stack_json}: faults this run did not set are active: {'; '.join(active)}; remove them "
            f"with `harness stack clean --stack {stack_json}`"
            + (f" (or pass {flag} to run anyway, flagged)" if flag else "")
        )
    return active


def _same_server(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    loop = {"localhost", "127.0.0.1", "::1"}
    same_host = pa.hostname == pb.hostname or {pa.hostname, pb.hostname} <= loop
    return same_host and pa.port == pb.port


def attached_record(host: str | None, stack: str | Path | None, reports: str | Path) -> Path | None:
    """The stack.json a run against a running system belongs to: `--stack`, else the default record
    (`REPORTS/stack/stack.json` of `harness stack up`) when its system is the one at `host`."""
    if stack is not None:
        path = Path(stack)
        return path / "stack.json" if path.is_dir() else path
    default = Path(reports) / "stack" / "stack.json"
    if host is None or not default.exists():
        return None
    try:
        record = read_record(default)
    except HarnessError:
        return None  # not a record of a stack: nothing to attach to
    return default if record.service_url and _same_server(record.service_url, host) else None


def clean_command(stack_json: str | Path, pyproject: str | None = None) -> int:
    """`harness stack clean`: one line of what was removed; 0 (a StackError is the CLI's exit 2)."""
    from ..sut import load_declaration

    removed = clean(stack_json, load_declaration(pyproject))
    print(f"removed: {'; '.join(removed)}" if removed else f"{stack_json}: no fault was active")
    return 0
