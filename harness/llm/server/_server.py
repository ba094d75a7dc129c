"""`MockLLMServer`: the server as an object, in the caller's event loop or in a thread.

    async with MockLLMServer(config) as server:      # this loop
        client = openai.AsyncOpenAI(base_url=server.base_url, ...)

    server = start_in_thread(config)                 # its own loop in a daemon thread
    ...
    server.stop()

`stop()` closes the listener and drops every open connection (held hangs included), so a
test that forgets a hanging request does not keep anything alive.

`control_host` (default 127.0.0.1) is where the control API answers, whatever `host` is: bound to
another address, the server also listens on `control_host` at the same port (a wildcard `host`
covers it already), and answers `/_control` on no other (see `_app`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from types import TracebackType

from ..._exceptions import MockServerError
from ...process import connect_host, is_wildcard
from ._app import App, control_reachable
from ._config import ServerConfig
from ._http import HttpProtocol, make_protocol
from ._state import Brain, RouteReader, ServerState, load_brain

__all__ = ["MockLLMServer", "start_in_thread"]


class MockLLMServer:
    """An OpenAI-compatible mock server; `brain` writes the replies (default: `generic_brain`),
    `route_of` reads the router's route from its reply (default: the reply, stripped)."""

    def __init__(
        self,
        config: ServerConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        brain: Brain | None = None,
        route_of: RouteReader | None = None,
        control_host: str = "127.0.0.1",
    ) -> None:
        self.host, self.control_host = host, control_host
        self.state = ServerState(config or ServerConfig(), brain or load_brain(), route_of)
        self.app: App | None = None  # built at start (a cassette is read then)
        self._requested_port = port
        self._server: asyncio.Server | None = None
        self._control_server: asyncio.Server | None = None
        self._connections: set[HttpProtocol] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise MockServerError("the mock LLM server is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"http://{connect_host(self.host)}:{self.port}"

    @property
    def control_url(self) -> str:
        """Where the control API answers (`/_control/...` under it)."""
        if control_reachable(self.control_host, connect_host(self.host)):
            return self.url
        return f"http://{connect_host(self.control_host)}:{self.port}"

    @property
    def base_url(self) -> str:
        """What an OpenAI client takes as `base_url`."""
        return f"{self.url}/v1"

    async def start(self) -> MockLLMServer:
        loop = asyncio.get_running_loop()
        self.app = App(self.state, self.control_host)
        factory = make_protocol(self.app, self._connections)
        self._server = await self._listen(loop, factory, self.host, self._requested_port)
        if not is_wildcard(self.host) and not control_reachable(self.control_host, self.host):
            self._control_server = await self._listen(loop, factory, self.control_host, self.port)
        self._loop = loop
        return self

    @staticmethod
    async def _listen(
        loop: asyncio.AbstractEventLoop, factory: Callable[[], HttpProtocol], host: str, port: int
    ) -> asyncio.Server:
        try:
            # A deep backlog: load tests open hundreds of connections at once.
            return await loop.create_server(factory, host, port, backlog=2048, reuse_address=True)
        except OSError as exc:
            raise MockServerError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}; pick another port (0: any free one)"
            ) from None

    def stop(self) -> None:
        """Stop listening and drop every connection; idempotent. A server started with
        `start_in_thread` may be stopped from any thread; one in a loop, from that loop."""
        if self._thread is not None and threading.current_thread() is not self._thread:
            loop, thread, self._thread = self._loop, self._thread, None
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            return
        for server in (self._server, self._control_server):
            if server is not None:
                server.close()
        for connection in list(self._connections):
            connection.abort()

    async def aclose(self) -> None:
        self.stop()
        for server in (self._server, self._control_server):
            if server is not None:
                await server.wait_closed()
        await asyncio.sleep(0)  # let cancelled replies (hangs) unwind before the loop moves on

    async def __aenter__(self) -> MockLLMServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> MockLLMServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _run_loop(server: MockLLMServer, ready: threading.Event, failed: list[BaseException]) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(server.start())
    except BaseException as exc:
        failed.append(exc)
        ready.set()
        loop.close()
        return
    ready.set()
    try:
        loop.run_forever()
    finally:
        loop.run_until_complete(server.aclose())
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def start_in_thread(
    config: ServerConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    brain: Brain | None = None,
    route_of: RouteReader | None = None,
    timeout: float = 10.0,
    control_host: str = "127.0.0.1",
) -> MockLLMServer:
    """Start a server on its own event loop in a daemon thread; returns once it listens."""
    server = MockLLMServer(
        config, host=host, port=port, brain=brain, route_of=route_of, control_host=control_host
    )
    ready, failed = threading.Event(), list[BaseException]()
    thread = threading.Thread(target=_run_loop, args=(server, ready, failed), name="mock-llm", daemon=True)
    server._thread = thread
    thread.start()
    if not ready.wait(timeout):
        raise MockServerError(f"the mock LLM server did not start within {timeout} s")
    if failed:
        server._thread = None
        thread.join()
        raise failed[0]
    return server
