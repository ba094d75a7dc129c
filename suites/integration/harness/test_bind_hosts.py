"""Bind addresses: a server bound beyond loopback says so on stderr, naming what it exposes, and
the control APIs (the mock LLM's `/_control`, the proxy's API) stay on loopback unless asked."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.llm.server import _run as llm_run
from harness.llm.server import start_in_thread
from harness.process import connect_host, is_loopback, warn_if_exposed
from harness.proxy import _server as proxy_server
from harness.stack import Stack

pytestmark = pytest.mark.harness_self


def _outside_address() -> str:
    """This machine's address on its default route (no packet is sent), or skip."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
        except OSError:
            pytest.skip("no non-loopback interface")
        address: str = probe.getsockname()[0]
    if is_loopback(address):
        pytest.skip("no non-loopback interface")
    return address


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.5", True), ("::1", True), ("localhost", True), ("[::1]", True),
     ("0.0.0.0", False), ("::", False), ("", False), ("192.0.2.7", False), ("example.org", False)],
)  # fmt: skip
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_wildcard_bind_is_reached_on_loopback() -> None:
    assert [connect_host(h) for h in ("0.0.0.0", "::", "10.1.2.3")] == ["127.0.0.1", "::1", "10.1.2.3"]


def test_the_warning_is_one_line_naming_what_is_exposed(capsys: pytest.CaptureFixture[str]) -> None:
    assert warn_if_exposed("127.0.0.1", "the thing", prog="p") is False
    assert warn_if_exposed("0.0.0.0", "the thing is reachable from other hosts", prog="p") is True
    err = capsys.readouterr().err
    assert err == "p: warning: binding 0.0.0.0 (every interface): the thing is reachable from other hosts\n"


@pytest.fixture
def wildcard_llm() -> Iterator[Any]:
    server = start_in_thread(host="0.0.0.0")
    yield server
    server.stop()


def test_mock_llm_on_every_interface_keeps_its_control_api_on_loopback(wildcard_llm: Any) -> None:
    outside = _outside_address()
    port = wildcard_llm.port
    assert httpx.get(f"http://127.0.0.1:{port}/_control/stats", timeout=5).status_code == 200
    assert httpx.get(f"http://{outside}:{port}/v1/models", timeout=5).status_code == 200
    refused = httpx.get(f"http://{outside}:{port}/_control/stats", timeout=5)
    assert refused.status_code == 403 and "--control-host" in refused.json()["error"]["message"]
    assert httpx.delete(f"http://{outside}:{port}/_control/faults", timeout=5).status_code == 403


def test_mock_llm_on_one_outside_address_also_listens_on_loopback_for_control() -> None:
    outside = _outside_address()
    server = start_in_thread(host=outside)
    try:
        port = server.port
        assert server.control_url == f"http://127.0.0.1:{port}"
        assert httpx.get(f"{server.control_url}/_control/stats", timeout=5).status_code == 200
        assert httpx.get(f"http://{outside}:{port}/_control/stats", timeout=5).status_code == 403
    finally:
        server.stop()


def test_mock_llm_control_api_anywhere_only_when_asked() -> None:
    outside = _outside_address()
    server = start_in_thread(host="0.0.0.0", control_host="0.0.0.0")
    try:
        assert httpx.get(f"http://{outside}:{server.port}/_control/stats", timeout=5).status_code == 200
    finally:
        server.stop()


def test_harness_llm_warns_and_keeps_control_on_loopback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(llm_run, "serve_mock_llm", lambda config, **kw: served.update(kw))
    assert llm_run.main(["--host", "0.0.0.0", "--port", "0"]) == 0
    assert (served["host"], served["control_host"]) == ("0.0.0.0", "127.0.0.1")
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "harness llm: warning: binding 0.0.0.0 (every interface): the mock LLM's OpenAI API is reachable "
        "from other hosts (its control API stays on 127.0.0.1)"
    ]
    llm_run.main(["--host", "0.0.0.0", "--control-host", "0.0.0.0", "--port", "0"])
    assert served["control_host"] == "0.0.0.0"
    assert "control API (/_control: faults, latency, reset)" in capsys.readouterr().err


def test_harness_proxy_warns_when_its_api_leaves_loopback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Stop(Exception):
        pass

    class NoServer:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        async def __aenter__(self) -> None:
            raise Stop

        async def __aexit__(self, *exc: object) -> None:
            pass

    monkeypatch.setattr(proxy_server, "ToxiproxyServer", NoServer)
    monkeypatch.setattr(proxy_server, "freeze_startup_objects", lambda: 0)
    with pytest.raises(Stop):
        proxy_server.serve_proxy("0.0.0.0", 0)
    assert (
        "harness proxy: warning: binding 0.0.0.0 (every interface): the proxy's API"
        in capsys.readouterr().err
    )


def test_a_stack_on_every_interface_exposes_only_the_system(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = Stack(tmp_path, host="0.0.0.0")
    hosts = {part.name: part.argv[part.argv.index("--host") + 1] for part in stack._parts()}
    assert hosts["mock LLM server"] == "127.0.0.1" and hosts["proxy"] == "127.0.0.1"
    system = next(p for p in stack._parts() if p.name == stack.declaration.name)
    assert "0.0.0.0" in system.argv  # the system alone binds the stack's host
    assert stack.llm_url.startswith("http://127.0.0.1:") and stack.proxy_api_url.startswith(
        "http://127.0.0.1:"
    )
    assert stack.service_url.startswith("http://127.0.0.1:")  # where a local client reaches it
    stack._warn_exposed()
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("harness stack: warning: binding 0.0.0.0 (every interface): ")
    assert "the mock LLM and the proxy stay on 127.0.0.1" in err[0]
