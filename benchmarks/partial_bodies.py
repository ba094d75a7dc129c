"""What half-sent requests cost the reference service, and whether its read timeout frees them.

    python benchmarks/partial_bodies.py [--requests 1500] [--waves 2] [--timeout 5] [--src DIR]

Starts `support-desk serve` on a free loopback port (no LLM is ever called), then opens N
connections that each send a request head promising `Content-Length: 1000` and only 10 bytes of
it. Prints the connections still open and the service's RSS (psutil if installed, else
/proc/PID/status VmRSS) and open file descriptors: before, while they hang, once the read timeout
plus a margin has passed, and after the client closed everything; `--waves` floods again after
each timeout (freed memory is reused by the next wave: RSS is a high-water mark). `--timeout 100000` shows the
service with no effective bound; `--src` runs another checkout's code (e.g. a `git archive HEAD`
extract) to compare against.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
HEAD = (
    b"POST /v1/chat HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
    b"Content-Length: 1000\r\n\r\n" + b'{"query":"'
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rss_mb(pid: int) -> float:
    try:
        import psutil

        return float(psutil.Process(pid).memory_info().rss) / 2**20
    except ImportError:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no RSS: install psutil")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def start(port: int, timeout: float, src: Path | None) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SUPPORT_DESK_SERVICE_READ_TIMEOUT_S": str(timeout),
        "SUPPORT_DESK_SERVICE_REQUESTS_PER_SECOND": "100000",
        "SUPPORT_DESK_SERVICE_BURST": "100000",
    }
    if src is not None:  # before the editable installs: that checkout's modules win
        env["PYTHONPATH"] = os.pathsep.join([str(src), str(src / "examples" / "support_desk")])
    argv = [sys.executable, "-m", "support_desk", "serve", "--port", str(port)]
    proc = subprocess.Popen([*argv, "--llm-base-url", "http://127.0.0.1:9/v1"], env=env, cwd=src or ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("partial_bodies: the service did not answer /health within 60 s; see its output above")


def still_open(socks: list[socket.socket]) -> int:
    """Connections the server has not closed: read what it sent; EOF means closed."""
    return sum(_open(sock) for sock in socks)


def _open(sock: socket.socket) -> bool:
    while True:  # non-blocking: read until nothing more is waiting (open) or EOF (closed)
        try:
            if not sock.recv(65536):
                return False
        except BlockingIOError:
            return True
        except ConnectionError:
            return False


def row(label: str, pid: int, socks: list[socket.socket] | None) -> None:
    conns = "" if socks is None else f"{still_open(socks):6d}"
    print(f"{label:<28} {conns:>6} {rss_mb(pid):9.1f} {open_fds(pid):6d}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500, help="half-sent requests (default 1500)")
    parser.add_argument("--waves", type=int, default=2, help="floods, one after each timeout (default 2)")
    parser.add_argument("--timeout", type=float, default=5.0, help="the service's read_timeout_s (default 5)")
    parser.add_argument("--margin", type=float, default=3.0, help="seconds after the timeout to look again")
    parser.add_argument("--src", type=Path, help="run this checkout's harness and support_desk instead")
    args = parser.parse_args()
    port = free_port()
    proc = start(port, args.timeout, args.src)
    socks: list[socket.socket] = []
    try:
        print(f"{'':<28} {'open':>6} {'RSS MB':>9} {'fds':>6}")
        row("before", proc.pid, None)
        for wave in range(1, args.waves + 1):
            for _ in range(args.requests):
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                sock.sendall(HEAD)
                sock.setblocking(False)
                socks.append(sock)
            done = time.monotonic()
            time.sleep(1.0)
            row(f"wave {wave}: {args.requests} sent (+1 s)", proc.pid, socks)
            time.sleep(max(0.0, done + args.timeout + args.margin - time.monotonic()))
            row(f"wave {wave}: timeout + {args.margin:g} s", proc.pid, socks)
        for sock in socks:
            sock.close()
        socks.clear()
        time.sleep(2.0)
        row("client closed all (+2 s)", proc.pid, None)
    finally:
        for sock in socks:
            sock.close()
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
