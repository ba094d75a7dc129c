"""Locust load test of the declared system, with its labelled scenarios in a realistic mix.

    locust -f harness/load/locustfile.py --host http://127.0.0.1:8000              # web UI
    locust -f harness/load/locustfile.py --host http://127.0.0.1:8000 --headless -u 20 -r 5 -t 1m
    harness load --profile smoke                         # the harness: stack, exact percentiles, SLA

Across machines, Locust's distributed mode works unchanged (`harness load --workers N` does the
same on loopback); the workers send their samples to the master, so only it needs the folder:

    HARNESS_LOAD_SAMPLES=reports/raw HARNESS_LOAD_RUN_TIME_S=600 \
    locust -f harness/load/locustfile.py --master --headless --expect-workers 8 -u 400 -r 20 \
        --host http://TARGET:8000                                   # on the master host
    locust -f harness/load/locustfile.py --worker --master-host MASTER   # on each worker host

Each request is one scenario, sent and read through the system contract
(`[tool.harness.system.http]`: its method, path, body template and reply fields, with a unique
request id header), so this file knows nothing of any one system. An answer is a success, or a
rejection for a scenario labelled to be rejected. Locust's own statistics are kept as usual (one
row per category). Besides them, every request's raw timing
and outcome is kept when `HARNESS_LOAD_SAMPLES` names a directory: one JSON line per request,
written by the process that runs the users or, in distributed mode, sent by each worker to the
master with Locust's messaging and written there (so workers on other hosts need no shared disk).
A request still in flight when its user is stopped is written too, without a status, so nothing
sent goes unaccounted.

Settings, all optional (`harness load` sets them from the profile):

    HARNESS_PYPROJECT           the pyproject.toml declaring the system (default: the nearest)
    HARNESS_LOAD_SAMPLES        directory for the raw samples; unset: none kept
    HARNESS_LOAD_RUN_ID         the run's part of the request ids, letters and digits (default: random)
    HARNESS_LOAD_MIX            JSON {category: weight}; default: every category the same
    HARNESS_LOAD_SCENARIOS      a JSON Lines file of labelled scenarios (default: the declared ones)
    HARNESS_LOAD_WAIT           "MIN,MAX" seconds of think time between a user's requests (0,0)
    HARNESS_LOAD_TIMEOUT_S      client timeout per request, then status 0 (60)
    HARNESS_LOAD_MAX_REQUESTS   stop sending after this many requests per process
    HARNESS_LOAD_STAGES         JSON [[until_s, users, spawn_rate], ...]: a staged shape
    HARNESS_LOAD_RUN_TIME_S     stop gracefully after this long: in-flight requests may finish
                                (up to --stop-timeout) and every worker's samples reach the master
    HARNESS_LOAD_STREAM         "1": send each turn to the declared streaming endpoint
                                (`[tool.harness.system.http.stream]`) and time its events: first
                                event, first text, the gaps between chunks (harness.sut._stream).
                                Locust's own response time is then the whole stream's.

Only this file and the modules it imports bring in Locust (and gevent's monkey-patching).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, LoadTestShape, between, constant, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import STATE_RUNNING, STATE_SPAWNING, MasterRunner, WorkerRunner

from harness.load._mix import Deck, Item, default_mix, read_items
from harness.measure import Sample, new_run_id, request_id
from harness.process import freeze_startup_objects
from harness.sut import HTTPContract, load_declaration
from harness.sut._stream import StreamReader, stream_request

_MESSAGE = "harness_samples"
_FLUSH_EVERY_S = 1.0


def _env_json(name: str, default: Any) -> Any:
    text = os.environ.get(name)
    return json.loads(text) if text else default


DECLARATION = load_declaration(os.environ.get("HARNESS_PYPROJECT"))
CONTRACT = HTTPContract(DECLARATION.http, routes=DECLARATION.vocabulary.routes)
RUN_ID = os.environ.get("HARNESS_LOAD_RUN_ID") or new_run_id()
PROCESS_ID = new_run_id(5)
_ITEMS = read_items(os.environ.get("HARNESS_LOAD_SCENARIOS") or DECLARATION.scenarios_path)
DECK = Deck(_ITEMS, _env_json("HARNESS_LOAD_MIX", None) or default_mix(_ITEMS))
WAIT = tuple(float(x) for x in os.environ.get("HARNESS_LOAD_WAIT", "0,0").split(","))
TIMEOUT_S = float(os.environ.get("HARNESS_LOAD_TIMEOUT_S", "60"))
MAX_REQUESTS = int(os.environ.get("HARNESS_LOAD_MAX_REQUESTS", "0")) or None
STAGES: list[list[float]] = _env_json("HARNESS_LOAD_STAGES", [])
RUN_TIME_S = float(os.environ.get("HARNESS_LOAD_RUN_TIME_S", "0")) or None
STREAM = os.environ.get("HARNESS_LOAD_STREAM", "") == "1"
if STREAM and CONTRACT.spec.stream is None:
    raise SystemExit(
        "harness load: HARNESS_LOAD_STREAM=1 but the system declares no streaming endpoint; "
        "add [tool.harness.system.http.stream] (see harness/sut/_stream.py)"
    )


class _Samples:
    """Where this process's samples go: a file (standalone, master) or the master (worker)."""

    def __init__(self) -> None:
        self.file: Any = None
        self.forward = False
        self.pending: list[str] = []
        self.inflight: dict[str, Sample] = {}
        self.sent = 0
        self.worker = "local"

    def open(self, name: str) -> None:
        folder = os.environ.get("HARNESS_LOAD_SAMPLES")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            # Line-buffered: the live progress display reads these files while the run goes on.
            self.file = (Path(folder) / f"samples-{name}-{PROCESS_ID}.jsonl").open("a", buffering=1)

    def add(self, sample: Sample) -> None:
        line = sample.to_json()
        if self.forward:
            self.pending.append(line)
        elif self.file is not None:
            self.file.write(line + "\n")

    def write_batch(self, lines: list[str]) -> None:
        if self.file is not None and lines:
            self.file.write("".join(line + "\n" for line in lines))

    def start(self, item: Item) -> Sample:
        self.sent += 1
        sample = Sample(
            id=request_id(RUN_ID, PROCESS_ID, self.sent),
            scenario=item.id,
            category=item.category,
            worker=self.worker,
            start=round(time.time(), 6),
            expected="rejected" if item.rejected else "answered",
        )
        self.inflight[sample.id] = sample
        return sample


SAMPLES = _Samples()


def _outcome(response: Any, exception: Any, ms: float) -> Any:
    """What came back, read by the system contract: the one classification of every tier."""
    status = int(getattr(response, "status_code", 0) or 0)
    if status == 0:  # no response: what the socket said
        cause = getattr(response, "error", None) or exception
        return CONTRACT.no_response(cause if cause is not None else "no response", ms)
    return CONTRACT.read(status, getattr(response, "content", b"") or b"", ms)


@events.request.add_listener  # type: ignore[untyped-decorator]
def _on_request(
    response_time: float, response: Any, context: dict[str, Any], exception: Any, **_: Any
) -> None:
    sample = SAMPLES.inflight.pop(context.get("harness_request_id", ""), None)
    if sample is None:  # not one of ours
        return
    # Read once, in the user's `with` block; only a request that never got there is read here.
    outcome = context.get("harness_outcome") or _outcome(response, exception, response_time)
    sample.record(outcome, response_time, context["harness_label"])
    SAMPLES.add(sample)


def _record_inflight() -> None:
    # Users stopped mid-request never fire the request event: record those ids as sent with no
    # outcome, or they would vanish from the reconciliation.
    for sample in SAMPLES.inflight.values():
        sample.error = "no response recorded"
        SAMPLES.add(sample)
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
    """One customer after another: send a scenario, wait, repeat."""

    host = DECLARATION.url or "http://127.0.0.1:8000"
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
        sample = SAMPLES.start(item)
        turn = item.turn(sample.id)
        req = stream_request(CONTRACT, turn) if STREAM else CONTRACT.request(turn)
        context: dict[str, Any] = {"harness_request_id": sample.id, "harness_label": item.label}
        started = time.perf_counter()
        with self.client.request(
            req.method,
            req.path,
            json=req.json,
            headers=req.headers,
            name=f"{req.path} [{item.category}]",
            catch_response=True,
            stream=STREAM,
            context=context,
        ) as response:
            if STREAM:
                outcome = _streamed(response, sample, started)
            else:
                outcome = context["harness_outcome"] = _outcome(response, None, 0.0)
            if outcome.kind == sample.expected:
                response.success()
            else:
                response.failure(f"{outcome.kind}, expected {sample.expected}: {outcome.error or ''}"[:300])


def _streamed(response: Any, sample: Sample, started: float) -> Any:
    """A streamed turn's outcome, each SSE line timed as it arrives; its times go to the sample."""
    reader = StreamReader(CONTRACT, started)
    outcome = _read_stream(response, reader, started)
    # The context the request event gets is Locust's merged copy of ours: put it there.
    response.request_meta["context"]["harness_outcome"] = outcome
    sample.record_stream(reader.timing, reader.completed)
    # stream=True times only the headers: Locust's own figure is the whole stream's too.
    response.request_meta["response_time"] = outcome.latency_ms
    return outcome


def _read_stream(response: Any, reader: StreamReader, started: float) -> Any:
    """The stream's outcome: every line to the reader as it arrives (readline returns at each
    b"\n", so a line's time is its arrival's, not a buffer's)."""
    status = int(getattr(response, "status_code", 0) or 0)
    if status == 0 or not 200 <= status < 300:
        return _outcome(response, None, (time.perf_counter() - started) * 1000)
    raw = response._response  # geventhttpclient's own response: its readline takes a separator
    try:
        while line := raw.readline(b"\n"):
            reader.line(line)
    except Exception as exc:  # the connection broke mid-stream: what the reader has, and why
        return CONTRACT.no_response(exc, (time.perf_counter() - started) * 1000)
    return reader.outcome(status, (time.perf_counter() - started) * 1000)


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
