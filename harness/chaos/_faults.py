"""Injectors: one per fault family, each with `inject()` and an idempotent `rollback()`.

    network   toxics (or `enabled: false`) on the proxy's "llm" proxy, via its Toxiproxy API
    llm       fault rules or a latency profile on the mock LLM's control API
    handoff   rules on the system's handoff hook (`[tool.harness.system.hooks] handoff`)

They are synchronous on purpose: a rollback runs in a `finally` block, often while the run is
being cancelled, and a plain blocking call cannot itself be cancelled half-way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from .._exceptions import ChaosError
from ..sut import SystemDeclaration, load_declaration
from ._kinds import fault_json
from ._schema import Method

__all__ = ["Injector", "Targets", "injector_for", "latency_config", "leftovers", "rollback_action"]

_TIMEOUT = httpx.Timeout(5.0)
TOXIC_PREFIX = "chaos-"
LATENCY_PROFILE = "chaos-slow-tokens"


@dataclass(frozen=True)
class Targets:
    """Where the system under chaos lives; every URL must be on 127.0.0.1."""

    service_url: str
    llm_url: str  # the mock LLM's /v1 base; its control API is at the root
    proxy_api_url: str
    proxy: str = "llm"
    audit_log: str | None = None
    declaration: SystemDeclaration = field(default_factory=lambda: load_declaration(), compare=False)
    journal: str | None = None  # an attached stack's faults.json: faults are journaled (_journaled.py)
    spans: str | None = None  # the stack's spans.jsonl, for a system declared `traces = true`

    def __post_init__(self) -> None:
        for name in ("service_url", "llm_url", "proxy_api_url"):
            host = urlsplit(getattr(self, name)).hostname
            if host != "127.0.0.1":
                raise ChaosError(f"{name} {getattr(self, name)!r}: chaos runs only target 127.0.0.1")

    @property
    def llm_root(self) -> str:
        return self.llm_url.removesuffix("/").removesuffix("/v1")

    @property
    def handoff_url(self) -> str | None:
        """The system's handoff hook, if it declares one."""
        hook = self.declaration.hooks.handoff
        return f"{self.service_url}{hook}" if hook else None


class Injector(Protocol):
    def inject(self) -> None: ...

    def counts(self) -> dict[str, Any] | None:
        """What the fault did so far, read from its target while it is still active:
        `{"counted_by", "unit", "hits", "eligible" (None: unknown)}`, or None if uncountable."""
        ...

    def rollback(self) -> None: ...


def _call(method: str, url: str, body: Any = None, ok: tuple[int, ...] = (200, 201, 204)) -> Any:
    """One control-API call; a refusal is a ChaosError quoting the API's own message."""
    try:
        resp = httpx.request(method, url, json=body, timeout=_TIMEOUT, trust_env=False)
    except httpx.HTTPError as exc:
        raise ChaosError(f"{method} {url}: {type(exc).__name__}: {exc}") from None
    if resp.status_code not in ok:
        raise ChaosError(f"{method} {url}: {resp.status_code} {resp.text.strip()[:300]}")
    return resp.json() if resp.content else None


def _retrying(action: Any, attempts: int = 3) -> None:
    # A rollback must not give up on the first hiccup of a loaded machine.
    for attempt in range(1, attempts + 1):
        try:
            action()
            return
        except ChaosError:
            if attempt == attempts:
                raise
            time.sleep(0.2 * attempt)


class NetworkInjector:
    def __init__(self, method: Method, targets: Targets) -> None:
        self.fault, self.intensity = method.fault, method.intensity
        self.proxy_url = f"{targets.proxy_api_url}/proxies/{method.target.proxy or targets.proxy}"
        self.added: list[str] = []
        self.disabled = False

    def _toxics(self) -> list[dict[str, Any]]:
        f = fault_json(self.fault)
        kind, stream = f.pop("kind"), f.pop("stream", "downstream")
        attrs = _TOXIC_ATTRIBUTES[kind](f)
        toxics = [(kind if kind != "jitter" else "latency", attrs)]
        if kind == "slow_close" and "cut_after_bytes" in f:
            # limit_data first, so its close is the one slow_close holds back.
            toxics.insert(0, ("limit_data", {"bytes": f["cut_after_bytes"]}))
        streams = ["upstream", "downstream"] if stream == "both" else [stream]
        return [
            {
                "name": f"{TOXIC_PREFIX}{t}-{s}",
                "type": t,
                "stream": s,
                "toxicity": self.intensity,
                "attributes": a,
            }
            for s in streams
            for t, a in toxics
        ]

    def inject(self) -> None:
        if self.fault.kind == "down":
            self.disabled = True  # set first: a half-done call must still be undone
            _call("POST", self.proxy_url, {"enabled": False})
            return
        for toxic in self._toxics():
            self.added.append(toxic["name"])
            _call("POST", f"{self.proxy_url}/toxics", toxic)

    def counts(self) -> dict[str, Any] | None:
        if self.fault.kind == "down":
            return None  # a disabled proxy listens to nobody: nothing counts the refusals
        hits = [_call("GET", f"{self.proxy_url}/toxics/{name}/hits") for name in self.added]
        chunks = sum(int(h.get("chunks", 0)) for h in hits)
        return {"counted_by": "proxy toxics", "unit": "chunk", "hits": chunks, "eligible": None}

    def rollback(self) -> None:
        for name in reversed(self.added):
            _retrying(lambda name=name: _call("DELETE", f"{self.proxy_url}/toxics/{name}", ok=(204, 404)))
        self.added.clear()
        if self.disabled:
            _retrying(lambda: _call("POST", self.proxy_url, {"enabled": True}))
            self.disabled = False


_TOXIC_ATTRIBUTES: dict[str, Any] = {
    "latency": lambda f: {"latency": f["latency_ms"], "jitter": f.get("jitter_ms", 0)},
    "jitter": lambda f: {"latency": f.get("latency_ms", 0), "jitter": f["jitter_ms"]},
    "bandwidth": lambda f: {"rate": f["rate_kbps"]},
    "timeout": lambda f: {"timeout": f.get("timeout_ms", 0)},
    "reset_peer": lambda f: {"timeout": f.get("timeout_ms", 0)},
    "slow_close": lambda f: {"delay": f["delay_ms"]},
    "limit_data": lambda f: {"bytes": f["bytes"]},
}


class LLMInjector:
    def __init__(self, method: Method, targets: Targets) -> None:
        self.method, self.root = method, targets.llm_root
        self.saved_latency: dict[str, Any] | None = None
        self.faults_set = False
        self.by_model: dict[str, int] = {}  # completions by model when a latency fault began

    def _rule(self) -> dict[str, Any]:
        f = fault_json(self.method.fault)
        rule: dict[str, Any] = {"kind": f.pop("kind"), "probability": self.method.intensity}
        if "retry_after_s" in f:
            rule["retry_after"] = f.pop("retry_after_s")
        rule.update(f)
        target = self.method.target.model_dump(include={"agent", "model", "route"}, exclude_none=True)
        if target:
            rule["target"] = target
        return rule

    def inject(self) -> None:
        if self.method.fault.kind == "slow_tokens":
            current = _call("GET", f"{self.root}/_control/latency")
            self.saved_latency = {k: current[k] for k in ("default", "models", "profiles") if k in current}
            self.by_model = _call("GET", f"{self.root}/_control/stats")["by_model"]
            _call("PUT", f"{self.root}/_control/latency", self._slow_latency(self.saved_latency))
            return
        self.faults_set = True
        _call("PUT", f"{self.root}/_control/faults", {"faults": [self._rule()]})

    def counts(self) -> dict[str, Any] | None:
        if self.method.fault.kind == "slow_tokens":
            # Every completion of a slowed model is slowed: completions since the start are hits.
            now = _call("GET", f"{self.root}/_control/stats")["by_model"]
            patterns = self.method.target.model or ["*"]
            slowed = [m for m in now if any(fnmatchcase(m, p) for p in patterns)]
            hits = sum(now[m] - self.by_model.get(m, 0) for m in slowed)
            return {"counted_by": "mock LLM completions", "unit": "LLM call", "hits": hits, "eligible": hits}
        counts = _call("GET", f"{self.root}/_control/faults").get("counts") or [{}]
        rule = counts[0]  # the only rule this injector set
        return {
            "counted_by": "mock LLM rule",
            "unit": "LLM call",
            "hits": int(rule.get("fired", 0)),
            "eligible": rule.get("eligible"),
        }

    def _slow_latency(self, saved: dict[str, Any]) -> dict[str, Any]:
        profile = self.method.fault.profile  # type: ignore[union-attr]
        name = profile if isinstance(profile, str) else LATENCY_PROFILE
        profiles = dict(saved.get("profiles", {}))
        if not isinstance(profile, str):
            profiles[LATENCY_PROFILE] = profile.model_dump(mode="json", exclude_none=True)
        models = dict(saved.get("models", {}))
        default = saved.get("default", "zero")
        if self.method.target.model:
            models.update({pattern: name for pattern in self.method.target.model})
        else:
            default, models = name, {}
        return {"default": default, "models": models, "profiles": profiles}

    def rollback(self) -> None:
        if self.faults_set:
            _retrying(lambda: _call("DELETE", f"{self.root}/_control/faults"))
            self.faults_set = False
        if self.saved_latency is not None:
            saved = self.saved_latency
            _retrying(lambda: _call("PUT", f"{self.root}/_control/latency", saved))
            self.saved_latency = None


class HandoffInjector:
    def __init__(self, method: Method, targets: Targets) -> None:
        if targets.handoff_url is None:
            raise ChaosError(
                "a handoff fault needs the system's handoff hook: declare [tool.harness.system.hooks] "
                "handoff = '/path' (docs/handoff-hook.md), or leave handoff experiments out"
            )
        self.method, self.url = method, targets.handoff_url
        self.set = False

    def inject(self) -> None:
        f = fault_json(self.method.fault)
        rule = {"kind": f.pop("kind"), "probability": self.method.intensity, **f}
        if self.method.target.source:
            rule["source"] = self.method.target.source
        self.set = True
        _call("PUT", self.url, {"seed": 0, "rules": [rule]})

    def counts(self) -> dict[str, Any] | None:
        state = _call("GET", self.url)
        fired = state.get("fired")
        if not isinstance(fired, dict):
            return None  # a hook that does not count
        seen = state.get("seen")
        return {
            "counted_by": "handoff hook",
            "unit": "handoff",
            "hits": sum(int(n) for n in fired.values()),
            "eligible": seen if isinstance(seen, int) else None,
        }

    def rollback(self) -> None:
        if self.set:
            _retrying(lambda: _call("DELETE", self.url))
            self.set = False


def injector_for(method: Method, targets: Targets) -> Injector:
    injector = _injector_for(method, targets)
    if targets.journal is None:
        return injector
    from ._journaled import Journaled  # hook: the stack's fault journal (imports this module)

    return Journaled(injector, targets.journal)


def _injector_for(method: Method, targets: Targets) -> Injector:
    family = method.family
    if family == "network":
        return NetworkInjector(method, targets)
    if family == "llm":
        return LLMInjector(method, targets)
    return HandoffInjector(method, targets)


def rollback_action(name: str, targets: Targets, latency_baseline: dict[str, Any] | None) -> None:
    """A file's extra rollback, by name (`ROLLBACKS`): undo a whole kind of state, not one fault."""
    proxy_url = f"{targets.proxy_api_url}/proxies/{targets.proxy}"
    if name == "remove_toxics":
        for toxic in _call("GET", f"{proxy_url}/toxics"):
            if toxic["name"].startswith(TOXIC_PREFIX):
                _call("DELETE", f"{proxy_url}/toxics/{toxic['name']}", ok=(204, 404))
    elif name == "enable_proxy":
        _call("POST", proxy_url, {"enabled": True})
    elif name == "clear_llm_faults":
        _call("DELETE", f"{targets.llm_root}/_control/faults")
    elif name == "restore_llm_latency" and latency_baseline is not None:
        _call("PUT", f"{targets.llm_root}/_control/latency", latency_baseline)
    elif name == "clear_handoff" and targets.handoff_url is not None:
        _call("DELETE", targets.handoff_url)


def latency_config(targets: Targets) -> dict[str, Any]:
    current = _call("GET", f"{targets.llm_root}/_control/latency")
    return {k: current[k] for k in ("default", "models", "profiles") if k in current}


def leftovers(targets: Targets, latency_baseline: dict[str, Any] | None = None) -> list[str]:
    """Whatever chaos state is still active on the stack (empty when clean): toxics, a
    disabled proxy, LLM fault rules, a changed latency config, handoff rules."""
    found = []
    proxy = _call("GET", f"{targets.proxy_api_url}/proxies/{targets.proxy}")
    found += [f"toxic {t['name']} on proxy {targets.proxy}" for t in proxy.get("toxics", [])]
    if not proxy.get("enabled", True):
        found.append(f"proxy {targets.proxy} is disabled")
    faults = _call("GET", f"{targets.llm_root}/_control/faults").get("faults", [])
    found += [f"mock LLM fault {rule.get('kind')}" for rule in faults]
    latency = latency_config(targets)
    if LATENCY_PROFILE in (latency.get("default"), *latency.get("models", {}).values()) or (
        latency_baseline is not None and latency != latency_baseline
    ):
        found.append(f"mock LLM latency config changed: {latency}")
    if targets.handoff_url is not None:
        rules = _call("GET", targets.handoff_url).get("rules", [])
        found += [f"handoff rule {rule.get('kind')}" for rule in rules]
    return found
