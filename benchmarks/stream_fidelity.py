"""Fidelity of the load tier's streaming figures, printed (not a test: figures depend on the machine).

    python benchmarks/stream_fidelity.py [--users 10] [--seconds 60] [--think 0.3]

The system under test is the mock LLM server itself, declared as any team would declare an
OpenAI-compatible streaming endpoint (a pyproject of its own: `[tool.harness.system.http.stream]`
with `delta = "choices.0.delta.content"`, `done = "[DONE]"`), loaded with `harness load --host`
and a `stream = true` profile. So nothing sits between the instrument and the known truth:

- time to first token (the first event): lognormal, median 300 ms, sigma 0.25
  (P50 300.0, P95 452.0, P99 536.8 ms);
- each chunk after it: one token ("ab "), its gap drawn afresh per chunk (`per_token_each`):
  lognormal, median 40 ms, sigma 0.25 (P50 40.0, P95 60.3, P99 71.6 ms).

"true" is the distribution's quantile; "drawn" the quantile of the delays the mock drew
(its generators are seeded: the first n TTFT draws of `Random("0:latency")`, the chunk gaps of
`Random("0:chunks")`). "vs drawn" is the instrument's own error. The mock paces its chunks on a
schedule (each due at the previous one's due time plus its draw), so a sleep's overshoot (0.3 ms
mean for 40 ms on an idle machine) is taken back from the next gap instead of adding to every
one. "reported" is the harness's exact nearest-rank percentile from sla.json, with its bootstrap
95% interval. Beside it, what plain Locust would report for the same samples: each value logged into a Locust
`RequestStats` (as a Locust user firing one request event per first token or per chunk would),
and Locust's own bucketed percentile read back (1,234 ms counts as 1,200 ms; 61.4 ms as 61 ms).

Only 127.0.0.1 is used; the run is bounded in time. Files under reports/bench/stream/.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.load import SLA, LoadProfile
from harness.load._runner import RunOptions, run_load
from harness.measure import PERCENTILES, percentile, read_samples

ROOT = Path("reports/bench/stream")
TTFT = {"median_ms": 300.0, "sigma": 0.25}
CHUNK = {"median_ms": 40.0, "sigma": 0.25}
WORDS = 40  # one-token chunks a reply
# The run's latency SLOs, for goodput (no escalations here: those bounds off).
SLOS = {
    "escalation_rate_min": None, "escalation_rate_max": None, "p95_ms_max": 3000.0,
    "ttft_p95_ms_max": 500.0, "itl_p99_ms_max": 80.0,
}  # fmt: skip
Z = {"p50": 0.0, "p95": 1.6448536269514722, "p99": 2.3263478740408408}

BRAIN = f"""def reply(agent, messages, model):
    return "ab " * {WORDS}  # {WORDS} pieces of one token each (the mock's estimate: 4 chars a token)
"""
BODY = (
    '{ model = "gpt-4o-mini", stream = true, stream_options = { include_usage = true }, '
    'messages = [{ role = "user", content = "{query}" }] }'
)
PYPROJECT = """[tool.harness.system]
name = "mock LLM, OpenAI streaming"
scenarios = "scenarios.jsonl"

[tool.harness.system.http]
path = "/v1/chat/completions"
reply = { tokens_in = "usage.prompt_tokens", tokens_out = "usage.completion_tokens" }

[tool.harness.system.http.stream]
path = "/v1/chat/completions"
body = BODY
delta = "choices.0.delta.content"
delta_event = ""
final_event = ""
done = "[DONE]"
"""
LOCUST_PERCENTILES = """
import json, sys
from locust.stats import RequestStats
values = json.load(sys.stdin)
out = {}
for name, series in values.items():
    stats = RequestStats()
    for v in series:
        stats.log_request("SSE", name, v, 0)
    entry = stats.get(name, "SSE")
    quantiles = (("p50", .5), ("p95", .95), ("p99", .99))
    out[name] = {q: entry.get_response_time_percentile(p) for q, p in quantiles}
print(json.dumps(out))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _setup(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stream_brain.py").write_text(BRAIN)
    # Empty names switch those parts of the contract off: every event may carry text, no final event.
    (folder / "pyproject.toml").write_text(PYPROJECT.replace("body = BODY", f"body = {BODY}"))
    expected = {"route": None, "escalated": False, "reason": None, "rejected": False}
    scenario = {"id": "s-1", "query": "hello", "category": "any", "expected": expected}
    (folder / "scenarios.jsonl").write_text(json.dumps(scenario) + "\n")
    profile = {
        "kind": "lognormal",
        "ttft_median_ms": TTFT["median_ms"],
        "ttft_sigma": TTFT["sigma"],
        "per_token_ms": CHUNK["median_ms"],
        "per_token_sigma": CHUNK["sigma"],
        "per_token_each": True,
    }
    config = {"seed": 0, "latency": {"default": "known", "profiles": {"known": profile}}, "brain_memo": 0}
    (folder / "llm.json").write_text(json.dumps(config))


def _serve(folder: Path, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {"PYTHONPATH": f"{folder.resolve()}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    args = ["--port", str(port), "--config", str(folder / "llm.json"), "--brain", "stream_brain:reply"]
    proc = subprocess.Popen([sys.executable, "-m", "harness", "llm", *args], env=env)
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the mock LLM server did not come up within 10 s")


def _true(known: dict[str, float]) -> dict[str, float]:
    return {q: known["median_ms"] * math.exp(known["sigma"] * z) for q, z in Z.items()}


def _drawn_ttft(n: int) -> np.ndarray:
    rng = random.Random("0:latency")  # the server's seeded generator: one TTFT draw a reply
    return np.array([rng.lognormvariate(math.log(TTFT["median_ms"]), TTFT["sigma"]) for _ in range(n)])


def _drawn_gaps(replies: int) -> np.ndarray:
    """The chunk gaps the mock drew: `Random("0:chunks")`, one draw a chunk (`PerChunkDelay`),
    each chunk due at the previous one's due time plus its draw. Each reply's first chunk is
    timed as its first text, not a gap: one in WORDS of these, iid, so the quantiles are the same."""
    rng, mu = random.Random("0:chunks"), math.log(CHUNK["median_ms"])
    return np.array([rng.lognormvariate(mu, CHUNK["sigma"]) for _ in range(replies * WORDS)])


def _locust(series: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """Plain Locust's percentiles of the same values, in a process of its own (gevent patching)."""
    done = subprocess.run(
        [sys.executable, "-c", LOCUST_PERCENTILES],
        input=json.dumps(series),
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout))


def _err(value: float, truth: float) -> str:
    return f"{100 * (value / truth - 1):+6.2f}%"


def _lines(
    name: str,
    fig: dict[str, Any],
    truth: dict[str, float],
    drawn: np.ndarray | None,
    locust: dict[str, float],
) -> None:
    for q, true in truth.items():
        reported, (low, high) = fig[q]["value"], fig[q]["ci95"]
        at = percentile(drawn, PERCENTILES[q]) if drawn is not None else None
        vs_drawn = _err(reported, at) if at else "      -"
        drawn_text = f"{at:7.1f}" if at else "      -"
        print(
            f"{name:<5} {q:<4} {true:7.1f} {drawn_text} {reported:8.1f} {_err(reported, true)} {vs_drawn:>8} "
            f"{low:7.1f}-{high:<7.1f} | {locust[q]:7.0f} {_err(locust[q], true)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.3, help="max think time between a user's requests")
    args = parser.parse_args()
    folder = ROOT / "setup"
    _setup(folder)
    port = _free_port()
    server = _serve(folder, port)
    try:
        profile = LoadProfile(
            name="stream-fidelity", users=args.users, spawn_rate=float(args.users), duration_s=args.seconds,
            wait_s=(0.0, args.think), stream=True, request_timeout_s=30, stop_timeout_s=30,
        )  # fmt: skip
        options = RunOptions(
            profile=profile, sla=SLA(**SLOS), reports=ROOT,
            host=f"http://127.0.0.1:{port}", pyproject=folder / "pyproject.toml", progress=False,
        )  # fmt: skip
        doc = run_load(options).document
        served = int(httpx.get(f"http://127.0.0.1:{port}/_control/stats", timeout=5).json()["streams"])
    finally:
        server.terminate()
        server.wait(timeout=10)
    s = doc["streaming"]
    client = read_samples(Path(doc["run"]["folder"]) / "raw")
    ok = client[client["kind"] == "answered"]
    gaps = [g for row in ok["gaps_ms"] for g in row]
    locust = _locust({"ttft": ok["ttft_ms"].tolist(), "itl": gaps})
    req = doc["requests"]
    print(
        f"\nStream fidelity: {args.users} users, think U(0, {args.think:g}) s, {args.seconds:.0f} s; "
        f"{s['ttft_ms']['count']} requests answered of {req['sent']} sent (the mock served {served}), "
        f"{s['inter_chunk_ms']['count']} chunk gaps; lost {req['lost']}, failed {req['failed']}"
    )
    print("ttft: the first event; itl: the gap between chunks (here one token each). Locust: plain Locust's")
    print("bucketed percentile of the same values. All in ms.")
    print(
        f"{'':<5} {'q':<4} {'true':>7} {'drawn':>7} {'reported':>8} {'vs true':>7} {'vs drawn':>8} "
        f"{'reported 95% CI':>15} | {'Locust':>7} {'vs true':>7}"
    )
    _lines("ttft", s["ttft_ms"], _true(TTFT), _drawn_ttft(served), locust["ttft"])
    _lines("itl", s["inter_chunk_ms"], _true(CHUNK), _drawn_gaps(served), locust["itl"])
    tps, tokens = s["tokens_per_s"], doc["tokens"]["out_per_request"]
    median_s = TTFT["median_ms"] / 1000 + WORDS * CHUNK["median_ms"] / 1000
    print(
        f"output tokens/s per request p50 {tps['p50']['value']:.1f} (the mock's usage, {tokens:.0f} tokens, "
        f"over about {median_s:.2f} s: {tokens / median_s:.1f}); in total {s['tokens_per_s_total']:.0f} "
        f"tokens/s; goodput {s['goodput']['value']:.1%} (end to end < 3 s, first event < 500 ms, "
        "every gap < 80 ms)"
    )


if __name__ == "__main__":
    main()
