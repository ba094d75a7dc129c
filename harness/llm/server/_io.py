"""`Connection`: an asyncio transport with write flow control and a closed flag.

Streams write event by event; without `drain()` a client that reads slowly would make the
server buffer a whole answer per connection.
"""

from __future__ import annotations

import asyncio

__all__ = ["Connection"]


class Connection:
    """A transport with write flow control: `drain()` waits while the client reads slowly."""

    __slots__ = ("_drained", "_transport", "closed")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._drained: asyncio.Future[None] | None = None
        self.closed = False

    def write(self, data: bytes) -> None:
        if not self.closed:
            self._transport.write(data)

    async def drain(self) -> None:
        if self.closed:
            raise ConnectionResetError("the client closed the connection")
        if self._drained is not None:
            await self._drained

    def pause(self) -> None:
        if self._drained is None:
            self._drained = asyncio.get_running_loop().create_future()

    def resume(self) -> None:
        if self._drained is not None:
            self._drained.set_result(None)
            self._drained = None

    def close(self) -> None:
        self.closed = True
        self._transport.close()  # after the buffered bytes are sent

    def abort(self) -> None:
        self.closed = True
        self._transport.abort()  # now, dropping anything unsent (shutdown, errors)

    def lost(self) -> None:
        self.closed = True
        if self._drained is not None and not self._drained.done():
            self._drained.set_exception(ConnectionResetError("the client closed the connection"))
            self._drained.exception()  # retrieved here, so a drain nobody awaits logs nothing
            self._drained = None
