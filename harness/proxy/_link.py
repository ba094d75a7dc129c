"""Links: one direction of one proxied connection, reader -> toxic stubs -> writer.

Mirrors Toxiproxy's `link.go`: upstream carries client -> server bytes, downstream
server -> client. Toxics join and leave live links; when a link's source ends, its
destination is fully closed (half-close is not preserved), which makes the other
link's read end too.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import Callable, Sequence

from ._pipe import Chunk, Pipe, put
from .toxics import Direction, Stub, ToxicWrapper

__all__ = ["Connection", "Link"]

READ_SIZE = 32 * 1024  # Go's io.Copy buffer


class _Reader:
    """The outlet the socket reader writes through; rewired when toxics come and go."""

    __slots__ = ("output",)

    def __init__(self, output: Pipe) -> None:
        self.output = output


Outlet = _Reader | Stub


class Link:
    """One direction: a socket reader, a chain of stubs, a socket writer."""

    def __init__(
        self,
        direction: Direction,
        chain: Sequence[ToxicWrapper],
        source: asyncio.StreamReader,
        dest: asyncio.StreamWriter,
        on_done: Callable[[Link], None],
    ) -> None:
        self.direction = direction
        self.done = False
        self._source, self._dest, self._on_done = source, dest, on_done
        self.sink = Pipe()
        self._reader = _Reader(self.sink)
        self.stubs: list[Stub] = []
        for wrapper in chain:
            self._append(wrapper)
        self._tasks: list[asyncio.Task[None]] = []

    def _append(self, wrapper: ToxicWrapper) -> Stub:
        prev = self._last()
        stub = Stub(wrapper, Pipe(wrapper.toxic.buffer_size), self.sink)
        prev.output, old = stub.input, prev.output
        old.kick()  # a putter blocked on the old pipe looks again
        self.stubs.append(stub)
        return stub

    def _last(self) -> Outlet:
        return self.stubs[-1] if self.stubs else self._reader

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._read()), loop.create_task(self._write())]
        for stub in self.stubs:
            stub.start()

    async def _read(self) -> None:
        try:
            while data := await self._source.read(READ_SIZE):
                if self._reader.output is self.sink and not len(self.sink):
                    # No toxics and nothing queued: write here and save a task switch
                    # per chunk. Order holds, as anything earlier is already written.
                    self._dest.write(data)
                    await self._dest.drain()
                else:
                    await put(self._reader, Chunk(data, time.monotonic()))
        except OSError:
            pass  # a reset reads like EOF, as Go's io.Copy ends on any error
        await put(self._reader, None)

    async def _write(self) -> None:
        try:
            while (chunk := await self.sink.get()) is not None:
                self._dest.write(chunk.data)
                await self._dest.drain()
        except OSError:
            pass
        finally:
            self._dest.close()
            self._finish()

    def _finish(self) -> None:
        """The destination is closed: nothing this link still holds can be delivered."""
        self.done = True
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        for stub in self.stubs:
            stub.cancel()
        self._on_done(self)

    def cancel(self) -> None:
        for task in self._tasks:
            task.cancel()

    async def add(self, wrapper: ToxicWrapper) -> None:
        """Append a toxic; it acts on the next chunk. The previous stub restarts (re-roll)."""
        if self.done:
            return
        prev = self._last()
        self._append(wrapper).start()
        if isinstance(prev, Stub):
            await prev.restart()

    async def update(self, index: int) -> None:
        if not self.done:
            await self.stubs[index].restart()

    async def remove(self, index: int) -> None:
        """Take a toxic out; what it held and what queued for it goes on downstream."""
        if self.done:
            return
        stub = self.stubs.pop(index)
        prev = self.stubs[index - 1] if index > 0 else self._reader
        await stub.interrupt()
        if stub.wrapper.toxic.closes_on_remove and not stub.closed:
            stub.close()
        stub.input.retire(stub.output)
        prev.output = stub.output
        if isinstance(prev, Stub):
            await prev.restart()


class Connection:
    """A client socket and its upstream socket, joined by an upstream and a downstream link."""

    def __init__(
        self,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        server: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        chains: dict[Direction, list[ToxicWrapper]],
        on_done: Callable[[Connection], None],
    ) -> None:
        self._writers = (client[1], server[1])
        self._on_done = on_done
        self.links = (
            Link(Direction.UPSTREAM, chains[Direction.UPSTREAM], client[0], server[1], self._ended),
            Link(Direction.DOWNSTREAM, chains[Direction.DOWNSTREAM], server[0], client[1], self._ended),
        )
        if any(w.toxic.resets_peer for chain in chains.values() for w in chain):
            self._linger_zero()

    def _linger_zero(self) -> None:
        """Close with an RST instead of a FIN, as Go does under a reset_peer toxic."""
        for writer in self._writers:
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def start(self) -> None:
        for link in self.links:
            link.start()

    def close(self) -> None:
        """Close both sockets (the proxy is stopping); the links then wind down."""
        for writer in self._writers:
            writer.close()
        for link in self.links:
            link.cancel()

    def _ended(self, link: Link) -> None:
        if all(each.done for each in self.links):
            self._on_done(self)
