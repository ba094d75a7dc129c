"""`reset_peer`: after the first chunk (or EOF) and `timeout` ms, close the connection.

The close is an RST only for connections opened while this toxic was on the proxy:
the link sets SO_LINGER 0 at start (Go's `link.Start`). Added later, it is a FIN.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import ClassVar

from ._base import Stub, Toxic

__all__ = ["ResetPeerToxic"]


@dataclass
class ResetPeerToxic(Toxic, key="reset_peer"):
    """Simulate a peer that resets the connection once data flows."""

    timeout: int = 0

    resets_peer: ClassVar[bool] = True

    async def pipe(self, stub: Stub) -> None:
        await stub.recv()  # the first chunk or EOF triggers it; the data is dropped
        try:
            await asyncio.sleep(self.timeout / 1000)
        except asyncio.CancelledError:
            # Go ignores interrupts here and closes anyway; close now rather than later.
            stub.close()
            raise
        stub.close()
