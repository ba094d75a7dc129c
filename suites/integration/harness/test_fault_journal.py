"""The fault journal and the guard, on a mock LLM and a proxy in threads (no system, no stack
processes): a dead owner's faults are undone by the next run, a live owner's refused, a fault
nobody journaled refused with the fix, and `clean` removes everything whatever set it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness._exceptions import StackError
from harness.chaos._faults import Targets, injector_for
from harness.chaos._journaled import Journaled
from harness.chaos._schema import Method
from harness.llm.server import ServerConfig, start_in_thread
from harness.proxy import run_in_thread
from harness.stack import StackRecord
from harness.stack._clean import active_faults, attached_record, clean, guard
from harness.stack._faults_journal import FaultJournal, Undo, journal_of, journal_path, new_entry
from harness.sut import load_declaration

pytestmark = pytest.mark.harness_self

RULE = {"kind": "status", "status": 500, "probability": 0.5}


class Parts:
    """A mock LLM and a proxy (its "llm" proxy in front of the LLM), recorded as a stack.json."""

    def __init__(self, folder: Path, llm_url: str, proxy_url: str) -> None:
        self.llm_root, self.proxy_url = llm_url.removesuffix("/v1"), proxy_url
        self.stack_json = folder / "stack" / "stack.json"
        StackRecord(
            system="parts", llm_url=llm_url, service_url=None, service_llm_url=llm_url,
            proxy_api_url=proxy_url, audit_log=None, pids={}, owner_pid=os.getpid(),
        ).write(self.stack_json)  # fmt: skip

    def set_rule(self) -> None:
        httpx.put(f"{self.llm_root}/_control/faults", json={"faults": [RULE]}, timeout=5).raise_for_status()

    def rules(self) -> list[dict[str, object]]:
        return list(httpx.get(f"{self.llm_root}/_control/faults", timeout=5).json()["faults"])

    def journal(self, *pids: int) -> None:
        """A journal entry for the rule, owned by each pid (as if that process had set it)."""
        with journal_of(self.stack_json) as journal:
            for pid in pids:
                entry = new_entry(
                    "mock_llm",
                    "mock LLM rule status 500 (p=0.5)",
                    [Undo(method="DELETE", url=f"{self.llm_root}/_control/faults")],
                    owner="harness chaos",
                    set=[RULE],
                )
                journal.entries.append(entry.model_copy(update={"owner_pid": pid, "owner_started": None}))


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[Parts]:
    llm = start_in_thread(ServerConfig())
    with run_in_thread() as proxy:
        body = {"name": "llm", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{llm.port}"}
        httpx.post(f"{proxy.url}/proxies", json=body, timeout=5).raise_for_status()
        try:
            yield Parts(tmp_path, llm.base_url, proxy.url)
        finally:
            llm.stop()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_dead_owners_fault_is_undone_by_the_next_run_which_says_so(parts: Parts) -> None:
    parts.set_rule()
    pid = dead_pid()
    parts.journal(pid)
    said: list[str] = []

    dirty = guard(parts.stack_json, load_declaration(), say=said.append)

    assert dirty == [] and parts.rules() == []
    [line] = said
    assert f"left by dead run pid {pid}" in line and "mock LLM rule status 500" in line
    assert not journal_path(parts.stack_json).exists()


def test_a_live_owners_fault_is_refused_naming_its_pid(parts: Parts) -> None:
    parts.set_rule()
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        parts.journal(owner.pid)
        with pytest.raises(StackError, match=rf"a running harness \(pid {owner.pid}.*kill {owner.pid}"):
            guard(parts.stack_json, load_declaration())
    finally:
        owner.kill()
        owner.wait()
    assert parts.rules() != []  # not touched: it is someone's running experiment
    assert len(FaultJournal.read(journal_path(parts.stack_json)).entries) == 1


def test_a_reused_pid_is_not_taken_for_the_owner(parts: Parts) -> None:
    parts.set_rule()
    parts.journal(os.getppid())  # alive, but not the process that started at this entry's time
    with journal_of(parts.stack_json) as journal:
        journal.entries[0].owner_started = 1
    guard(parts.stack_json, load_declaration(), say=lambda line: None)
    assert parts.rules() == []


def test_faults_nobody_journaled_are_refused_with_the_fix_then_cleaned(parts: Parts) -> None:
    parts.set_rule()
    toxic = {"name": "by-hand", "type": "latency", "attributes": {"latency": 3000}}
    httpx.post(f"{parts.proxy_url}/proxies/llm/toxics", json=toxic, timeout=5).raise_for_status()
    declaration = load_declaration()

    with pytest.raises(StackError) as refused:
        guard(parts.stack_json, declaration, flag="--allow-dirty")
    message = str(refused.value)
    assert "mock LLM rule status 500 (p=0.5)" in message and "toxic by-hand (latency) on proxy llm" in message
    assert f"harness stack clean --stack {parts.stack_json}" in message and "--allow-dirty" in message
    assert "\n" not in message
    assert len(guard(parts.stack_json, declaration, allow_dirty=True)) == 2  # flagged, not refused

    removed = clean(parts.stack_json, declaration)

    assert removed == ["mock LLM rule status 500 (p=0.5)", "toxic by-hand on proxy llm"]
    assert active_faults(StackRecord.read(parts.stack_json), declaration) == []


def test_a_chaos_fault_is_journaled_while_set_and_struck_off_after(parts: Parts) -> None:
    method = Method.model_validate({"fault": {"kind": "status", "status": 503}, "duration_s": 1})
    journal = journal_path(parts.stack_json)
    targets = Targets(
        service_url="http://127.0.0.1:9", llm_url=f"{parts.llm_root}/v1", proxy_api_url=parts.proxy_url,
        declaration=load_declaration(), journal=str(journal),
    )  # fmt: skip
    injector = injector_for(method, targets)
    assert isinstance(injector, Journaled)

    injector.inject()
    [entry] = FaultJournal.read(journal).entries
    assert entry.owner_pid == os.getpid() and entry.where == "mock_llm" and entry.set[0]["status"] == 503
    injector.rollback()

    assert not journal.exists() and parts.rules() == []


def test_load_finds_the_stack_its_host_belongs_to(parts: Parts, tmp_path: Path) -> None:
    record = StackRecord.read(parts.stack_json).model_copy(update={"service_url": "http://127.0.0.1:8123"})
    record.write(parts.stack_json)
    assert attached_record("http://localhost:8123", None, tmp_path) == parts.stack_json
    assert attached_record("http://127.0.0.1:8124", None, tmp_path) is None  # another system
    assert attached_record(None, str(parts.stack_json.parent), tmp_path / "x") == parts.stack_json


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 503},
        {"kind": "latency", "latency_ms": 3000},
        {"kind": "down"},
        {"kind": "slow_tokens", "profile": "slow"},  # a built-in profile: only the journal knows
    ],
    ids=lambda f: f["kind"],
)
def test_what_a_killed_run_journaled_is_what_the_next_run_undoes(
    parts: Parts, fault: dict[str, object]
) -> None:
    llm_latency = httpx.get(f"{parts.llm_root}/_control/latency", timeout=5).json()
    method = Method.model_validate({"fault": fault, "duration_s": 1})
    targets = Targets(
        service_url="http://127.0.0.1:9", llm_url=f"{parts.llm_root}/v1", proxy_api_url=parts.proxy_url,
        declaration=load_declaration(), journal=str(journal_path(parts.stack_json)),
    )  # fmt: skip
    injector_for(method, targets).inject()  # and never rolled back: the run "died" here
    with journal_of(parts.stack_json) as journal:
        journal.entries[0].owner_pid = dead_pid()
    said: list[str] = []

    guard(parts.stack_json, load_declaration(), say=said.append)

    assert len(said) == 1 and active_faults(StackRecord.read(parts.stack_json), load_declaration()) == []
    assert httpx.get(f"{parts.llm_root}/_control/latency", timeout=5).json() == llm_latency
