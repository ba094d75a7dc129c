"""A service that says 200 to everything, with junk, must fail the load tier: a verdict that
cannot say no to junk is worth nothing. Two junk services: an empty answer on a route nobody
declared, and an HTML page."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.system, pytest.mark.slow, pytest.mark.harness_self]

ROOT = Path(__file__).resolve().parents[3]
JUNK = """
import sys
import uvicorn

KIND = sys.argv[2]


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    if KIND == "html":
        body, kind = b"<html><body>All good!</body></html>", b"text/html"
    else:
        body, kind = b'{"route": "nonsense", "answer": ""}', b"application/json"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", kind)]})
    await send({"type": "http.response.body", "body": body})


uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["json", "html"])
def junk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    script, port = tmp_path / "junk.py", _free_port()
    script.write_text(JUNK)
    proc = subprocess.Popen([sys.executable, str(script), str(port), request.param])
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(url, timeout=0.5)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_junk_service_fails_the_load_tier(junk: str, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    args = [
        "load",
        "--host",
        junk,
        "--users",
        "4",
        "--duration",
        "4",
        "--no-progress",
        "--reports",
        str(reports),
    ]
    done = subprocess.run(
        [sys.executable, "-m", "harness", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    doc = json.loads((reports / "sla.json").read_text())
    req = doc["requests"]
    assert req["sent"] > 0 and req["answered"] == 0 and req["invalid"] == req["sent"] == req["failed"]
    assert {"invalid_rate_max", "error_rate_max"} <= set(doc["failures"])
    assert doc["rates"]["invalid"]["value"] == 1.0
