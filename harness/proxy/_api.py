"""The endpoints of Toxiproxy's HTTP API (`api.go`), with its statuses and bodies.

Mutations run one at a time under a lock, as Go serialises them with mutexes: a
toxic change awaits every live link, and two changes must not interleave there.
"""

from __future__ import annotations

import asyncio
from typing import Any

from . import _errors
from ._collection import ProxyCollection, ProxySpec, parse_populate, parse_proxy
from ._gojson import marshal
from ._http import Request, Response
from ._router import Router
from ._toxic_collection import toxic_json

__all__ = ["VERSION", "Api"]

VERSION = "2.12.0"  # a real semver: Ruby's client picks PATCH over POST from it


def _json(value: Any, status: int = 200) -> Response:
    return Response(status, marshal(value), [("Content-Type", "application/json")])


def _no_content() -> Response:
    return Response(204)


class Api:
    """Request in, response out; owns the router and the proxy collection."""

    def __init__(self, collection: ProxyCollection) -> None:
        self.collection = collection
        self._lock = asyncio.Lock()
        self.router = Router()
        routes = [
            ("/reset", "POST", self.reset),
            ("/proxies", "GET", self.proxy_index),
            ("/proxies", "POST", self.proxy_create),
            ("/populate", "POST", self.populate),
            ("/proxies/{proxy}", "GET", self.proxy_show),
            ("/proxies/{proxy}", "POST PATCH", self.proxy_update),
            ("/proxies/{proxy}", "DELETE", self.proxy_delete),
            ("/proxies/{proxy}/toxics", "GET", self.toxic_index),
            ("/proxies/{proxy}/toxics", "POST", self.toxic_create),
            ("/proxies/{proxy}/toxics/{toxic}", "GET", self.toxic_show),
            ("/proxies/{proxy}/toxics/{toxic}", "POST PATCH", self.toxic_update),
            ("/proxies/{proxy}/toxics/{toxic}", "DELETE", self.toxic_delete),
            ("/proxies/{proxy}/toxics/{toxic}/hits", "GET", self.toxic_hits),
            ("/version", "GET", self.version),
        ]
        for template, methods, handler in routes:
            self.router.add(template, methods, handler)

    async def handle(self, request: Request) -> Response:
        return await self.router.dispatch(request)

    async def version(self, request: Request, params: dict[str, str]) -> Response:
        body = f'{{"version": "{VERSION}"}}\n'.encode()
        return Response(200, body, [("Content-Type", "application/json;charset=utf-8")])

    async def reset(self, request: Request, params: dict[str, str]) -> Response:
        async with self._lock:
            await self.collection.reset()
        return _no_content()

    async def proxy_index(self, request: Request, params: dict[str, str]) -> Response:
        return _json({p.name: p.to_json() for p in self.collection.sorted()})

    async def proxy_create(self, request: Request, params: dict[str, str]) -> Response:
        spec = parse_proxy(request.body)
        async with self._lock:
            proxy = await self.collection.create(spec)
            return _json(proxy.to_json(), 201)

    async def populate(self, request: Request, params: dict[str, str]) -> Response:
        """201 `{"proxies":[...]}`; on failure that error's status, with what was done."""
        error: _errors.ApiError | None = None
        done: list[Any] = []
        try:
            specs = parse_populate(request.body)
        except _errors.ApiError as err:
            error = err
        else:
            async with self._lock:
                proxies, error = await self.collection.populate(specs)
                done = [p.to_json() for p in proxies]
        body: dict[str, Any] = {}
        if error is not None:
            body = {"error": error.message, "status": error.status}
        body["proxies"] = done or None  # Go marshals an empty slice here as null
        return _json(body, error.status if error else 201)

    async def proxy_show(self, request: Request, params: dict[str, str]) -> Response:
        return _json(self.collection.get(params["proxy"]).to_json())

    async def proxy_update(self, request: Request, params: dict[str, str]) -> Response:
        """POST (deprecated) and PATCH alike: a partial update; `name` cannot change."""
        async with self._lock:
            proxy = self.collection.get(params["proxy"])
            current = ProxySpec(proxy.name, proxy.listen, proxy.upstream, proxy.enabled)
            spec = parse_proxy(request.body, current)
            await proxy.update(spec.listen, spec.upstream, spec.enabled)
            return _json(proxy.to_json())

    async def proxy_delete(self, request: Request, params: dict[str, str]) -> Response:
        async with self._lock:
            await self.collection.remove(params["proxy"])
        return _no_content()

    async def toxic_index(self, request: Request, params: dict[str, str]) -> Response:
        return _json(self.collection.get(params["proxy"]).toxics.to_json())

    async def toxic_create(self, request: Request, params: dict[str, str]) -> Response:
        """200, not 201, as the real server answers."""
        async with self._lock:
            toxics = self.collection.get(params["proxy"]).toxics
            return _json(toxic_json(await toxics.add_json(request.body)))

    async def toxic_show(self, request: Request, params: dict[str, str]) -> Response:
        toxics = self.collection.get(params["proxy"]).toxics
        return _json(toxic_json(toxics.get(params["toxic"])))

    async def toxic_update(self, request: Request, params: dict[str, str]) -> Response:
        async with self._lock:
            toxics = self.collection.get(params["proxy"]).toxics
            return _json(toxic_json(await toxics.update_json(params["toxic"], request.body)))

    async def toxic_hits(self, request: Request, params: dict[str, str]) -> Response:
        """Not Toxiproxy's: how often the toxic acted since it was added (links it ran on,
        chunks it was handed), so a chaos run can tell a toxic that fired from an idle one."""
        wrapper = self.collection.get(params["proxy"]).toxics.get(params["toxic"])
        return _json({"name": wrapper.name, "links": wrapper.links, "chunks": wrapper.chunks})

    async def toxic_delete(self, request: Request, params: dict[str, str]) -> Response:
        async with self._lock:
            await self.collection.get(params["proxy"]).toxics.remove(params["toxic"])
        return _no_content()
