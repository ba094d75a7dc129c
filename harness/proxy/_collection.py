"""The registry of proxies: create, look up, remove, populate, reset (Go's `proxy_collection.go`)."""

from __future__ import annotations

from dataclasses import dataclass

from . import _errors
from ._address import same_listen
from ._gojson import GoJSONError, Pairs, decode, kind, struct_fields
from ._proxy import Proxy

__all__ = ["ProxyCollection", "ProxySpec", "parse_populate", "parse_proxy"]

_PROXY_FIELDS = {"name": "string", "listen": "string", "upstream": "string", "enabled": "bool"}
_POPULATE_TYPE = 'struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }'


@dataclass
class ProxySpec:
    """A proxy as a request body describes it; `enabled` defaults to true."""

    name: str = ""
    listen: str = ""
    upstream: str = ""
    enabled: bool = True


def parse_proxy(body: bytes, defaults: ProxySpec | None = None) -> ProxySpec:
    """A `POST /proxies` or proxy update body; omitted fields keep `defaults`."""
    spec = defaults or ProxySpec()
    try:
        found = struct_fields(decode(body), _PROXY_FIELDS, "Proxy", "toxiproxy.Proxy")
    except GoJSONError as err:
        raise _errors.bad_request_body(str(err)) from None
    return ProxySpec(**{**spec.__dict__, **found})


def parse_populate(body: bytes) -> list[ProxySpec]:
    """A `/populate` body: an array of proxies, every entry checked before any is created."""
    try:
        value = decode(body)
        if value is not None and (isinstance(value, Pairs) or not isinstance(value, list)):
            raise GoJSONError(
                f"json: cannot unmarshal {kind(value)} into Go value of type []{_POPULATE_TYPE}"
            )
        specs = [ProxySpec(**struct_fields(v, _PROXY_FIELDS, "", _POPULATE_TYPE)) for v in value or []]
    except GoJSONError as err:
        raise _errors.bad_request_body(str(err)) from None
    seen: set[str] = set()
    for number, spec in enumerate(specs, start=1):
        if not spec.name:
            raise _errors.missing_field(f"name at proxy {number}")
        if not spec.upstream:
            raise _errors.missing_field(f"upstream at proxy {number}")
        if spec.name in seen:
            raise _errors.internal(f'duplicate proxy name "{spec.name}"')
        seen.add(spec.name)
    return specs


class ProxyCollection:
    """Every proxy of one server, by name."""

    def __init__(self) -> None:
        self._proxies: dict[str, Proxy] = {}

    def sorted(self) -> list[Proxy]:
        return [self._proxies[name] for name in sorted(self._proxies)]

    def get(self, name: str) -> Proxy:
        proxy = self._proxies.get(name)
        if proxy is None:
            raise _errors.proxy_not_found()
        return proxy

    async def create(self, spec: ProxySpec) -> Proxy:
        """Checks in Go's order: name, upstream, duplicate (409), then the listener (500)."""
        if not spec.name:
            raise _errors.missing_field("name")
        if not spec.upstream:
            raise _errors.missing_field("upstream")
        if spec.name in self._proxies:
            raise _errors.proxy_already_exists()
        proxy = Proxy(spec.name, spec.listen, spec.upstream)
        if spec.enabled:
            await proxy.start()  # if this fails the proxy is not added
        self._proxies[spec.name] = proxy
        return proxy

    async def remove(self, name: str) -> None:
        proxy = self.get(name)
        await proxy.stop()
        del self._proxies[name]

    async def add_or_replace(self, spec: ProxySpec) -> Proxy:
        """Keep an existing proxy with the same address and upstream untouched, toxics and all."""
        existing = self._proxies.get(spec.name)
        if existing is not None:
            if existing.upstream == spec.upstream and same_listen(spec.listen, existing.listen):
                return existing
            await self.remove(spec.name)
        return await self.create(spec)

    async def populate(self, specs: list[ProxySpec]) -> tuple[list[Proxy], _errors.ApiError | None]:
        """Apply each entry in order; stop at the first failure, keeping what was done."""
        done: list[Proxy] = []
        for spec in specs:
            try:
                done.append(await self.add_or_replace(spec))
            except _errors.ApiError as err:
                return done, err
        return done, None

    async def reset(self) -> None:
        """Enable every proxy again and remove every toxic; live connections stay."""
        for proxy in list(self._proxies.values()):
            await proxy.start()
            await proxy.toxics.reset()

    async def close(self) -> None:
        """Stop every proxy (server shutdown)."""
        for proxy in list(self._proxies.values()):
            await proxy.stop()
        self._proxies.clear()
