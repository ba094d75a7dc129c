"""Locust load test of a chat endpoint (`POST /v1/chat`) with the labelled scenarios in a realistic mix.

    locust -f harness/load/locustfile.py --host http://127.0.0.1:8000              # web UI
    locust -f harness/load/locustfile.py --host http://127.0.0.1:8000 --headless -u 20 -r 5 -t 1m
    harness load --profile smoke                         # the harness: stack, exact percentiles, SLA

Across machines, Locust's distributed mode works unchanged (`harness load --workers N` does the
same on loopback); the workers send their samples to the master, so only it needs the folder:

    HARNESS_LOAD_SAMPLES=reports/raw HARNESS_LOAD_RUN_TIME_S=600 \
    locust -f harness/load/locustfile.py --master --headless --expect-workers 8 -u 400 -r 20 \
        --host http://TARGET:8000                                   # on the master host
    locust -f harness/load/locustfile.py --worker --master-host MASTER   # on each worker host

Each request posts one scenario (`query`, `user_id`, `customer_tier`) with a unique
`X-Request-Id`; a 200 is a success, or a 422 for a scenario labelled to be rejected. Locust's own
statistics are kept as usual (one row per category). Besides them, every request's raw timing
and outcome is kept when `HARNESS_LOAD_SAMPLES` names a directory: one JSON line per request,
written by the process that runs the users or, in distributed mode, sent by each worker to the
master with Locust's messaging and written there (so workers on other hosts need no shared disk).
A request still in flight when its user is stopped is written too, without a status, so nothing
sent goes unaccounted.

Settings, all optional (`harness load` sets them from the profile):

    HARNESS_LOAD_SAMPLES        directory for the raw samples; unset: none kept
    HARNESS_LOAD_RUN_ID         prefix of the request ids, letters only (default: random)
    HARNESS_LOAD_MIX            JSON {category: weight}; default: [defaults.mix] of profiles.toml
    HARNESS_LOAD_SCENARIOS      a JSON Lines file of labelled scenarios (default: the packaged 230)
    HARNESS_LOAD_WAIT           "MIN,MAX" seconds of think time between a user's requests (0,0)
    HARNESS_LOAD_TIMEOUT_S      client timeout per request, then status 0 (60)
    HARNESS_LOAD_MAX_REQUESTS   stop sending after this many requests per process
    HARNESS_LOAD_STAGES         JSON [[until_s, users, spawn_rate], ...]: a staged shape
    HARNESS_LOAD_RUN_TIME_S     stop gracefully after this long: in-flight requests may finish
                                (up to --stop-timeout) and every worker's samples reach the master

Only this file and the modules it imports bring in Locust (and gevent's monkey-patching).
"""

from __future__ import annotations

import json
import os
import random
import string
import time
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, LoadTestShape, between, constant, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import STATE_RUNNING, STATE_SPAWNING, MasterRunner, WorkerRunner

from harness._gc import freeze_startup_objects
from harness.load._mix import Deck, Item, default_mix, read_items

_MESSAGE = "harness_samples"
_FLUSH_EVERY_S = 1.0


def _env_json(name: str, default: Any) -> Any:
    text = os.environ.get(name)
    return json.loads(text) if text else default


def _letters(n: int) -> str:
    # Ids are letters only: the service's audit log redacts anything that looks like a phone or
    # card number, and a redacted id could no longer be matched.
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = string.ascii_lowercase[r] + out
        if n == 0:
            return out


RUN_ID = os.environ.get("HARNESS_LOAD_RUN_ID") or "".join(random.choices(string.ascii_lowercase, k=6))
PROCESS_ID = "".join(random.choices(string.ascii_lowercase, k=5))
DECK = Deck(
    read_items(os.environ.get("HARNESS_LOAD_SCENARIOS")), _env_json("HARNESS_LOAD_MIX", None) or default_mix()
)
WAIT = tuple(float(x) for x in os.environ.get("HARNESS_LOAD_WAIT", "0,0").split(","))
TIMEOUT_S = float(os.environ.get("HARNESS_LOAD_TIMEOUT_S", "60"))
MAX_REQUESTS = int(os.environ.get("HARNESS_LOAD_MAX_REQUESTS", "0")) or None
STAGES: list[list[float]] = _env_json("HARNESS_LOAD_STAGES", [])
RUN_TIME_S = float(os.environ.get("HARNESS_LOAD_RUN_TIME_S", "0")) or None


class _Samples:
    """Where this process's samples go: a file (standalone, master) or the master (worker)."""

    def __init__(self) -> None:
        self.file: Any = None
        self.forward = False
        self.pending: list[dict[str, Any]] = []
        self.inflight: dict[str, tuple[Item, float]] = {}
        self.sent = 0
        self.worker = "local"

    def open(self, name: str) -> None:
        folder = os.environ.get("HARNESS_LOAD_SAMPLES")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            # Line-buffered: the live progress display reads these files while the run goes on.
            self.file = (Path(folder) / f"samples-{name}-{PROCESS_ID}.jsonl").open("a", buffering=1)

    def add(self, record: dict[str, Any]) -> None:
        if self.forward:
            self.pending.append(record)
        elif self.file is not None:
            self.file.write(json.dumps(record, separators=(",", ":")) + "\n")

    def write_batch(self, records: list[dict[str, Any]]) -> None:
        if self.file is not None and records:
            self.file.write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records))

    def next_id(self) -> str:
        self.sent += 1
        return f"{RUN_ID}_{PROCESS_ID}_{_letters(self.sent)}"


SAMPLES = _Samples()


def _answer_fields(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
        tokens = body.get("tokens") or {}
        return {
            "route": body.get("route"),
            "escalated": body.get("escalated"),
            "reason": body.get("escalation_reason"),
            "cache_hit": body.get("cache_hit"),
            "fallback": body.get("fallback"),
            "tokens_in": tokens.get("in"),
            "tokens_out": tokens.get("out"),
            "cost_usd": body.get("cost_usd"),
            "server_ms": body.get("latency_ms"),
        }
    except Exception:  # a 200 without our JSON: still a sample, just without the answer's fields
        return {}


@events.request.add_listener  # type: ignore[untyped-decorator]
def _on_request(
    response_time: float, response: Any, context: dict[str, Any], exception: Any, start_time: float, **_: Any
) -> None:
    request_id = context.get("harness_request_id")
    if request_id is None:  # not one of ours
        return
    item, _started = SAMPLES.inflight.pop(request_id, (context["harness_item"], start_time))
    status = int(getattr(response, "status_code", 0) or 0)
    record = {
        "id": request_id,
        "scenario": item.id,
        "category": item.category,
        "worker": SAMPLES.worker,
        "start": round(start_time, 6),
        "ms": round(response_time, 3),
        "status": status,
        "expected_status": 422 if item.rejected else 200,
        "ok": exception is None,
        "error": None if exception is None else str(exception)[:200],
    }
    if status == 200:
        record |= _answer_fields(response)
    SAMPLES.add(record)


def _record_inflight() -> None:
    # Users stopped mid-request never fire the request event: record those ids as sent with no
    # outcome, or they would vanish from the reconciliation.
    for request_id, (item, started) in SAMPLES.inflight.items():
        SAMPLES.add(
            {
                "id": request_id,
                "scenario": item.id,
                "category": item.category,
                "worker": SAMPLES.worker,
                "start": round(started, 6),
                "ms": None,
                "status": None,
                "expected_status": 422 if item.rejected else 200,
                "ok": False,
                "error": "no response recorded",
            }
        )
    SAMPLES.inflight.clear()


def _flush_to_master(environment: Environment) -> None:
    if SAMPLES.pending and environment.runner is not None:
        batch, SAMPLES.pending = SAMPLES.pending, []
        environment.runner.send_message(_MESSAGE, batch)


def _forwarder(environment: Environment) -> None:
    while True:
        gevent.sleep(_FLUSH_EVERY_S)
        _flush_to_master(environment)


@events.init.add_listener  # type: ignore[untyped-decorator]
def _on_init(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        SAMPLES.forward = True
        SAMPLES.worker = f"w{PROCESS_ID}"
        gevent.spawn(_forwarder, environment)
    elif isinstance(runner, MasterRunner):
        SAMPLES.open("master")
        runner.register_message(_MESSAGE, lambda environment, msg, **_: SAMPLES.write_batch(msg.data))
    else:
        SAMPLES.open("local")
    # Locust and gevent are imported: a full collection's pause would be timed as response time.
    freeze_startup_objects()


_timer_started = False


def _stop_after(environment: Environment, seconds: float) -> None:
    gevent.sleep(seconds)
    runner = environment.runner
    assert runner is not None
    # stop() first: users get --stop-timeout to finish, workers flush their samples and report
    # stopped; a plain quit() (what -t does) leaves a master only 0.5 s for the workers' last data.
    runner.stop()
    runner.quit()


@events.test_start.add_listener  # type: ignore[untyped-decorator]
def _on_test_start(environment: Environment, **_: Any) -> None:
    global _timer_started
    if RUN_TIME_S and not _timer_started and not isinstance(environment.runner, WorkerRunner):
        _timer_started = True
        gevent.spawn(_stop_after, environment, RUN_TIME_S)


@events.test_stop.add_listener  # type: ignore[untyped-decorator]
def _on_test_stop(environment: Environment, **_: Any) -> None:
    _record_inflight()
    if SAMPLES.forward:
        _flush_to_master(environment)  # sent before "client_stopped", so the master has it all
    elif SAMPLES.file is not None:
        SAMPLES.file.flush()


class ChatUser(FastHttpUser):
    """One customer after another: post a scenario, wait, repeat."""

    host = "http://127.0.0.1:8000"
    wait_time = between(*WAIT) if WAIT[1] > 0 else constant(0)
    network_timeout = TIMEOUT_S
    connection_timeout = TIMEOUT_S

    @task
    def chat(self) -> None:
        if MAX_REQUESTS is not None and SAMPLES.sent >= MAX_REQUESTS:
            raise StopUser()  # the count bound: this process has sent its share
        runner = self.environment.runner
        if runner is not None and runner.state not in (STATE_RUNNING, STATE_SPAWNING):
            # Stopping: a user waking from its think time as the stop begins would otherwise start
            # a request that Locust kills in flight (it kills users it found waiting).
            raise StopUser()
        item = DECK.draw()
        request_id = SAMPLES.next_id()
        SAMPLES.inflight[request_id] = (item, time.time())
        expected = 422 if item.rejected else 200
        with self.client.post(
            "/v1/chat",
            json=item.body(),
            headers={"X-Request-Id": request_id},
            name=f"/v1/chat [{item.category}]",
            catch_response=True,
            context={"harness_request_id": request_id, "harness_item": item},
        ) as response:
            if response.status_code == expected:
                response.success()
            else:
                cause = getattr(response, "error", None)  # status 0: what the socket said
                detail = f": {type(cause).__name__}: {cause}" if cause is not None else ""
                response.failure(f"HTTP {response.status_code}, expected {expected}{detail}")


if STAGES:

    class StagedShape(LoadTestShape):
        """Users by stage: `[until_s, users, spawn_rate]`; the last stage holds until the run ends."""

        def tick(self) -> tuple[int, float] | None:
            elapsed = self.get_run_time()  # type: ignore[no-untyped-call]
            for until_s, users, spawn_rate in STAGES:
                if elapsed < until_s:
                    return int(users), float(spawn_rate)
            if RUN_TIME_S is None:
                return None
            # With the graceful timer, hold the last stage: None would make a headless run quit at
            # once, without letting in-flight requests finish.
            return int(STAGES[-1][1]), float(STAGES[-1][2])
