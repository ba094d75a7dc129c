"""`slicer`: cut each chunk into pieces around `average_size` B, `delay` us apart."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from .._pipe import Chunk
from ._base import Stub, Toxic

__all__ = ["SlicerToxic", "slice_bounds"]


def slice_bounds(
    size: int, average: int, variation: int, randrange: Callable[[int], int] = random.randrange
) -> list[tuple[int, int]]:
    """(start, end) of each piece: halve at about the middle +- `variation` until a piece
    is no more than `average + variation` bytes (Go's recursive `chunk`, made iterative)."""
    pieces: list[tuple[int, int]] = []
    todo = [(0, size)]
    while todo:
        start, end = todo.pop()
        if (end - start) - average <= variation:
            pieces.append((start, end))
            continue
        mid = start + (end - start) // 2
        if variation > 0:
            mid += randrange(2 * variation) - variation
        # Keep both halves non-empty, so every split makes progress.
        mid = min(max(mid, start + 1), end - 1)
        todo += [(mid, end), (start, mid)]
    return pieces


@dataclass
class SlicerToxic(Toxic, key="slicer"):
    """Fragment writes, as a slow or lossy network would; content and order are kept."""

    average_size: int = 0
    size_variation: int = 0
    delay: int = 0  # microseconds, after every piece including the last

    go_int: ClassVar[str] = "int"

    def validate(self) -> str | None:
        if self.average_size + self.size_variation < 1:
            return "slicer needs average_size + size_variation >= 1, or it would split each chunk forever"
        return None

    async def pipe(self, stub: Stub) -> None:
        while (chunk := await stub.recv()) is not None:
            data = chunk.data
            for start, end in slice_bounds(len(data), self.average_size, self.size_variation):
                await stub.send(Chunk(data[start:end], chunk.ts))
                rest = [Chunk(data[end:], chunk.ts)] if end < len(data) else []
                await stub.sleep(self.delay / 1_000_000, *rest)
        stub.close()
