"""`limit_data`: forward at most `bytes` bytes in this direction, then close."""

from __future__ import annotations

from dataclasses import dataclass

from .._pipe import Chunk
from ._base import Stub, Toxic

__all__ = ["LimitDataToxic"]


@dataclass
class _Sent:
    count: int = 0


@dataclass
class LimitDataToxic(Toxic, key="limit_data"):
    """Truncate the stream; the count survives restarts and resets only when re-added."""

    bytes: int = 0

    def new_state(self) -> _Sent:
        return _Sent()

    async def pipe(self, stub: Stub) -> None:
        sent: _Sent = stub.state
        while (chunk := await stub.recv()) is not None:
            data = chunk.data[: max(0, self.bytes - sent.count)]
            if data:
                sent.count += len(data)  # counted first: an interrupt still delivers it
                await stub.send(Chunk(data, chunk.ts))
            if sent.count >= self.bytes:
                break  # bytes=0 closes at the first chunk, not on connect
        stub.close()
