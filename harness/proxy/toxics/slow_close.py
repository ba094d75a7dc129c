"""`slow_close`: data passes unchanged; the close waits `delay` ms after the source's EOF."""

from __future__ import annotations

from dataclasses import dataclass

from ._base import Stub, Toxic

__all__ = ["SlowCloseToxic"]


@dataclass
class SlowCloseToxic(Toxic, key="slow_close"):
    """Hold the EOF back, like a peer slow to close its socket."""

    delay: int = 0

    async def pipe(self, stub: Stub) -> None:
        while (chunk := await stub.recv()) is not None:
            await stub.send(chunk)
        # Interrupted while waiting, the EOF is passed on at once.
        await stub.sleep(self.delay / 1000, None)
        stub.close()
