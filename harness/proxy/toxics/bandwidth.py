"""`bandwidth`: at most `rate` KB/s (1 KB = 1000 B), paced per chunk as Go does."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from .._pipe import Chunk
from ._base import Stub, Toxic

__all__ = ["BandwidthToxic", "chunk_delay", "max_piece"]

_SLICE = 0.1  # a big chunk goes out in pieces, one every 100 ms


def chunk_delay(size: int, rate: int) -> float:
    """Seconds `size` bytes take at `rate` KB/s."""
    return size / (rate * 1000)


def max_piece(rate: int) -> int:
    """Bytes sent per 100 ms slice: larger chunks are cut to this."""
    return rate * 100


@dataclass
class BandwidthToxic(Toxic, key="bandwidth"):
    """Throttle; a rate of 0 or less stalls the stream (no bytes pass, it stays open)."""

    rate: int = 0

    async def pipe(self, stub: Stub) -> None:
        debt = 0.0  # seconds of sending owed; oversleeping is paid back on the next chunk
        while (chunk := await stub.recv()) is not None:
            if self.rate <= 0:
                await stub.sleep(math.inf, chunk)
            debt += chunk_delay(len(chunk.data), self.rate)
            data, piece = chunk.data, max_piece(self.rate)
            while len(data) > piece:
                await stub.sleep(_SLICE, Chunk(data, chunk.ts))
                await stub.send(Chunk(data[:piece], chunk.ts))
                data, debt = data[piece:], debt - _SLICE
            start = time.monotonic()
            await stub.sleep(debt, Chunk(data, chunk.ts))
            debt -= time.monotonic() - start
            await stub.send(Chunk(data, chunk.ts))
        stub.close()
