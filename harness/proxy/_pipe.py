"""Bounded FIFO pipes between the stages of a link, and the outlets that feed them.

A link is a chain: reader -> stub -> stub -> ... -> writer. Each arrow is a `Pipe`
consumed by exactly one stage. Toxics are added to and removed from live links, so
the pipe a stage writes into can change while that stage is blocked on a full pipe.
Rather than interrupting the writer (Go's way), a stage's output is looked up again
on every retry (`Outlet.output`), a retired pipe forwards to its replacement
(`Pipe.forward`), and rewiring wakes blocked putters (`Pipe.kick`) so they look again.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Chunk", "Item", "Outlet", "Pipe", "put", "put_force"]


@dataclass(slots=True)
class Chunk:
    """Bytes read from a socket, with the time they are due (read time, plus any latency)."""

    data: bytes
    ts: float


# `None` is the end of the stream: the source hit EOF or a toxic closed the link.
Item = Chunk | None


class Pipe:
    """A bounded queue with one consumer; it can be retired into another pipe."""

    __slots__ = ("_getter", "_items", "_maxsize", "_putters", "forward")

    def __init__(self, maxsize: int = 1) -> None:
        self._items: deque[Item] = deque()
        self._maxsize = max(1, maxsize)
        self._getter: asyncio.Future[bool] | None = None
        self._putters: list[asyncio.Future[None]] = []
        self.forward: Pipe | None = None

    def __len__(self) -> int:
        return len(self._items)

    def target(self) -> Pipe:
        """The live pipe this one stands for, after any retirements."""
        pipe = self
        while pipe.forward is not None:
            pipe = pipe.forward
        return pipe

    def full(self) -> bool:
        return len(self._items) >= self._maxsize

    def push(self, item: Item) -> None:
        """Append regardless of the bound (used for flushes, which must never block)."""
        self._items.append(item)
        if self._getter is not None and not self._getter.done():
            self._getter.set_result(True)

    async def get(self, timeout: float | None = None) -> Item:
        """Next item; raises TimeoutError if `timeout` seconds pass with nothing."""
        while not self._items:
            fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self._getter = fut
            timer = None
            if timeout is not None:
                timer = asyncio.get_running_loop().call_later(timeout, _resolve, fut, False)
            try:
                arrived = await fut
            finally:
                self._getter = None
                if timer is not None:
                    timer.cancel()
            if not arrived and not self._items:
                raise TimeoutError
        item = self._items.popleft()
        self._wake_one_putter()
        return item

    def retire(self, into: Pipe) -> None:
        """Hand everything queued here to `into`, and send future puts there too."""
        self.forward = into
        while self._items:
            into.target().push(self._items.popleft())
        self.kick()

    def kick(self) -> None:
        """Wake every blocked putter so it looks up its output again."""
        putters, self._putters = self._putters, []
        for fut in putters:
            _resolve(fut, None)

    async def wait_space(self) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._putters.append(fut)
        try:
            await fut
        finally:
            if fut in self._putters:
                self._putters.remove(fut)

    def _wake_one_putter(self) -> None:
        while self._putters:
            fut = self._putters.pop(0)
            if not fut.done():
                fut.set_result(None)
                return


def _resolve(fut: asyncio.Future[Any], value: Any) -> None:
    if not fut.done():
        fut.set_result(value)


class Outlet(Protocol):
    """Anything that writes into a pipe that may be swapped under it."""

    output: Pipe


async def put(outlet: Outlet, item: Item) -> None:
    """Put `item` into the outlet's current pipe, waiting while it is full."""
    while True:
        pipe = outlet.output.target()
        if not pipe.full():
            pipe.push(item)
            return
        await pipe.wait_space()


def put_force(outlet: Outlet, item: Item) -> None:
    """Put without waiting: for data a cancelled stage must not drop."""
    outlet.output.target().push(item)
