"""One proxy: a listener, the connections it accepted, and its toxics (Go's `proxy.go`)."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

from . import _errors
from ._address import AddressError, bind_listener, dial_target, resolve, same_listen
from ._link import Connection
from ._toxic_collection import ToxicCollection

__all__ = ["Proxy"]

log = logging.getLogger("harness.proxy")

_STREAM_LIMIT = 256 * 1024  # bytes asyncio buffers per socket before pausing reads


class Proxy:
    """Listens on `listen`, dials `upstream` for each client, runs toxics on both links."""

    def __init__(self, name: str, listen: str, upstream: str) -> None:
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.toxics = ToxicCollection()
        self._server: asyncio.Server | None = None
        self._connections: set[Connection] = set()
        self._generation = 0  # bumped on stop, so a dial that outlives it is dropped

    def to_json(self) -> dict[str, Any]:
        """Go's field order; `Logger` is the real server's stray untagged field (>= 2.5)."""
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "Logger": {},
            "toxics": self.toxics.to_json(),
        }

    async def start(self) -> None:
        """Bind `listen` (SO_REUSEADDR, so the same port comes back) and accept; 500 on failure."""
        if self.enabled:
            return
        try:
            sock, resolved = bind_listener(self.listen)
        except AddressError as err:
            raise _errors.internal(str(err)) from None
        try:
            self._server = await asyncio.start_server(
                self._accept, sock=sock, limit=_STREAM_LIMIT, backlog=socket.SOMAXCONN
            )
        except OSError as err:
            sock.close()
            raise _errors.internal(f"listen tcp {resolved}: {err.strerror or err}") from None
        self.listen = resolved
        self.enabled = True
        log.info("proxy %s listening on %s for %s", self.name, self.listen, self.upstream)

    async def stop(self) -> None:
        """Close the listener (new connects are refused) and every live connection."""
        if not self.enabled:
            return
        self.enabled = False
        self._generation += 1
        if self._server is not None:
            self._server.close()
            self._server = None
        for connection in list(self._connections):
            connection.close()
        log.info("proxy %s stopped", self.name)

    async def update(self, listen: str, upstream: str, enabled: bool) -> None:
        """Go's Proxy.Update: a new address restarts the proxy, which drops connections."""
        try:
            resolve(listen)
        except AddressError as err:
            raise _errors.internal(str(err)) from None
        if not same_listen(listen, self.listen) or upstream != self.upstream:
            await self.stop()
            self.listen, self.upstream = listen, upstream
        if enabled and not self.enabled:
            await self.start()
        elif not enabled and self.enabled:
            await self.stop()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        generation = self._generation
        try:
            host, port = dial_target(self.upstream)
            upstream = await asyncio.open_connection(host, port, limit=_STREAM_LIMIT)
        except (OSError, ValueError) as err:
            # Go closes the client at once: it sees a connect, then EOF.
            log.warning("proxy %s: cannot reach upstream %s: %s", self.name, self.upstream, err)
            writer.close()
            return
        if generation != self._generation:
            writer.close()
            upstream[1].close()
            return
        connection = Connection((reader, writer), upstream, self.toxics.snapshot(), self._ended)
        self._connections.add(connection)
        self.toxics.links.update(connection.links)
        connection.start()

    def _ended(self, connection: Connection) -> None:
        self._connections.discard(connection)
        self.toxics.links.difference_update(connection.links)
