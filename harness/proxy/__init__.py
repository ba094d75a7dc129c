"""An embedded Toxiproxy-compatible server: Toxiproxy's HTTP API and TCP proxying.

    async with ToxiproxyServer(port=0) as server:   # in an event loop
        ... server.url ...

    with run_in_thread() as handle:                 # from synchronous code
        ... handle.url ...

    serve_proxy("127.0.0.1", 8474)                        # foreground, for the CLI

Behaviour follows Toxiproxy 2.12 (see the spec in shared/toxiproxy-spec.md): the same
endpoints, statuses, error bodies and toxics, so any Toxiproxy client works against it.
"""

from __future__ import annotations

from ._api import VERSION
from ._server import DEFAULT_API_PORT, DEFAULT_HOST, ServerThread, ToxiproxyServer, run_in_thread, serve_proxy

__all__ = [
    "DEFAULT_API_PORT",
    "DEFAULT_HOST",
    "VERSION",
    "ServerThread",
    "ToxiproxyServer",
    "run_in_thread",
    "serve_proxy",
]
