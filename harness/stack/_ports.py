"""Ports for the stack's servers: picked free, checked before start, and, when one is taken,
the error names who holds it (Linux: from /proc), so a clash can be traced rather than guessed.
"""

from __future__ import annotations

import os
import random
import socket
from pathlib import Path

from .._exceptions import StackError

__all__ = ["bindable", "check_free", "free_port", "holder"]

# Servers get ports below Linux's ephemeral range (32768 and up): a port from bind(0) is free
# now, but an outgoing connection may take it as its source port before our child binds it.
_PORT_RANGE = (20000, 32000)
_handed_out: set[int] = set()


def bindable(host: str, port: int, *, reuse_addr: bool = False) -> bool:
    """Whether `port` can be bound now. With `reuse_addr`, as servers bind it: a connection of
    the last run still in TIME_WAIT does not count; without, it does (stricter: for picking)."""
    with socket.socket() as sock:
        if reuse_addr:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on, not handed out before by this process."""
    rng = random.Random()
    for _ in range(500):
        port = rng.randint(*_PORT_RANGE)
        if port not in _handed_out and bindable(host, port):
            _handed_out.add(port)
            return port
    with socket.socket() as sock:  # the range is crowded: any free port will do
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def check_free(host: str, port: int, what: str) -> None:
    if not bindable(host, port, reuse_addr=True):
        raise StackError(
            f"{what}: port {host}:{port} is already in use ({holder(port)}); pick another or free it"
        )


def holder(port: int) -> str:
    """Who holds `port`, as far as /proc tells: "pid N (command line)", or why unknown."""
    inodes = _socket_inodes(port)
    if not inodes:
        return "no socket in /proc/net/tcp* holds it now"
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and wanted & _links(proc / "fd"):
            try:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                cmd = "?"
            return f"pid {proc.name}: {cmd.strip()[:160]}"
    return f"a socket in state {inodes[next(iter(inodes))]} owned by no process we can see"


def _links(fd_dir: Path) -> set[str]:
    links: set[str] = set()
    try:
        fds = list(fd_dir.iterdir())
    except OSError:  # gone, or not ours to read
        return links
    for fd in fds:
        try:
            links.add(os.readlink(fd))
        except OSError:  # closed while we looked (the listing's own fd, for one)
            continue
    return links


def _socket_inodes(port: int) -> dict[str, str]:
    """{inode: state} of the TCP sockets bound to `port` (state as /proc writes it: 0A = LISTEN)."""
    found: dict[str, str] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                found[fields[9]] = fields[3]
    return found
