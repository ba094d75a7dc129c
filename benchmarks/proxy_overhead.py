"""What the embedded Toxiproxy-compatible proxy costs with no toxics, median of N runs.

    python benchmarks/proxy_overhead.py [--requests 2000] [--runs 5] [--rate 500] [--duration 2]

Three processes on 127.0.0.1: a tiny keep-alive HTTP server (the upstream), the proxy
(`harness.proxy.serve_proxy`, as the CLI runs it) and this client. Two measurements, each
direct to the upstream and through the proxy, in every run:

1. Added P99 latency: one connection per path, one request at a time, `--requests` on
   each, alternating the paths; P99 through the proxy minus P99 direct. Target: <= 1 ms.
2. Throughput at `--rate` requests/s, open loop for `--duration` s over 16 connections;
   completions per second through the proxy as a share of direct. Target: >= 80%.

Bounded: at most runs x (2 x requests + 2 x rate x duration) requests, and it stops after
55 s whatever is left. A figure, not a test: a noisy machine must not fail CI.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
REQUEST = b"GET /ping HTTP/1.1\r\nHost: bench\r\n\r\n"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
DEADLINE = 55.0
CONNECTIONS = 16

UPSTREAM = f"""
import asyncio, sys
async def handle(reader, writer):
    try:
        while await reader.readuntil(b"\\r\\n\\r\\n"):
            writer.write({RESPONSE!r})
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]), backlog=128)
    print("ready", flush=True)
    await server.serve_forever()
asyncio.run(main())
"""

PROXY = "import sys; from harness.proxy import serve_proxy; serve_proxy('127.0.0.1', int(sys.argv[1]))"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_processes() -> tuple[list[subprocess.Popen[bytes]], int, int]:
    """The upstream and the proxy; returns them, the upstream port and the proxy's port."""
    upstream_port, api_port = free_port(), free_port()
    upstream = subprocess.Popen([sys.executable, "-c", UPSTREAM, str(upstream_port)], stdout=subprocess.PIPE)
    proxy = subprocess.Popen(
        [sys.executable, "-c", PROXY, str(api_port)], cwd=ROOT, stderr=subprocess.DEVNULL
    )
    assert upstream.stdout is not None and upstream.stdout.readline().strip() == b"ready"
    api = f"http://127.0.0.1:{api_port}"
    for _ in range(100):
        try:
            httpx.get(f"{api}/version", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    created = httpx.post(
        f"{api}/proxies",
        json={"name": "bench", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{upstream_port}"},
    )
    created.raise_for_status()
    proxy_port = int(created.json()["listen"].rpartition(":")[2])
    return [upstream, proxy], upstream_port, proxy_port


async def request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> float:
    start = time.perf_counter()
    writer.write(REQUEST)
    if await reader.readexactly(len(RESPONSE)) != RESPONSE:
        raise RuntimeError("the upstream answered something unexpected")
    return time.perf_counter() - start


async def paired_latencies(direct: int, proxied: int, count: int) -> tuple[list[float], list[float]]:
    """Latency of `count` requests on each path, one at a time, alternating direct and
    proxied so that both see the same background load on a shared machine."""
    paths = [await asyncio.open_connection("127.0.0.1", port) for port in (direct, proxied)]
    for _ in range(50):  # warm-up
        for conn in paths:
            await request(*conn)
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(count):
        for conn, out in zip(paths, samples, strict=True):
            out.append(await request(*conn))
    for _, writer in paths:
        writer.close()
    return samples


async def open_loop(port: int, rate: int, duration: float) -> tuple[float, list[float]]:
    """Offer `rate` requests/s for `duration` s; completions/s and per-request latencies."""
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(CONNECTIONS):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    latencies: list[float] = []

    async def one(due: float) -> None:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        conn = await pool.get()
        await request(*conn)
        latencies.append(time.perf_counter() - due)  # from when it was due: queueing counts
        pool.put_nowait(conn)

    start = time.perf_counter()
    count = int(rate * duration)
    await asyncio.gather(*(one(start + i / rate) for i in range(count)))
    elapsed = time.perf_counter() - start
    while not pool.empty():
        pool.get_nowait()[1].close()
    return count / elapsed, latencies


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


async def one_run(direct: int, proxied: int, args: argparse.Namespace) -> dict[str, float]:
    d_lat, p_lat = await paired_latencies(direct, proxied, args.requests)
    d_rps, d_load = await open_loop(direct, args.rate, args.duration)
    p_rps, p_load = await open_loop(proxied, args.rate, args.duration)
    return {
        "direct_p50_ms": statistics.median(d_lat) * 1000,
        "proxy_p50_ms": statistics.median(p_lat) * 1000,
        "direct_p99_ms": p99(d_lat) * 1000,
        "proxy_p99_ms": p99(p_lat) * 1000,
        "added_p99_ms": (p99(p_lat) - p99(d_lat)) * 1000,
        "direct_rps": d_rps,
        "proxy_rps": p_rps,
        "rps_share": p_rps / d_rps,
        "direct_load_p99_ms": p99(d_load) * 1000,
        "proxy_load_p99_ms": p99(p_load) * 1000,
    }


async def main(args: argparse.Namespace) -> int:
    # P99 on a shared machine is mostly scheduling: say how busy it was.
    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} cores at start")
    processes, direct, proxied = start_processes()
    began, runs = time.monotonic(), []
    try:
        for number in range(args.runs):
            if time.monotonic() - began > DEADLINE:
                print(f"stopped after {number} runs: the {DEADLINE:.0f} s budget is spent")
                break
            runs.append(await one_run(direct, proxied, args))
            print(f"run {number + 1}: " + ", ".join(f"{k}={v:.3f}" for k, v in runs[-1].items()))
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
    if not runs:
        return 1
    print(f"\nmedian of {len(runs)} runs ({args.requests} sequential requests, {args.rate} req/s offered):")
    for key in runs[0]:
        print(f"  {key:20} {statistics.median(r[key] for r in runs):10.3f}")
    added = statistics.median(r["added_p99_ms"] for r in runs)
    share = statistics.median(r["rps_share"] for r in runs)
    verdict = {True: "met", False: "NOT met"}
    print(f"\nadded P99 latency {added:.3f} ms (target <= 1 ms): {verdict[added <= 1]}")
    print(f"throughput share  {share:.1%} at {args.rate} req/s (target >= 80%): {verdict[share >= 0.8]}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000, help="sequential requests per run and path")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rate", type=int, default=500, help="offered requests/s in the throughput phase")
    parser.add_argument("--duration", type=float, default=2.0, help="seconds of offered load per path")
    sys.exit(asyncio.run(main(parser.parse_args())))
