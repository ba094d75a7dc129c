"""What every toxic shares: the registry by type key, the stream direction, the stub.

A `Toxic` is a dataclass of integer JSON attributes plus a `pipe(stub)` coroutine,
like Toxiproxy's `toxics/*.go`. A `Stub` is one toxic's place in one link of one
connection: an input pipe, an output, per-connection state and the running task.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from ..._exceptions import ProxyError
from .._pipe import Chunk, Item, Pipe, put, put_force

__all__ = ["Direction", "Stub", "Toxic", "ToxicWrapper", "new_toxic", "passthrough", "roll", "toxic_types"]

log = logging.getLogger("harness.proxy")


class Direction(enum.IntEnum):
    """Upstream carries client -> server bytes, downstream server -> client."""

    UPSTREAM = 0
    DOWNSTREAM = 1

    @classmethod
    def parse(cls, text: str) -> Direction | None:
        """Case-insensitive, as Go's `stream.ParseDirection`; None if invalid."""
        return {"upstream": cls.UPSTREAM, "downstream": cls.DOWNSTREAM}.get(text.lower())


@dataclass
class Toxic:
    """A fault. Subclasses pass `key=` to register under that type name."""

    buffer_size: ClassVar[int] = 0  # chunks its input pipe holds; latency needs many
    closes_on_remove: ClassVar[bool] = False  # removing it closes the link (Go's Cleanup)
    resets_peer: ClassVar[bool] = False  # connections opened under it close with an RST
    go_int: ClassVar[str] = "int64"  # Go's type of the attributes, for error messages
    key: ClassVar[str] = ""
    _registry: ClassVar[dict[str, type[Toxic]]] = {}

    def __init_subclass__(cls, *, key: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if key is None:
            return
        if key in Toxic._registry:
            other = Toxic._registry[key]
            raise ProxyError(
                f"toxic type {key!r} is registered twice ({other.__module__}.{other.__qualname__} "
                f"and {cls.__module__}.{cls.__qualname__}); give one of them another key"
            )
        cls.key = key
        Toxic._registry[key] = cls

    def attributes(self) -> dict[str, int]:
        """The JSON `attributes`, in field order, as Go marshals the struct."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def attribute_types(cls) -> dict[str, str]:
        return {f.name: cls.go_int for f in dataclasses.fields(cls)}

    def validate(self) -> str | None:
        """Why these attributes cannot work, or None."""
        return None

    def new_state(self) -> Any:
        """Per-connection state kept across restarts of the stub (limit_data's count)."""
        return None

    async def pipe(self, stub: Stub) -> None:
        raise NotImplementedError


def toxic_types() -> dict[str, type[Toxic]]:
    return dict(Toxic._registry)


def new_toxic(key: str) -> Toxic | None:
    """A toxic of that type with every attribute 0, or None for an unknown type."""
    cls = Toxic._registry.get(key)
    return cls() if cls is not None else None


def roll(toxicity: float, rand: Callable[[], float] = random.random) -> bool:
    """Whether a stub runs its toxic (True) or a noop, decided once per (re)start."""
    return rand() < toxicity


@dataclass(eq=False)
class ToxicWrapper:
    """A toxic as the API knows it: its name, type, stream text as sent, toxicity."""

    name: str
    type: str
    stream: str
    toxicity: float
    direction: Direction
    toxic: Toxic
    # Not in Toxiproxy's JSON: how often this toxic really acted (a roll that ran it on a link,
    # chunks it was handed), for the harness's "did the fault fire" check.
    links: int = 0
    chunks: int = 0


class Stub:
    """Runs one toxic on one link; interrupting it flushes whatever the toxic held."""

    def __init__(self, wrapper: ToxicWrapper, input: Pipe, output: Pipe) -> None:
        self.wrapper = wrapper
        self.input = input
        self.output = output
        self.state = wrapper.toxic.new_state()
        self.closed = False
        self.live = False  # whether this run of the stub rolled the toxic (not the noop)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        wrapper = self.wrapper
        toxic = wrapper.toxic if roll(wrapper.toxicity) else _NOOP
        self.live = toxic is not _NOOP
        wrapper.links += self.live
        try:
            await toxic.pipe(self)
        except Exception:  # a bug in a toxic must end its link, not hang it
            log.exception("toxic %s failed; closing its link", wrapper.name)
            if not self.closed:
                self.close()

    async def interrupt(self) -> bool:
        """Stop the toxic; False if the stub had already closed its output."""
        task = self._task
        if task is None or self.closed:
            return False
        task.cancel()
        await asyncio.wait([task])
        return not self.closed

    async def restart(self) -> None:
        """Interrupt and run again: a new toxicity roll, and new attributes if updated."""
        if await self.interrupt():
            self.start()

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    # The API toxics use. Each one that waits flushes what it holds if interrupted.

    async def recv(self, timeout: float | None = None) -> Item:
        """The next chunk, or None at EOF; TimeoutError after `timeout` s of silence."""
        item = await self.input.get(timeout)
        if item is not None and self.live:
            self.wrapper.chunks += 1
        return item

    async def send(self, chunk: Chunk) -> None:
        try:
            await put(self, chunk)
        except asyncio.CancelledError:
            put_force(self, chunk)
            raise

    async def sleep(self, seconds: float, *holding: Item) -> None:
        """Wait (forever if `seconds` is inf); if interrupted, pass `holding` on first."""
        try:
            if math.isinf(seconds):
                await asyncio.get_running_loop().create_future()  # never resolves
            else:
                await asyncio.sleep(max(0.0, seconds))
        except asyncio.CancelledError:
            for item in holding:
                self.flush(item)
            raise

    def flush(self, item: Item) -> None:
        put_force(self, item)
        if item is None:
            self.closed = True

    def close(self) -> None:
        """End the stream: the link's writer closes its socket once this arrives."""
        self.flush(None)


async def passthrough(stub: Stub) -> None:
    """Forward every chunk unchanged, then the EOF."""
    while (chunk := await stub.recv()) is not None:
        await stub.send(chunk)
    stub.close()


class _Noop(Toxic):
    """What a stub runs when its toxicity roll fails."""

    async def pipe(self, stub: Stub) -> None:
        await passthrough(stub)


_NOOP = _Noop()
