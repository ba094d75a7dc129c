"""A proxy's toxics: one ordered chain per direction, applied to every live link.

Mirrors Toxiproxy's `toxic_collection.go`, including the order of its checks
(JSON, stream, type, duplicate name, attributes), so errors match the real server.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from . import _errors
from ._gojson import Float32, GoJSONError, decode, struct_fields
from ._link import Link
from .toxics import Direction, Toxic, ToxicWrapper, new_toxic

__all__ = ["ToxicCollection"]

_WRAPPER_FIELDS = {
    "attributes": "object:toxics.NoopToxic",  # Go decodes into a noop before the type is known
    "name": "string",
    "type": "string",
    "stream": "string",
    "toxicity": "float32",
}


class ToxicCollection:
    """The toxics of one proxy and the links they act on."""

    def __init__(self) -> None:
        self.chains: dict[Direction, list[ToxicWrapper]] = {d: [] for d in Direction}
        self.links: set[Link] = set()

    def to_json(self) -> list[dict[str, Any]]:
        """Upstream toxics first, then downstream, each in the order added."""
        return [toxic_json(w) for d in Direction for w in self.chains[d]]

    def find(self, name: str) -> ToxicWrapper | None:
        """Names are unique across both directions."""
        for chain in self.chains.values():
            for wrapper in chain:
                if wrapper.name == name:
                    return wrapper
        return None

    def get(self, name: str) -> ToxicWrapper:
        wrapper = self.find(name)
        if wrapper is None:
            raise _errors.toxic_not_found()
        return wrapper

    async def add_json(self, body: bytes) -> ToxicWrapper:
        wrapper = self._parse_new(body)
        chain = self.chains[wrapper.direction]
        chain.append(wrapper)
        for link in self._links(wrapper.direction):
            await link.add(wrapper)
        return wrapper

    def _parse_new(self, body: bytes) -> ToxicWrapper:
        try:
            value = decode(body)
            fields = struct_fields(value, _WRAPPER_FIELDS, "ToxicWrapper", "toxics.ToxicWrapper")
        except GoJSONError as err:
            raise _errors.bad_request_body(str(err)) from None
        stream = fields.get("stream", "downstream")
        direction = Direction.parse(stream)
        if direction is None:
            raise _errors.invalid_stream()
        kind = fields.get("type", "")
        name = fields.get("name") or f"{kind}_{stream}"
        toxic = new_toxic(kind)
        if toxic is None:
            raise _errors.invalid_toxic_type()
        if self.find(name) is not None:
            raise _errors.toxic_already_exists()
        toxic = _with_attributes(toxic, fields.get("attributes"))
        toxicity = fields.get("toxicity", 1.0)
        return ToxicWrapper(name, kind, stream, toxicity, direction, toxic)

    async def update_json(self, name: str, body: bytes) -> ToxicWrapper:
        """Merge `attributes` into the current ones; `toxicity` if given. Nothing else."""
        wrapper = self.get(name)
        try:
            fields = struct_fields(
                decode(body), {"attributes": "object:toxics.Toxic", "toxicity": "float32"}, "", "struct"
            )
        except GoJSONError as err:
            raise _errors.bad_request_body(str(err)) from None
        wrapper.toxic = _with_attributes(wrapper.toxic, fields.get("attributes"))
        wrapper.toxicity = fields.get("toxicity", wrapper.toxicity)
        index = self.chains[wrapper.direction].index(wrapper)
        for link in self._links(wrapper.direction):
            await link.update(index)
        return wrapper

    async def remove(self, name: str) -> None:
        wrapper = self.get(name)
        chain = self.chains[wrapper.direction]
        index = chain.index(wrapper)
        del chain[index]
        for link in self._links(wrapper.direction):
            await link.remove(index)

    async def reset(self) -> None:
        """Remove every toxic, last first (a removed timeout still closes its links)."""
        for direction in Direction:
            while self.chains[direction]:
                await self.remove(self.chains[direction][-1].name)

    def snapshot(self) -> dict[Direction, list[ToxicWrapper]]:
        """The chains a new connection starts with."""
        return {d: list(chain) for d, chain in self.chains.items()}

    def _links(self, direction: Direction) -> list[Link]:
        # A snapshot: links may end while we await another one's restart.
        return [link for link in self.links if link.direction == direction]


def _with_attributes(toxic: Toxic, attributes: Any) -> Toxic:
    """A copy of `toxic` with `attributes` merged in and checked."""
    name = type(toxic).__name__
    try:
        changes = struct_fields(attributes, toxic.attribute_types(), f"{name}.attributes", f"toxics.{name}")
    except GoJSONError as err:
        raise _errors.bad_request_body(str(err)) from None
    updated = dataclasses.replace(toxic, **changes)
    problem = updated.validate()
    if problem:
        raise _errors.bad_request_body(problem)
    return updated


def toxic_json(wrapper: ToxicWrapper) -> dict[str, Any]:
    return {
        "attributes": wrapper.toxic.attributes(),
        "name": wrapper.name,
        "type": wrapper.type,
        "stream": wrapper.stream,
        "toxicity": Float32(wrapper.toxicity),
    }
