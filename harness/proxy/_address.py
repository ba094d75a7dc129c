"""`host:port` strings as Go's net package reads them, and listeners bound like Go's.

Errors are worded as Go's, because the API returns them verbatim with a 500
(e.g. `listen tcp 127.0.0.1:3310: bind: address already in use`).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from dataclasses import dataclass

__all__ = [
    "AddressError",
    "Endpoint",
    "bind_listener",
    "dial_target",
    "resolve",
    "same_listen",
    "split_host_port",
]

_WILDCARDS = ("", "0.0.0.0", "::")


class AddressError(OSError):
    """An address Go would refuse; str() is Go's message."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Endpoint:
    """A resolved TCP address; `host` is an IP literal or "" for every interface."""

    host: str
    port: int

    def __str__(self) -> str:
        host = self.host
        if not host:
            return f":{self.port}"
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"


def split_host_port(address: str) -> tuple[str, str]:
    """Go's net.SplitHostPort."""
    if address.startswith("["):
        end = address.find("]")
        if end < 0:
            raise AddressError(f"address {address}: missing ']' in address")
        host, rest = address[1:end], address[end + 1 :]
        if not rest.startswith(":"):
            raise AddressError(f"address {address}: missing port in address")
        return host, rest[1:]
    host, colon, port = address.rpartition(":")
    if not colon:
        raise AddressError(f"address {address}: missing port in address")
    if ":" in host:
        raise AddressError(f"address {address}: too many colons in address")
    return host, port


def _port(address: str, port: str) -> int:
    if port.isdigit() and int(port) <= 65535:
        return int(port)
    try:
        return socket.getservbyname(port, "tcp")
    except OSError:
        raise AddressError(f"address {address}: unknown port") from None


def resolve(address: str) -> Endpoint:
    """Resolve like Go's ResolveTCPAddr, preferring IPv4 for names such as `localhost`."""
    if address == "":
        return Endpoint("", 0)
    host, port_text = split_host_port(address)
    port = _port(address, port_text)
    if host in _WILDCARDS:
        return Endpoint("", port)
    try:
        return Endpoint(str(ipaddress.ip_address(host.split("%")[0])), port)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise AddressError(f"lookup {host}: no such host") from None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    return Endpoint(str(infos[0][4][0]), port)


def same_listen(a: str, b: str) -> bool:
    """Whether two listen strings name the same address (2.12: localhost:P == 127.0.0.1:P)."""
    try:
        return resolve(a) == resolve(b)
    except OSError:
        return a == b


def bind_listener(listen: str) -> tuple[socket.socket, str]:
    """A bound (not yet listening) socket and the address to report, or AddressError."""
    where = listen
    try:
        endpoint = resolve(listen)
        where = str(endpoint) if endpoint.host else listen
        sock = _wildcard_socket(endpoint.port) if not endpoint.host else _socket_for(endpoint)
    except AddressError as err:
        raise AddressError(f"listen tcp: {err}") from None
    except OSError as err:
        raise AddressError(f"listen tcp {where}: bind: {_go_errno(err)}") from None
    return sock, _reported(sock)


def _socket_for(endpoint: Endpoint) -> socket.socket:
    family = socket.AF_INET6 if ":" in endpoint.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # Go sets SO_REUSEADDR, so disabling and re-enabling rebinds the same port
        # even while old connections sit in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((endpoint.host, endpoint.port))
    except OSError:
        sock.close()
        raise
    return sock


def _wildcard_socket(port: int) -> socket.socket:
    """Every interface: a dual-stack IPv6 socket as Go opens, IPv4 if there is no IPv6."""
    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        return _socket_for(Endpoint("0.0.0.0", port))
    try:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("::", port))
    except OSError:
        sock.close()
        raise
    return sock


def _reported(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"[{host}]:{port}" if sock.family == socket.AF_INET6 else f"{host}:{port}"


def _go_errno(err: OSError) -> str:
    """errno text as Go prints it: lower case, e.g. `address already in use`."""
    if err.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
        return os.strerror(err.errno).lower()
    return (err.strerror or str(err)).lower()


def dial_target(upstream: str) -> tuple[str, int]:
    """Where to connect for `upstream`; an empty or wildcard host means this machine, as in Go."""
    host, port_text = split_host_port(upstream)
    port = _port(upstream, port_text)
    if host in _WILDCARDS:
        host = "127.0.0.1"
    return host, port
