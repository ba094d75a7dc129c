"""The reference service's added latency over the mock LLM, at N concurrent clients.

    python benchmarks/service_overhead.py [--clients 20] [--requests 2000] [--repeats 3]

Starts the stack (zero-latency mock LLM, cache off so every request makes its LLM calls), then:
- direct: each client makes the same two LLM calls the service would (supervisor, then the
  specialist) straight to the mock LLM, sequentially;
- service: each client posts the query to POST /v1/chat.
Added latency per request = service round trip - the LLM time the service itself measured for
that request (`agents[*].latency_ms` in the audit log). Prints median and P95 of each, per repeat,
and the median over repeats. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.scenarios import load_scenarios
from harness.stack import Stack

QUERIES = [
    s.query
    for s in load_scenarios()
    if not s.expected.rejected and s.customer_tier == "standard" and s.expected.reason is None
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def drive(clients: int, total: int, one: object) -> list[float]:
    latencies: list[float] = []
    counter = iter(range(total))

    async def worker(client: httpx.AsyncClient) -> None:
        for i in counter:
            started = time.perf_counter()
            await one(client, QUERIES[i % len(QUERIES)], i)  # type: ignore[operator]
            latencies.append((time.perf_counter() - started) * 1000)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    return latencies


def run(stack: Stack, clients: int, total: int) -> dict[str, float]:
    async def direct(client: httpx.AsyncClient, query: str, i: int) -> None:
        for agent in ("supervisor", "general_support"):
            resp = await client.post(
                f"{stack.llm_url}/chat/completions",
                headers={"X-Harness-Agent": agent},
                json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": query}]},
            )
            resp.raise_for_status()

    async def service(client: httpx.AsyncClient, query: str, i: int) -> None:
        resp = await client.post(
            f"{stack.service_url}/v1/chat",
            headers={"X-Request-Id": f"bench-{i}"},
            json={"query": query, "user_id": "bench"},
        )
        resp.raise_for_status()

    audit = stack.dir / "audit.jsonl"
    audit.write_text("")
    direct_ms = asyncio.run(drive(clients, total, direct))
    service_ms = asyncio.run(drive(clients, total, service))
    llm_ms = [
        sum(a["latency_ms"] for a in json.loads(line)["agents"].values())
        for line in audit.read_text().splitlines()
        if line
    ]
    e2e_inside = [json.loads(line)["server_ms"] for line in audit.read_text().splitlines() if line]
    added = [s - llm for s, llm in zip(sorted(service_ms), sorted(llm_ms), strict=False)]
    return {
        "direct_p50": statistics.median(direct_ms),
        "direct_p95": pct(direct_ms, 0.95),
        "service_p50": statistics.median(service_ms),
        "service_p95": pct(service_ms, 0.95),
        "in_service_llm_p50": statistics.median(llm_ms),
        "system_p50": statistics.median(e2e_inside),
        "added_p50": statistics.median(service_ms) - statistics.median(llm_ms),
        "added_p95": pct(service_ms, 0.95) - pct(llm_ms, 0.95),
        "added_vs_direct_p50": statistics.median(service_ms) - statistics.median(direct_ms),
        "added_vs_direct_p95": pct(service_ms, 0.95) - pct(direct_ms, 0.95),
        "requests": len(service_ms),
        "paired_added_p50": statistics.median(added),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    env = {
        "SUPPORT_DESK_CACHE__ENABLED": "false",
        "SUPPORT_DESK_RATE_LIMIT__REQUESTS_PER_MINUTE": "1e9",
        "SUPPORT_DESK_SERVICE_REQUESTS_PER_SECOND": "1e9",
        "SUPPORT_DESK_SERVICE_BURST": "1000000000",
    }
    rows = []
    with Stack("reports/bench", llm_args=["--latency", "zero"], system_env=env) as stack:
        run(stack, args.clients, 200)  # warm-up
        for r in range(args.repeats):
            row = run(stack, args.clients, args.requests)
            rows.append(row)
            print(f"repeat {r + 1}: " + ", ".join(f"{k} {v:.1f}" for k, v in row.items()), flush=True)
    keys = [
        "direct_p50",
        "direct_p95",
        "service_p50",
        "service_p95",
        "added_p50",
        "added_p95",
        "added_vs_direct_p50",
        "added_vs_direct_p95",
    ]
    print(f"\nmedian of {args.repeats} repeats at {args.clients} concurrent clients (ms):")
    for key in keys:
        print(f"  {key:>22}: {statistics.median(r[key] for r in rows):8.2f}")


if __name__ == "__main__":
    main()
