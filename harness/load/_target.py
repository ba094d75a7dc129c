"""What a run loads: a stack started for it alone (the mock LLM and the declared system), or a system
already running on loopback (`--host`). Also the system's own cost counters, read before and after,
when it declares them (`[tool.harness.system.hooks] cost_metric`)."""

from __future__ import annotations

import ipaddress
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .._exceptions import HarnessError, LoadError
from ..sut import SystemDeclaration
from ._profiles import LoadProfile

if TYPE_CHECKING:
    from ..stack import Stack

__all__ = ["Target", "check_attached", "check_loopback", "scrape_costs"]


def check_loopback(host: str) -> str:
    """Load goes to this machine only: 127.0.0.0/8, ::1 or localhost."""
    parts = urlsplit(host if "://" in host else f"http://{host}")
    name = parts.hostname or ""
    try:
        loopback = name == "localhost" or ipaddress.ip_address(name).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme not in ("http", "https") or not loopback:
        raise LoadError(
            f"--host {host!r}: harness load only targets loopback (http://127.0.0.1:PORT); "
            "to load another host run locust -f harness/load/locustfile.py --host ... yourself"
        )
    return f"{parts.scheme}://{parts.netloc}"


def check_attached(
    host: str, stack: Path | None, reports: Path, declaration: SystemDeclaration, allow_dirty: bool
) -> list[str]:
    """The stack `host` belongs to (`--stack`, or the record of `harness stack up` under `reports`
    naming that system), checked before any load: a dead chaos run's faults are undone, a live
    run's and any other fault refused (StackError, exit 2), or with `allow_dirty` returned so the
    run is flagged. Nothing to check without a record (a system started by hand)."""
    from ..stack._clean import attached_record, guard

    record = attached_record(host, stack, reports)
    if record is None:
        return []

    def say(line: str) -> None:
        print(f"harness load: {line}", file=sys.stderr)

    dirty = guard(record, declaration, allow_dirty=allow_dirty, flag="--allow-dirty", say=say)
    if dirty:
        active = "; ".join(dirty)
        say(f"WARNING: loading a DIRTY stack (--allow-dirty): {active}; figures not the system's alone")
    return dirty


def llm_config(profile: LoadProfile, folder: Path) -> Path:
    """The mock LLM's config file for this run, validated by the server's own schema first."""
    from ..llm.server import parse_config

    data = profile.llm.server_config()
    try:
        parse_config(data, f"load profile {profile.name!r} llm")
    except HarnessError as exc:
        raise LoadError(f"{exc}; fix it in the profile's llm table") from None
    path = folder / "llm.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def scrape_costs(url: str, declaration: SystemDeclaration) -> dict[str, float] | None:
    """Per-agent cost so far from the system's Prometheus counter (`hooks.cost_metric`, a counter
    with an `agent` label at `hooks.metrics`); None if it declares none or has none."""
    metric = declaration.hooks.cost_metric
    if metric is None:
        return None
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = httpx.get(f"{url}{declaration.hooks.metrics}", timeout=5).raise_for_status().text
        families = list(text_string_to_metric_families(text))
    except (httpx.HTTPError, ValueError):
        return None
    costs = {
        sample.labels.get("agent", "?"): float(sample.value)
        for family in families
        if family.name == metric
        for sample in family.samples
        if sample.name == f"{metric}_total"
    }
    return costs or None


@dataclass
class Target:
    """A running target: `url` to load, the audit log to reconcile against, the stack if ours."""

    url: str
    audit_log: Path | None
    stack: Stack | None = None

    @classmethod
    def start(
        cls,
        profile: LoadProfile,
        folder: Path,
        host: str | None,
        audit_log: Path | None,
        declaration: SystemDeclaration,
    ) -> Target:
        if host is not None:
            return cls(check_loopback(host), audit_log)
        from ..stack import Stack

        config = llm_config(profile, folder)
        # No chaos proxy between the system and the LLM: a load run measures the system, not it.
        stack = Stack(
            folder,
            proxy=False,
            llm_args=["--config", str(config)],
            system_env=profile.env,
            declaration=declaration,
            health_timeout_s=max(60.0, declaration.serve.startup_timeout_s if declaration.serve else 0.0),
        )
        if not stack.with_system:
            raise LoadError(
                "the system declares no way to start it ([tool.harness.system.serve]); "
                "start it yourself and pass --host http://127.0.0.1:PORT"
            )
        stack.start()
        return cls(stack.service_url, stack.audit_log, stack)

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.stop()
