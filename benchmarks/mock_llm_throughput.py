"""Requests per second of the mock LLM server at zero latency, median of N runs.

    python benchmarks/mock_llm_throughput.py [--connections 64] [--duration 10] [--runs 3]
                                             [--stream] [--no-memo]

Starts `python -m harness.llm.server --port 0 --latency zero` (the real brain) in a subprocess
and drives it from this process over N keep-alive connections on 127.0.0.1, each sending the
next request as soon as the previous answer is complete. The requests are what the reference
system sends: supervisor and specialist calls with the `X-Harness-Agent` header, over a mix of
queries. The client is callback-based `asyncio.Protocol` code that parses only the framing, so
it costs less than the server it measures. Target (issue): >= 3,000 requests/s on 2 cores.
A figure, not a test: a noisy machine must not fail CI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [
    "My invoice shows a double charge this month",
    "The app crashes when I log in on Android",
    "What are your opening hours on Saturday?",
    "I was charged twice, I want a refund",
    "No puedo iniciar sesión desde ayer",
    "How do I configure the Slack integration?",
]
AGENTS = ["supervisor", "billing_support", "technical_support", "general_support"]


def request_bytes(host: str, port: int, *, stream: bool) -> list[bytes]:
    out = []
    for i, query in enumerate(QUERIES):
        for agent in AGENTS:
            body: dict[str, Any] = {
                "model": "gpt-4o-mini" if i % 2 else "gpt-4o",
                "messages": [
                    {"role": "system", "content": f"You are {agent}."},
                    {"role": "user", "content": query},
                ],
                "temperature": 0,
            }
            if stream:
                body |= {"stream": True, "stream_options": {"include_usage": True}}
            raw = json.dumps(body).encode()
            head = (
                f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Content-Type: application/json\r\nX-Harness-Agent: {agent}\r\n"
                f"Content-Length: {len(raw)}\r\n\r\n"
            )
            out.append(head.encode() + raw)
    return out


class Client(asyncio.Protocol):
    """One keep-alive connection: send, read one whole answer, send the next."""

    def __init__(self, requests: list[bytes], counts: dict[str, int], offset: int) -> None:
        self.requests, self.counts, self.n = requests, counts, offset
        self.buf = b""
        self.transport: asyncio.Transport | None = None
        self.running = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.send()

    def send(self) -> None:
        assert self.transport is not None
        self.transport.write(self.requests[self.n % len(self.requests)])
        self.n += 1

    def data_received(self, data: bytes) -> None:
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buf[:end].lower()
        if b"transfer-encoding: chunked" in head:
            if not self.buf.endswith(b"\r\n0\r\n\r\n"):
                return
            size = len(self.buf)
        else:
            start = head.find(b"content-length:") + 15
            size = end + 4 + int(head[start : head.find(b"\r\n", start)])
            if len(self.buf) < size:
                return
        self.counts["ok" if head.startswith(b"http/1.1 200") else "bad"] += 1
        self.buf = self.buf[size:]
        if self.running:
            self.send()


async def drive(host: str, port: int, *, connections: int, duration: float, stream: bool) -> float:
    loop = asyncio.get_running_loop()
    requests = request_bytes(host, port, stream=stream)
    counts = {"ok": 0, "bad": 0}
    clients = []
    for i in range(connections):
        _, client = await loop.create_connection(partial(Client, requests, counts, i), host, port)
        clients.append(client)
    await asyncio.sleep(1.0)  # warm-up: connections open, caches filled
    before, started = counts["ok"], time.perf_counter()
    await asyncio.sleep(duration)
    done, elapsed = counts["ok"] - before, time.perf_counter() - started
    for client in clients:
        client.running = False
        assert client.transport is not None
        client.transport.close()
    if counts["bad"]:
        sys.exit(f"{counts['bad']} answers were not HTTP 200")
    return done / elapsed


def start_server(extra: list[str]) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.llm.server", "--port", "0", "--latency", "zero", *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "mock LLM listening on http://127.0.0.1:PORT/v1"
    if "listening on" not in line:
        proc.kill()
        sys.exit(f"the server did not start: {line!r}")
    return proc, int(line.rsplit(":", 1)[1].split("/")[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stream", action="store_true", help="SSE streaming requests")
    parser.add_argument(
        "--no-memo",
        action="store_true",
        help="the server re-runs the brain for every request (--brain-memo 0)",
    )
    args = parser.parse_args()
    proc, port = start_server(["--brain-memo", "0"] if args.no_memo else [])
    try:
        rates = []
        for run in range(args.runs):
            rate = asyncio.run(
                drive(
                    "127.0.0.1",
                    port,
                    connections=args.connections,
                    duration=args.duration,
                    stream=args.stream,
                )
            )
            rates.append(rate)
            print(f"run {run + 1}: {rate:8.0f} requests/s", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    median = statistics.median(rates)
    mode = ("streaming" if args.stream else "non-streaming") + (", no brain memo" if args.no_memo else "")
    print(
        f"median of {args.runs} ({mode}, {args.connections} connections): {median:.0f} requests/s "
        f"(target >= 3000: {'met' if median >= 3000 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
