"""The server as a whole: API listener plus proxies, in a loop, a thread or the foreground."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import signal
import threading
from pathlib import Path
from types import TracebackType

from .._exceptions import ConfigError, ProxyError
from ..process import freeze_startup_objects, warn_if_exposed
from ._api import Api
from ._collection import ProxyCollection, parse_populate
from ._errors import ApiError
from ._http import HttpServer

__all__ = ["ServerThread", "ToxiproxyServer", "run_in_thread", "serve_proxy"]

log = logging.getLogger("harness.proxy")

DEFAULT_HOST = "127.0.0.1"  # where the real server's `-host localhost` ends up
DEFAULT_API_PORT = 8474


class ToxiproxyServer:
    """A Toxiproxy-compatible server on the running event loop; `port=0` picks a free one."""

    def __init__(
        self, host: str = DEFAULT_HOST, port: int = DEFAULT_API_PORT, *, config_path: str | Path | None = None
    ) -> None:
        self.host, self.port, self.config_path = host, port, config_path
        self.collection = ProxyCollection()
        self._http = HttpServer(Api(self.collection).handle)
        self._address: tuple[str, int] | None = None

    @property
    def api_address(self) -> tuple[str, int]:
        """(host, port) the API listens on; only once started."""
        if self._address is None:
            raise ProxyError("the Toxiproxy server is not started; call `await server.start()` first")
        return self._address

    @property
    def url(self) -> str:
        host, port = self.api_address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def start(self) -> None:
        """Load the config file (as `-config` does, before listening), then listen."""
        if self.config_path is not None:
            await self._populate_from(Path(self.config_path))
        try:
            self._address = await self._http.start(self.host, self.port)
        except OSError as err:
            await self.collection.close()
            raise ProxyError(
                f"cannot listen for the Toxiproxy API on {self.host}:{self.port}: "
                f"{os.strerror(err.errno) if err.errno else err}; stop whatever holds that port (another "
                f"toxiproxy-server?) or pass another port (0 picks a free one)"
            ) from err
        log.info("Toxiproxy-compatible API listening on %s", self.url)

    async def stop(self) -> None:
        """Close the API and every proxy with its connections."""
        await self._http.close()
        await self.collection.close()
        self._address = None

    async def __aenter__(self) -> ToxiproxyServer:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _populate_from(self, path: Path) -> None:
        try:
            body = path.read_bytes()
        except OSError as err:
            raise ConfigError(
                f"toxiproxy config {path}: cannot read it ({err.strerror}); "
                "pass a JSON file holding an array of proxies"
            ) from err
        try:
            _, error = await self.collection.populate(parse_populate(body))
        except ApiError as err:
            error = err
        if error is not None:
            await self.collection.close()
            raise ConfigError(
                f"toxiproxy config {path}: {error.message}; each entry needs "
                '"name", "upstream" and a free "listen" address'
            )


def serve_proxy(
    host: str = DEFAULT_HOST, port: int = DEFAULT_API_PORT, config_path: str | Path | None = None
) -> None:
    """Run in the foreground until Ctrl-C or SIGTERM, like `toxiproxy-server`."""
    warn_if_exposed(
        host,
        "the proxy's API (create listeners, add toxics, reset) is reachable from other hosts",
        prog="harness proxy",
    )
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    async def main() -> None:
        stop = asyncio.Event()
        try:  # SIGTERM stops as cleanly as Ctrl-C; only possible on the main thread
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        except (RuntimeError, ValueError, NotImplementedError):
            pass
        async with ToxiproxyServer(host, port, config_path=config_path):
            await stop.wait()

    freeze_startup_objects()  # a collection's pause would add to every proxied connection's latency
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    log.info("Toxiproxy-compatible server stopped")


class ServerThread:
    """A server on its own thread and event loop, for synchronous tests and tools."""

    def __init__(self, host: str, port: int, config_path: str | Path | None) -> None:
        self._server = ToxiproxyServer(host, port, config_path=config_path)
        self._ready: concurrent.futures.Future[asyncio.AbstractEventLoop] = concurrent.futures.Future()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._main, name="toxiproxy-server", daemon=True)

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def api_address(self) -> tuple[str, int]:
        return self._server.api_address

    def start(self) -> ServerThread:
        self._thread.start()
        self._loop = self._ready.result(timeout=30)  # re-raises a start failure here
        return self

    def stop(self) -> None:
        """Stop the server and join its thread; safe to call twice."""
        if self._thread.is_alive() and self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=30)

    def __enter__(self) -> ServerThread:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _main(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        self._stop = asyncio.Event()
        try:
            await self._server.start()
        except BaseException as err:
            self._ready.set_exception(err)
            return
        self._ready.set_result(asyncio.get_running_loop())
        try:
            await self._stop.wait()
        finally:
            await self._server.stop()


def run_in_thread(
    host: str = DEFAULT_HOST, port: int = 0, config_path: str | Path | None = None
) -> ServerThread:
    """Start a server on a background thread; use `.url`, then `.stop()` (or `with`)."""
    return ServerThread(host, port, config_path).start()
