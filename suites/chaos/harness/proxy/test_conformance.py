"""The 40-point Toxiproxy conformance checklist (shared/toxiproxy-spec.md, section 5).

One test per point, through the toxiproxy-python client where it reaches and raw
HTTP where exact statuses and bodies matter. With HARNESS_TOXIPROXY_URL set they run
against that real server instead of ours. Timing bounds are the spec's, generous on
purpose: these must hold on a loaded two-core machine.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import httpx
import pytest
import toxiproxy
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

from harness.proxy import run_in_thread

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts


class TcpServer(Protocol):
    """An upstream from the conftest: its `host:port` and every byte it received."""

    address: str
    received: bytearray


ConnHandler = Callable[[socket.socket], None]
MakeProxy = Callable[..., dict[str, Any]]
MakeServer = Callable[[ConnHandler], TcpServer]


# --- small socket helpers -------------------------------------------------------


def host_port(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


def connect(listen: str, timeout: float = 3.0) -> socket.socket:
    sock = socket.create_connection(host_port(listen), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def refuses(listen: str) -> bool:
    try:
        connect(listen, timeout=2.0).close()
    except ConnectionRefusedError:
        return True
    return False


def recv_exact(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        piece = sock.recv(size - len(data))
        if not piece:
            break
        data += piece
    return bytes(data)


def round_trip(sock: socket.socket, payload: bytes = b"ping") -> float:
    """Seconds for `payload` to come back through an echo upstream."""
    start = time.monotonic()
    sock.sendall(payload)
    assert recv_exact(sock, len(payload)) == payload
    return time.monotonic() - start


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the peer closes (EOF or reset) within `seconds`, discarding data."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def read_to_eof(sock: socket.socket) -> bytes:
    data = bytearray()
    while piece := sock.recv(65536):
        data += piece
    return bytes(data)


def add_toxic(api: httpx.Client, proxy: str, **toxic: Any) -> dict[str, Any]:
    response = api.post(f"/proxies/{proxy}/toxics", json=toxic)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def error_of(response: httpx.Response) -> dict[str, Any]:
    return json.loads(response.content)  # type: ignore[no-any-return]


def sends_then_waits(payload: bytes, close: bool = False) -> ConnHandler:
    """Upstream that answers its first read with `payload`, then waits (or closes)."""

    def handle(conn: socket.socket) -> None:
        if conn.recv(65536):
            conn.sendall(payload)
            if not close:
                while conn.recv(65536):
                    pass

    return handle


# --- 1-11: API basics and proxy creation ----------------------------------------


def test_01_version(api: httpx.Client, client: toxiproxy.Toxiproxy) -> None:
    raw = client.version()  # raw bytes, as the python client returns them
    assert isinstance(json.loads(raw)["version"], str)
    assert api.get("/version").status_code == 200


def test_02_fresh_server_has_no_proxies(toxiproxy_url: str) -> None:
    if os.environ.get("HARNESS_TOXIPROXY_URL"):
        response = httpx.get(f"{toxiproxy_url}/proxies")
        assert response.status_code == 200
        assert response.json() == {}
        return
    with run_in_thread() as fresh:
        response = httpx.get(f"{fresh.url}/proxies")
    assert response.status_code == 200
    assert response.content == b"{}"


def test_03_create_proxy(make_proxy: MakeProxy, client: toxiproxy.Toxiproxy, echo: TcpServer) -> None:
    proxy = make_proxy(echo.address)  # asserts 201
    assert proxy["enabled"] is True
    assert proxy["toxics"] == []
    host, port = host_port(proxy["listen"])
    assert host == "127.0.0.1" and port != 0
    assert client.get_proxy(proxy["name"]).listen == proxy["listen"]
    with connect(proxy["listen"]) as sock:
        assert round_trip(sock) < 2.0


def test_04_duplicate_name_is_409(
    api: httpx.Client, make_proxy: MakeProxy, client: toxiproxy.Toxiproxy, echo: TcpServer
) -> None:
    proxy = make_proxy(echo.address)
    again = api.post("/proxies", json={"name": proxy["name"], "upstream": echo.address})
    assert again.status_code == 409
    assert again.text == '{"error":"proxy already exists","status":409}\n'
    with pytest.raises(ProxyExists):
        client.create(upstream=echo.address, name=proxy["name"])


def test_05_missing_fields_are_400(api: httpx.Client, echo: TcpServer) -> None:
    no_name = api.post("/proxies", json={"upstream": echo.address})
    assert no_name.status_code == 400
    assert error_of(no_name) == {"error": "missing required field: name", "status": 400}
    no_upstream = api.post("/proxies", json={"name": "conf_no_upstream"})
    assert no_upstream.status_code == 400
    assert error_of(no_upstream) == {"error": "missing required field: upstream", "status": 400}


def test_06_bad_json_is_400(api: httpx.Client) -> None:
    response = api.post("/proxies", content=b"{bad json")
    assert response.status_code == 400
    assert error_of(response)["error"].startswith("bad request body")
    assert error_of(response)["status"] == 400


def test_07_listen_port_in_use_is_500(
    api: httpx.Client, proxy_name: Callable[[], str], echo: TcpServer
) -> None:
    name = proxy_name()
    with socket.create_server(("127.0.0.1", 0)) as blocker:
        busy = f"127.0.0.1:{blocker.getsockname()[1]}"
        response = api.post("/proxies", json={"name": name, "upstream": echo.address, "listen": busy})
    assert response.status_code == 500
    assert error_of(response)["status"] == 500
    assert api.get(f"/proxies/{name}").status_code == 404


def test_08_disabled_proxy_keeps_listen_and_refuses(make_proxy: MakeProxy, echo: TcpServer) -> None:
    listen = f"127.0.0.1:{free_port()}"
    proxy = make_proxy(echo.address, listen, enabled=False)
    assert proxy["enabled"] is False
    assert proxy["listen"] == listen
    assert refuses(listen)


def test_09_localhost_listen_resolves_to_ipv4(make_proxy: MakeProxy, echo: TcpServer) -> None:
    port = free_port()
    proxy = make_proxy(echo.address, f"localhost:{port}")
    assert proxy["listen"] == f"127.0.0.1:{port}"


def test_10_unknown_proxy_is_404(api: httpx.Client) -> None:
    response = api.get("/proxies/conf_missing")
    assert response.status_code == 404
    assert response.text == '{"error":"proxy not found","status":404}\n'


def test_11_proxy_index(
    api: httpx.Client, make_proxy: MakeProxy, client: toxiproxy.Toxiproxy, echo: TcpServer
) -> None:
    made = [make_proxy(echo.address)["name"] for _ in range(2)]
    listed = api.get("/proxies").json()
    for name in made:
        assert listed[name]["name"] == name
        assert {"name", "listen", "upstream", "enabled", "toxics"} <= set(listed[name])
    assert set(made) <= set(client.proxies())


# --- 12-17: enable, disable, update, delete, reset ------------------------------


def test_12_disable_refuses_and_closes(api: httpx.Client, make_proxy: MakeProxy, echo: TcpServer) -> None:
    proxy = make_proxy(echo.address)
    with connect(proxy["listen"]) as open_conn:
        round_trip(open_conn)
        response = api.post(f"/proxies/{proxy['name']}", json={"enabled": False})
        assert response.status_code == 200
        assert response.json()["enabled"] is False
        assert refuses(proxy["listen"])
        assert closed_within(open_conn, 1.0)


def test_13_enable_rebinds_same_port(
    api: httpx.Client, make_proxy: MakeProxy, client: toxiproxy.Toxiproxy, echo: TcpServer
) -> None:
    proxy = make_proxy(echo.address)
    handle = client.get_proxy(proxy["name"])
    with connect(proxy["listen"]) as sock:
        round_trip(sock)  # leave a connection behind: its port must not block the rebind
        handle.disable()
    response = api.post(f"/proxies/{proxy['name']}", json={"enabled": True})
    assert response.status_code == 200
    assert response.json()["enabled"] is True
    assert response.json()["listen"] == proxy["listen"]
    with connect(proxy["listen"]) as sock:
        assert round_trip(sock) < 2.0


def test_14_patch_updates_like_post(api: httpx.Client, make_proxy: MakeProxy, echo: TcpServer) -> None:
    proxy = make_proxy(echo.address)
    down = api.patch(f"/proxies/{proxy['name']}", json={"enabled": False})
    assert down.status_code == 200 and down.json()["enabled"] is False
    assert refuses(proxy["listen"])
    up = api.patch(f"/proxies/{proxy['name']}", json={"enabled": True})
    assert up.status_code == 200 and up.json()["enabled"] is True
    with connect(proxy["listen"]) as sock:
        assert round_trip(sock) < 2.0


def test_15_new_upstream_closes_connections(
    api: httpx.Client, make_proxy: MakeProxy, echo: TcpServer, tcp_server: MakeServer
) -> None:
    def tagged(conn: socket.socket) -> None:
        while data := conn.recv(65536):
            conn.sendall(b"E2:" + data)

    second = tcp_server(tagged)
    proxy = make_proxy(echo.address)
    with connect(proxy["listen"]) as old:
        round_trip(old)
        response = api.patch(f"/proxies/{proxy['name']}", json={"upstream": second.address})
        assert response.status_code == 200
        assert response.json()["upstream"] == second.address
        assert closed_within(old, 1.0)
    with connect(response.json()["listen"]) as new:
        new.sendall(b"hi")
        assert recv_exact(new, 5) == b"E2:hi"


def test_16_delete_proxy(
    api: httpx.Client, proxy_name: Callable[[], str], client: toxiproxy.Toxiproxy, echo: TcpServer
) -> None:
    proxy = client.create(upstream=echo.address, name=proxy_name())
    with connect(proxy.listen) as open_conn:
        round_trip(open_conn)
        response = api.delete(f"/proxies/{proxy.name}")
        assert response.status_code == 204
        assert response.content == b""
        assert refuses(proxy.listen)
        assert closed_within(open_conn, 1.0)
    assert api.delete(f"/proxies/{proxy.name}").status_code == 404
    with pytest.raises(NotFound):
        proxy.destroy()


def test_17_reset(
    api: httpx.Client, make_proxy: MakeProxy, client: toxiproxy.Toxiproxy, echo: TcpServer
) -> None:
    slow = make_proxy(echo.address)
    add_toxic(api, slow["name"], type="latency", attributes={"latency": 100})
    down = make_proxy(echo.address, enabled=False)
    with connect(slow["listen"]) as open_conn:
        assert round_trip(open_conn) >= 0.1
        response = api.post("/reset")
        assert response.status_code == 204
        assert api.get(f"/proxies/{slow['name']}/toxics").json() == []
        assert api.get(f"/proxies/{down['name']}").json()["enabled"] is True
        assert round_trip(open_conn) < 2.0  # kept open, and still echoing
    assert client.reset() is True


# --- 18-25: toxic endpoints -----------------------------------------------------


def test_18_create_toxic_defaults(api: httpx.Client, make_proxy: MakeProxy, echo: TcpServer) -> None:
    proxy = make_proxy(echo.address)
    response = api.post(
        f"/proxies/{proxy['name']}/toxics", json={"type": "latency", "attributes": {"latency": 100}}
    )
    assert response.status_code == 200
    toxic = response.json()
    assert toxic["name"] == "latency_downstream"
    assert toxic["stream"] == "downstream"
    assert toxic["toxicity"] == 1
    assert toxic["attributes"] == {"latency": 100, "jitter": 0}


def test_19_duplicate_toxic_name_is_409(
    api: httpx.Client, make_proxy: MakeProxy, client: toxiproxy.Toxiproxy, echo: TcpServer
) -> None:
    proxy = make_proxy(echo.address)
    add_toxic(api, proxy["name"], type="latency")
    again = api.post(
        f"/proxies/{proxy['name']}/toxics",
        json={"name": "latency_downstream", "type": "latency", "stream": "upstream"},
    )
    assert again.status_code == 409
    assert error_of(again) == {"error": "toxic already exists", "status": 409}
    with pytest.raises(ProxyExists):  # the python client maps any 409 to ProxyExists
        client.get_proxy(proxy["name"]).add_toxic(type="latency", name="latency_downstream")


def test_20_invalid_type_and_stream_are_400(
    api: httpx.Client, make_proxy: MakeProxy, client: toxiproxy.Toxiproxy, echo: TcpServer
) -> None:
    proxy = make_proxy(echo.address)
    bogus = api.post(f"/proxies/{proxy['name']}/toxics", json={"type": "bogus"})
    assert bogus.status_code == 400
    assert error_of(bogus)["error"] == "invalid toxic type"
    sideways = api.post(f"/proxies/{proxy['name']}/toxics", json={"type": "latency", "stream": "sideways"})
    assert sideways.status_code == 400
    assert error_of(sideways)["error"] == "stream was invalid, can be either upstream or downstream"
    with pytest.raises(InvalidToxic):
        client.get_proxy(proxy["name"]).add_toxic(type="bogus")


def test_21_toxic_on_missing_proxy_is_404(api: httpx.Client) -> None:
    response = api.post("/proxies/conf_missing/toxics", json={"type": "latency"})
    assert response.status_code == 404
    assert error_of(response)["error"] == "proxy not found"


def test_22_toxic_index(
    api: httpx.Client, make_proxy: MakeProxy, client: toxiproxy.Toxiproxy, echo: TcpServer
) -> None:
    proxy = make_proxy(echo.address)
    assert api.get(f"/proxies/{proxy['name']}/toxics").json() == []
    handle = client.get_proxy(proxy["name"])
    handle.add_toxic(type="latency", stream="upstream", attributes={"latency": 10})
    handle.add_toxic(type="latency", stream="downstream", attributes={"latency": 10})
    toxics = handle.toxics()
    assert set(toxics) == {"latency_upstream", "latency_downstream"}
    assert {t.stream for t in toxics.values()} == {"upstream", "downstream"}


def test_23_toxic_show(api: httpx.Client, make_proxy: MakeProxy, echo: TcpServer) -> None:
    proxy = make_proxy(echo.address)
    made = add_toxic(api, proxy["name"], type="latency", attributes={"latency": 100})
    shown = api.get(f"/proxies/{proxy['name']}/toxics/latency_downstream")
    assert shown.status_code == 200
    assert shown.json() == made
    missing = api.get(f"/proxies/{proxy['name']}/toxics/nope")
    assert missing.status_code == 404
    assert error_of(missing)["error"] == "toxic not found"


def test_24_toxic_update_merges(api: httpx.Client, make_proxy: MakeProxy, echo: TcpServer) -> None:
    proxy = make_proxy(echo.address)
    add_toxic(api, proxy["name"], type="latency", attributes={"latency": 100, "jitter": 5})
    url = f"/proxies/{proxy['name']}/toxics/latency_downstream"
    latency = api.patch(url, json={"attributes": {"latency": 500}})
    assert latency.status_code == 200
    assert latency.json()["attributes"] == {"latency": 500, "jitter": 5}
    assert latency.json()["toxicity"] == 1
    toxicity = api.patch(url, json={"toxicity": 0.5})
    assert toxicity.status_code == 200
    assert toxicity.json()["toxicity"] == 0.5
    assert toxicity.json()["attributes"] == {"latency": 500, "jitter": 5}


def test_25_toxic_delete(
    api: httpx.Client, make_proxy: MakeProxy, client: toxiproxy.Toxiproxy, echo: TcpServer
) -> None:
    proxy = make_proxy(echo.address)
    add_toxic(api, proxy["name"], type="latency")
    url = f"/proxies/{proxy['name']}/toxics/latency_downstream"
    response = api.delete(url)
    assert response.status_code == 204
    assert api.delete(url).status_code == 404
    with pytest.raises(NotFound):
        client.get_proxy(proxy["name"]).destroy_toxic("latency_downstream")


# --- 26-28: populate and the router ---------------------------------------------


def test_26_populate_keeps_existing(
    api: httpx.Client, proxy_name: Callable[[], str], cleanup_names: list[str], echo: TcpServer
) -> None:
    name = proxy_name()
    cleanup_names.append(name)
    body = [{"name": name, "listen": f"127.0.0.1:{free_port()}", "upstream": echo.address}]
    first = api.post("/populate", json=body)
    assert first.status_code == 201
    proxies = first.json()["proxies"]
    assert [p["name"] for p in proxies] == [name]
    assert proxies[0]["enabled"] is True
    add_toxic(api, name, type="latency")
    again = api.post("/populate", json=body)
    assert again.status_code == 201
    assert [t["name"] for t in again.json()["proxies"][0]["toxics"]] == ["latency_downstream"]


def test_27_populate_validates_everything_first(
    api: httpx.Client, proxy_name: Callable[[], str], cleanup_names: list[str], echo: TcpServer
) -> None:
    name = proxy_name()
    cleanup_names.append(name)
    body = [{"name": name, "upstream": echo.address, "listen": "127.0.0.1:0"}, {"upstream": echo.address}]
    response = api.post("/populate", json=body)
    assert response.status_code == 400
    assert error_of(response)["error"] == "missing required field: name at proxy 2"
    assert api.get(f"/proxies/{name}").status_code == 404


def test_28_router_404_and_browser_403(api: httpx.Client) -> None:
    unknown = api.get("/nonexistent")
    assert unknown.status_code == 404
    assert unknown.text == "404 page not found\n"
    browser = api.get("/proxies", headers={"User-Agent": "Mozilla/5.0"})
    assert browser.status_code == 403


# --- 29-40: data through toxics -------------------------------------------------


def test_29_one_mebibyte_round_trip(make_proxy: MakeProxy, echo: TcpServer) -> None:
    proxy = make_proxy(echo.address)
    payload = os.urandom(1024 * 1024)
    with connect(proxy["listen"], timeout=10.0) as sock:
        sender = threading.Thread(target=sock.sendall, args=(payload,))
        sender.start()  # send and receive together, or both ends' buffers fill
        received = recv_exact(sock, len(payload))
        sender.join()
    assert received == payload


def test_30_latency(api: httpx.Client, make_proxy: MakeProxy, echo: TcpServer) -> None:
    proxy = make_proxy(echo.address)
    add_toxic(api, proxy["name"], type="latency", attributes={"latency": 200})
    with connect(proxy["listen"]) as sock:
        assert 0.2 <= round_trip(sock) < 0.4
    api.delete(f"/proxies/{proxy['name']}/toxics/latency_downstream")
    add_toxic(api, proxy["name"], type="latency", stream="upstream", attributes={"latency": 100})
    add_toxic(api, proxy["name"], type="latency", stream="downstream", attributes={"latency": 100})
    with connect(proxy["listen"]) as sock:
        assert round_trip(sock) >= 0.2


def test_31_toxic_acts_on_open_connection(
    make_proxy: MakeProxy, client: toxiproxy.Toxiproxy, echo: TcpServer
) -> None:
    proxy = make_proxy(echo.address)
    handle = client.get_proxy(proxy["name"])
    with connect(proxy["listen"]) as sock:
        assert round_trip(sock) < 0.2
        handle.add_toxic(type="latency", attributes={"latency": 300})
        assert round_trip(sock) >= 0.3
        assert handle.destroy_toxic("latency_downstream") is True
        assert round_trip(sock) < 0.2


def test_32_timeout_drops_then_closes(api: httpx.Client, make_proxy: MakeProxy, echo: TcpServer) -> None:
    proxy = make_proxy(echo.address)
    add_toxic(api, proxy["name"], type="timeout", stream="upstream", attributes={"timeout": 300})
    with connect(proxy["listen"]) as sock:
        sock.sendall(b"lost")
        last_write = time.monotonic()
        assert closed_within(sock, 2.0)
        waited = time.monotonic() - last_write
    assert 0.3 <= waited <= 1.0
    assert bytes(echo.received) == b""


def test_33_timeout_zero_holds_open(api: httpx.Client, make_proxy: MakeProxy, echo: TcpServer) -> None:
    proxy = make_proxy(echo.address)
    add_toxic(api, proxy["name"], type="timeout", stream="upstream", attributes={"timeout": 0})
    with connect(proxy["listen"]) as sock:
        sock.sendall(b"lost")
        assert not closed_within(sock, 1.0)  # still open, nothing came back
        assert api.delete(f"/proxies/{proxy['name']}/toxics/timeout_upstream").status_code == 204
        assert closed_within(sock, 2.0)
    assert bytes(echo.received) == b""


def test_34_limit_data(api: httpx.Client, make_proxy: MakeProxy, tcp_server: MakeServer) -> None:
    upstream = tcp_server(sends_then_waits(bytes(range(100))))
    proxy = make_proxy(upstream.address)
    add_toxic(api, proxy["name"], type="limit_data", attributes={"bytes": 10})
    with connect(proxy["listen"]) as sock:
        sock.sendall(b"go")
        assert read_to_eof(sock) == bytes(range(10))


def test_35_bandwidth(api: httpx.Client, make_proxy: MakeProxy, tcp_server: MakeServer) -> None:
    upstream = tcp_server(sends_then_waits(b"x" * 100_000))
    proxy = make_proxy(upstream.address)
    add_toxic(api, proxy["name"], type="bandwidth", attributes={"rate": 100})
    with connect(proxy["listen"]) as sock:
        start = time.monotonic()
        sock.sendall(b"go")
        assert recv_exact(sock, 100_000) == b"x" * 100_000
        took = time.monotonic() - start
    assert 0.9 <= took <= 1.5


def test_36_slicer(api: httpx.Client, make_proxy: MakeProxy, echo: TcpServer) -> None:
    proxy = make_proxy(echo.address)
    attributes = {"average_size": 10, "size_variation": 0, "delay": 10_000}
    add_toxic(api, proxy["name"], type="slicer", attributes=attributes)
    payload = os.urandom(100)
    with connect(proxy["listen"]) as sock:
        assert round_trip(sock, payload) >= 0.09


def test_37_reset_peer(api: httpx.Client, make_proxy: MakeProxy, echo: TcpServer) -> None:
    proxy = make_proxy(echo.address)
    add_toxic(api, proxy["name"], type="reset_peer", attributes={"timeout": 0})
    with connect(proxy["listen"]) as sock:  # opened under the toxic: closes with an RST
        sock.sendall(b"hello")
        with pytest.raises(ConnectionResetError):
            read_to_eof(sock)
    assert bytes(echo.received) == b"hello"


def test_38_slow_close(api: httpx.Client, make_proxy: MakeProxy, tcp_server: MakeServer) -> None:
    upstream = tcp_server(sends_then_waits(b"bye", close=True))
    proxy = make_proxy(upstream.address)
    add_toxic(api, proxy["name"], type="slow_close", attributes={"delay": 500})
    with connect(proxy["listen"]) as sock:
        start = time.monotonic()
        sock.sendall(b"go")
        assert read_to_eof(sock) == b"bye"
        assert time.monotonic() - start >= 0.5


def test_39_toxicity_zero_never_applies(
    make_proxy: MakeProxy, client: toxiproxy.Toxiproxy, echo: TcpServer
) -> None:
    proxy = make_proxy(echo.address)
    handle = client.get_proxy(proxy["name"])
    handle.add_toxic(type="latency", toxicity=0, attributes={"latency": 1000})
    assert handle.toxics()["latency_downstream"].toxicity == 0
    with connect(proxy["listen"]) as sock:
        assert round_trip(sock) < 0.2


def test_40_dead_upstream_connects_then_eof(make_proxy: MakeProxy) -> None:
    proxy = make_proxy(f"127.0.0.1:{free_port()}")
    with connect(proxy["listen"]) as sock:
        sock.settimeout(1.0)
        assert sock.recv(1) == b""
