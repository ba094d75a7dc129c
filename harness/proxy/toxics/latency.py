"""`latency`: each chunk leaves at its read time + `latency` ms +- `jitter` ms."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from ._base import Stub, Toxic

__all__ = ["LatencyToxic"]


@dataclass
class LatencyToxic(Toxic, key="latency"):
    """Delay without throttling: chunks queue and each waits only for its own due time."""

    latency: int = 0
    jitter: int = 0

    # Go buffers 1024 chunks here, so later chunks wait concurrently with earlier ones.
    buffer_size: ClassVar[int] = 1024

    def delay(self, randrange: Callable[[int], int] = random.randrange) -> float:
        """Seconds to add: latency plus U[-jitter, +jitter) when jitter > 0."""
        ms = self.latency
        if self.jitter > 0:
            ms += randrange(2 * self.jitter) - self.jitter
        return ms / 1000

    async def pipe(self, stub: Stub) -> None:
        while (chunk := await stub.recv()) is not None:
            due = chunk.ts + self.delay()
            # If interrupted mid-wait the chunk goes on at once: no data is dropped.
            await stub.sleep(due - time.monotonic(), chunk)
            chunk.ts = due  # stacked latency toxics add up, as in Go
            await stub.send(chunk)
        stub.close()
