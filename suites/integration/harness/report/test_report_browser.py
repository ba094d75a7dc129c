"""The release report opens in headless Chromium with no console error and its verdict visible.

Chromium runs with no network at all (every host name resolves to nothing): the page must not
need one. Needs Debian's `chromium` (`.ci/setup-chromium.sh`); skipped, saying so, without it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from harness.report import GateSettings, build_report
from suites.fixtures.example_reports import write_example_reports

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed: run .ci/setup-chromium.sh (apt-get install -y chromium)",
    ),
    pytest.mark.harness_self,
]

# Chromium logs every console message (errors, uncaught exceptions) as INFO:CONSOLE lines.
_CONSOLE = re.compile(r":CONSOLE[\]:(]|Uncaught")
_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
)  # fmt: skip
_GREEN, _RED = (0x15, 0x80, 0x3D), (0xB9, 0x1C, 0x1C)  # the verdict word's colours in the page's CSS


def _chromium(page: Path, profile: Path, *extra: str) -> tuple[str, str]:
    """(stdout, stderr) of one headless Chromium run on a local page."""
    assert CHROMIUM is not None
    cmd = [CHROMIUM, *_FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


def _console(log: str) -> list[str]:
    return [line for line in log.splitlines() if _CONSOLE.search(line)]


def _defaults() -> GateSettings:
    return GateSettings.model_construct(**{k: f.default for k, f in GateSettings.model_fields.items()})


def test_the_console_check_sees_a_console_error(tmp_path: Path) -> None:
    # Without this, "no console errors" could pass because nothing is ever logged.
    page = tmp_path / "broken.html"
    page.write_text('<p>x</p><script>console.error("planted"); notDefined();</script>')
    _, log = _chromium(page, tmp_path / "profile", "--dump-dom")
    assert len(_console(log)) == 2, log[-2000:]


@pytest.mark.parametrize(("breach", "verdict"), [(None, "GO"), ("sla", "NO-GO")])
def test_the_report_opens_with_its_verdict_and_no_console_error(
    tmp_path: Path, breach: str | None, verdict: str
) -> None:
    folder = write_example_reports(tmp_path / "reports", breach=breach)
    html = build_report(folder, settings=_defaults()).html_path
    dom, log = _chromium(html, tmp_path / "profile", "--dump-dom")
    assert _console(log) == []
    assert f'<div class="word" id="verdict-word">{verdict}</div>' in dom
    assert "Test pyramid" in dom and "Chaos experiments" in dom


def _share_of(image: Image.Image, colour: tuple[int, int, int], box: tuple[int, int, int, int]) -> float:
    """Share of the pixels in `box` within a small distance of `colour`."""
    region = np.asarray(image.convert("RGB").crop(box), dtype=int)
    close = (np.abs(region - np.array(colour)) <= 24).all(axis=-1)
    return float(close.mean())


@pytest.mark.parametrize(("breach", "colour"), [(None, _GREEN), ("coverage", _RED)])
def test_the_verdict_is_visible_at_the_top_of_the_screenshot(
    tmp_path: Path, breach: str | None, colour: tuple[int, int, int]
) -> None:
    folder = write_example_reports(tmp_path / "reports", breach=breach)
    html = build_report(folder, settings=_defaults()).html_path
    shot = tmp_path / "report.png"
    _chromium(html, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,900")
    with Image.open(shot) as image:
        assert image.size == (1200, 900)
        # The banner sits in the first 260 px; its big word is drawn in the verdict's colour.
        assert _share_of(image, colour, (0, 0, 1200, 260)) > 0.003
        other = _RED if colour == _GREEN else _GREEN
        assert _share_of(image, other, (0, 0, 1200, 260)) < 0.0005
