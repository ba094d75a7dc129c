"""`noop`: passes data unchanged (Toxiproxy's `toxics/noop.go`)."""

from __future__ import annotations

from dataclasses import dataclass

from ._base import Stub, Toxic, passthrough

__all__ = ["NoopToxic"]


@dataclass
class NoopToxic(Toxic, key="noop"):
    """Does nothing; useful to test the API and the chain itself."""

    async def pipe(self, stub: Stub) -> None:
        await passthrough(stub)
