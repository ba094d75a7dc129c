"""One load run: the target (a fresh stack, or `--host` on loopback), Locust as subprocesses with a
live progress display, then the analysis. Every part is bounded in time and always stopped."""

from __future__ import annotations

import ipaddress
import json
import random
import string
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .._exceptions import HarnessError, LoadError
from ._analysis import Analysis, analyse
from ._locust import LocustProcesses, locust_env
from ._profiles import LoadProfile
from ._progress import LiveSamples, show_progress
from ._sla import SLA

__all__ = ["RunOptions", "check_loopback", "run_load"]


@dataclass
class RunOptions:
    profile: LoadProfile
    sla: SLA
    reports: Path = Path("reports")
    host: str | None = None  # an already running system on loopback; None: start the stack
    audit_log: Path | None = None  # with --host: its audit log, to reconcile against
    scenarios: Path | None = None
    progress: bool = True


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


def _llm_config(profile: LoadProfile, folder: Path) -> Path:
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


@contextmanager
def _target(options: RunOptions, folder: Path) -> Iterator[tuple[str, Path | None]]:
    """(base URL, audit log or None): the given host, or a stack started for this run alone."""
    if options.host is not None:
        yield check_loopback(options.host), options.audit_log
        return
    from ..stack import Stack

    config = _llm_config(options.profile, folder)
    # No chaos proxy between the service and the LLM: a load run measures the system, not the proxy.
    with Stack(
        folder,
        proxy=False,
        llm_args=["--config", str(config)],
        reference_env=options.profile.env,
        health_timeout_s=60,
    ) as stack:
        yield stack.service_url, stack.dir / "audit.jsonl"


def _run_locust(options: RunOptions, host: str, folder: Path, run_id: str) -> int:
    env = locust_env(options.profile, run_id=run_id, samples=folder / "raw", scenarios=options.scenarios)
    procs = LocustProcesses(options.profile, host=host, folder=folder, env=env)
    started = time.monotonic()
    procs.start()
    try:
        title = f"load {options.profile.name}"
        deadline = started + procs.hard_limit_s()
        show_progress(
            LiveSamples(folder / "raw"),
            total_s=options.profile.run_time_s,
            title=title,
            done=lambda: procs.poll() is not None or time.monotonic() > deadline,
            enabled=options.progress,
        )
        code = procs.wait(started)
    finally:
        procs.stop()
    if code != 0:
        raise LoadError(procs.failure(code))
    return code


def _header(options: RunOptions, run_id: str, host: str, started: datetime) -> dict[str, Any]:
    p = options.profile
    return {
        "id": run_id, "profile": p.name, "description": p.description,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "target": host, "stack": options.host is None, "users": p.peak_users, "spawn_rate": p.spawn_rate,
        "run_time_s": p.run_time_s, "stages": p.stage_table(), "workers": p.workers, "wait_s": list(p.wait_s),
        "llm": p.llm.model_dump() if options.host is None else None, "env": p.env, "locust_exit_code": 0,
    }  # fmt: skip


def run_load(options: RunOptions) -> Analysis:
    """Run the profile and analyse it; the report lands in `<reports>/load/<profile>-<time>-<id>/`."""
    run_id = "".join(random.choices(string.ascii_lowercase, k=8))
    started = datetime.now(UTC)
    folder = options.reports / "load" / f"{options.profile.name}-{started:%Y%m%d-%H%M%S}-{run_id}"
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    with _target(options, folder) as (host, audit_path):
        _run_locust(options, host, folder, run_id)
    return analyse(
        folder=folder, reports=options.reports, run=_header(options, run_id, host, started),
        profile=options.profile, sla=options.sla, audit_path=audit_path, scenarios=options.scenarios,
    )  # fmt: skip
