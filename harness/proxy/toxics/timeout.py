"""`timeout`: drop every chunk; close after `timeout` ms with no data (0: never)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ._base import Stub, Toxic

__all__ = ["TimeoutToxic"]


@dataclass
class TimeoutToxic(Toxic, key="timeout"):
    """A black hole: the peer hears nothing, then (optionally) the connection dies."""

    timeout: int = 0

    # Removing it closes the connection (Go's Cleanup), or the dropped bytes would
    # leave both ends waiting for data that will never come.
    closes_on_remove: ClassVar[bool] = True

    async def pipe(self, stub: Stub) -> None:
        wait = self.timeout / 1000 if self.timeout > 0 else None
        while True:
            try:
                chunk = await stub.recv(wait)  # every chunk restarts the timer
            except TimeoutError:
                break
            if chunk is None:
                break
        stub.close()
