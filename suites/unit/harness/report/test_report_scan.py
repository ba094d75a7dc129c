"""The artifact scanner finds a planted value in every form it can take, and never repeats it."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from harness.report import scan_artifacts

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

PLANTED = {"email": "José.planted@example.com", "card": "4539 1488 0343 6467", "key": "sk-planted-abc123"}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("plain.log", "user wrote josé.PLANTED@example.com today".encode()),  # any case
        ("data.json", json.dumps({"q": "José.planted@example.com"}).encode()),  # \u00e9 escaped
        ("compact.csv", b"id,card\n1,4539148803436467\n"),  # separators dropped
        ("dashed.log", b"card=4539-1488-0343-6467"),  # other separators
        ("url.log", f"GET /x?key={quote('sk-planted-abc123')}".encode()),
        ("db.sqlite", b"\x00\x01binary\x00sk-planted-abc123\x00"),
        (
            "page.html",
            b'<img src="data:image/svg+xml;base64,'
            + base64.b64encode(b"<svg>4539 1488 0343 6467</svg>")
            + b'">',
        ),
    ],
)
def test_a_planted_value_is_found_in_any_form(tmp_path: Path, name: str, content: bytes) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / name).write_bytes(content)
    leaks = scan_artifacts(tmp_path, PLANTED)
    assert len(leaks) == 1
    assert leaks[0].path == tmp_path / "sub" / name


def test_a_clean_folder_has_no_leak(tmp_path: Path) -> None:
    (tmp_path / "report.html").write_text("<p>[EMAIL] asked about card [CARD]; key [SECRET]</p>")
    assert scan_artifacts(tmp_path, PLANTED) == []


def test_a_leak_names_file_label_and_line_but_not_the_value(tmp_path: Path) -> None:
    (tmp_path / "service.log").write_text("ok\nok\nkey sk-planted-abc123\n")
    (leak,) = scan_artifacts(tmp_path, PLANTED)
    assert (leak.label, leak.line, leak.form) == ("key", 3, "as given")
    assert "sk-planted" not in str(leak) and "service.log" in str(leak)


def test_values_can_be_given_as_a_plain_list(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x sk-planted-abc123")
    assert [leak.label for leak in scan_artifacts(tmp_path, ["nothing-here", "sk-planted-abc123"])] == [
        "value #2"
    ]
