"""Unit tests of the toxics' own logic (splitting, pacing, rolls, the registry, Go JSON),
and of the errors the server itself raises."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness._exceptions import ConfigError, ProxyError
from harness.proxy import ToxiproxyServer
from harness.proxy._gojson import GoJSONError, decode, format_float32
from harness.proxy._pipe import Chunk, Item, Pipe
from harness.proxy.toxics import Direction, Stub, Toxic, ToxicWrapper, roll, toxic_types
from harness.proxy.toxics.bandwidth import BandwidthToxic, chunk_delay, max_piece
from harness.proxy.toxics.latency import LatencyToxic
from harness.proxy.toxics.limit_data import LimitDataToxic
from harness.proxy.toxics.slicer import SlicerToxic, slice_bounds
from harness.proxy.toxics.timeout import TimeoutToxic

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts


async def drive(toxic: Toxic, items: list[Item], toxicity: float = 1.0) -> list[bytes]:
    """Run `toxic` on a stub fed `items`; the data it forwards until it closes."""
    wrapper = ToxicWrapper("t", toxic.key, "downstream", toxicity, Direction.DOWNSTREAM, toxic)
    source, sink = Pipe(1024), Pipe(1024)
    stub = Stub(wrapper, source, sink)
    for item in items:
        source.push(item)
    stub.start()
    out = []
    while (chunk := await asyncio.wait_for(sink.get(), 5)) is not None:
        out.append(chunk.data)
    return out


def chunk(data: bytes) -> Chunk:
    return Chunk(data, time.monotonic())


# --- slicer ---------------------------------------------------------------------


def test_slicer_halves_until_pieces_fit() -> None:
    # Go's recursion halves 100 -> 50 -> 25 -> 12|13 -> 6|6, 6|7: never 10 x 10.
    sizes = [end - start for start, end in slice_bounds(100, 10, 0)]
    assert sizes == [6, 6, 6, 7] * 4


@pytest.mark.parametrize("size", [1, 7, 64, 999, 32 * 1024])
def test_slicer_pieces_are_contiguous_and_bounded(size: int) -> None:
    rng = random.Random(size)
    pieces = slice_bounds(size, 20, 8, rng.randrange)
    assert pieces[0][0] == 0 and pieces[-1][1] == size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))
    assert all(0 < end - start <= 28 for start, end in pieces)


def test_slicer_rejects_sizes_that_never_stop_splitting() -> None:
    assert SlicerToxic(average_size=0, size_variation=0).validate() is not None
    assert SlicerToxic(average_size=1).validate() is None


async def test_slicer_keeps_content_and_order() -> None:
    payload = bytes(range(256)) * 4
    out = await drive(SlicerToxic(average_size=16, size_variation=4), [chunk(payload), None])
    assert b"".join(out) == payload
    assert len(out) > 1


# --- bandwidth ------------------------------------------------------------------


def test_bandwidth_math_uses_decimal_kilobytes() -> None:
    assert chunk_delay(100_000, 100) == pytest.approx(1.0)  # 100 KB/s, 1 KB = 1000 B
    assert max_piece(100) == 10_000  # bytes per 100 ms slice


async def test_bandwidth_paces_a_large_chunk() -> None:
    start = time.monotonic()
    out = await drive(BandwidthToxic(rate=500), [chunk(b"x" * 120_000), None])
    took = time.monotonic() - start
    assert b"".join(out) == b"x" * 120_000
    assert [len(piece) for piece in out[:2]] == [50_000, 50_000]
    assert took >= 0.23  # 120 KB at 500 KB/s is 0.24 s


# --- toxicity, latency, limit_data, timeout -------------------------------------


def test_toxicity_roll() -> None:
    assert roll(1.0, lambda: 0.999) is True
    assert roll(0.0, lambda: 0.0) is False
    assert roll(0.5, lambda: 0.49) is True
    assert roll(0.5, lambda: 0.5) is False


async def test_failed_roll_passes_data_unchanged() -> None:
    toxic = LimitDataToxic(bytes=1)
    out = await drive(toxic, [chunk(b"abc"), chunk(b"def"), None], toxicity=0.0)
    assert out == [b"abc", b"def"]


def test_latency_jitter_is_symmetric() -> None:
    toxic = LatencyToxic(latency=100, jitter=10)
    assert toxic.delay(lambda n: 0) == pytest.approx(0.090)
    assert toxic.delay(lambda n: n - 1) == pytest.approx(0.109)

    def no_draw(n: int) -> int:
        raise AssertionError("without jitter there is nothing to draw")

    assert LatencyToxic(latency=100).delay(no_draw) == pytest.approx(0.1)


async def test_limit_data_truncates_and_closes() -> None:
    out = await drive(LimitDataToxic(bytes=10), [chunk(b"123456"), chunk(b"789abc"), chunk(b"never")])
    assert out == [b"123456", b"789a"]


async def test_timeout_drops_and_closes_after_silence() -> None:
    start = time.monotonic()
    out = await drive(TimeoutToxic(timeout=50), [chunk(b"dropped")])
    assert out == []
    assert time.monotonic() - start >= 0.05


# --- registry and Go JSON -------------------------------------------------------


def test_registry_holds_every_spec_type() -> None:
    assert set(toxic_types()) == {
        "latency",
        "bandwidth",
        "slow_close",
        "timeout",
        "reset_peer",
        "slicer",
        "limit_data",
        "noop",
    }


def test_registry_rejects_a_duplicate_key() -> None:
    with pytest.raises(ProxyError, match="registered twice"):

        @dataclass
        class Another(Toxic, key="latency"):
            pass


def test_float32_prints_like_go() -> None:
    assert [format_float32(v) for v in (1.0, 0.5, 0.1, 0.0)] == ["1", "0.5", "0.1", "0"]


def test_json_errors_read_like_go() -> None:
    with pytest.raises(GoJSONError, match=r"^EOF$"):
        decode(b"  ")
    with pytest.raises(GoJSONError, match="looking for beginning of object key string"):
        decode(b"{bad json")
    [(key, number)] = decode(b'{"a": 1} trailing garbage is ignored, as Go reads one value')
    assert (key, number.text) == ("a", "1")


# --- the server's own errors (what a user of the CLI or fixture sees) -----------


async def test_busy_api_port_is_a_clear_error() -> None:
    async with ToxiproxyServer(port=0) as first:
        host, port = first.api_address
        with pytest.raises(ProxyError, match=rf"cannot listen .*:{port}: .*pass another port"):
            await ToxiproxyServer(host, port).start()


async def test_bad_config_file_names_the_file_and_the_entry(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read it"):
        await ToxiproxyServer(port=0, config_path=tmp_path / "missing.json").start()
    config = tmp_path / "proxies.json"
    config.write_text('[{"name": "a", "upstream": "127.0.0.1:1"}, {"name": "b"}]')
    with pytest.raises(ConfigError, match=r"proxies\.json: missing required field: upstream at proxy 2"):
        await ToxiproxyServer(port=0, config_path=config).start()
