"""Scan every artifact under a folder for planted values: PII and secrets that must never land.

    leaks = scan_artifacts("reports", {"email": "ana.planted@example.com", "api key": "sk-..."})
    assert not leaks, leaks        # a Leak never repeats the value it found

A value is looked for in the forms it could take on its way to a file: as given, without its
separators ("4111 1111 1111 1111" -> "4111111111111111"), with other ones for a number
("4111-1111-1111-1111"), JSON-escaped, URL-encoded, HTML-escaped; case-insensitively; in text
and binary files alike (a SQLite coverage database, a PNG's metadata); and inside base64 `data:`
URIs, which is how the report embeds its charts.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

__all__ = ["Leak", "scan_artifacts", "variants"]

_DATA_URI = re.compile(rb"data:[\w/+.-]+;base64,([A-Za-z0-9+/=]+)")
_SEPARATORS = re.compile(r"[\s.\-()]")
_MIN_LEN = 4  # shorter values would be found everywhere


@dataclass(frozen=True)
class Leak:
    path: Path
    label: str  # what was planted ("email", "api key"), never the value itself
    line: int  # 1-based; 0 inside an embedded data URI
    form: str  # which form matched: as given, compact, json, url, html

    def __str__(self) -> str:
        where = "an embedded data URI" if self.line == 0 else f"line {self.line}"
        return f"{self.path}: {self.label} ({self.form}) at {where}"


def variants(value: str) -> dict[str, bytes]:
    """The forms of `value` to look for, lower-cased UTF-8, by name."""
    forms = {
        "as given": value,
        "compact": _SEPARATORS.sub("", value),
        "json": json.dumps(value)[1:-1],
        "url": quote(value, safe=""),
        "url+": quote_plus(value),
        "html": html.escape(value),
    }
    out: dict[str, bytes] = {}
    for name, form in forms.items():
        data = form.lower().encode("utf-8")
        if len(form) >= _MIN_LEN and data not in out.values():
            out[name] = data
    return out


def _spaced(value: str) -> re.Pattern[bytes] | None:
    """For a number (a card, an IBAN, a phone): its characters with any separators between."""
    compact = _SEPARATORS.sub("", value).lower()
    if len(compact) < 8 or sum(c.isdigit() for c in compact) < 6:
        return None
    return re.compile(rb"[\s.\-/()]{0,3}".join(re.escape(c.encode()) for c in compact))


@dataclass(frozen=True)
class _Needles:
    exact: dict[str, bytes]
    spaced: re.Pattern[bytes] | None


def _files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def _find(data: bytes, planted: Mapping[str, _Needles]) -> Iterator[tuple[str, str, int]]:
    low = data.lower()
    for label, needles in planted.items():
        found = [(low.find(needle), form) for form, needle in needles.exact.items()]
        hits = sorted((at, form) for at, form in found if at >= 0)
        if not hits and needles.spaced is not None and (match := needles.spaced.search(low)):
            hits = [(match.start(), "separated")]
        if hits:  # one leak per value per file is enough to name it
            at, form = hits[0]
            yield label, form, low.count(b"\n", 0, at) + 1


def _embedded(data: bytes) -> Iterator[bytes]:
    for match in _DATA_URI.finditer(data):
        try:
            yield base64.b64decode(match.group(1), validate=False)
        except ValueError:
            continue


def scan_artifacts(folder: str | Path, planted: Mapping[str, str] | Iterable[str]) -> list[Leak]:
    """Every (file, planted value) found under `folder`, in any of its forms. `planted` maps a
    label to each value (or is a plain list of values, labelled by position)."""
    named = (
        dict(planted)
        if isinstance(planted, Mapping)
        else {f"value #{i + 1}": v for i, v in enumerate(planted)}
    )
    forms = {
        label: _Needles(variants(value), _spaced(value))
        for label, value in named.items()
        if len(value) >= _MIN_LEN
    }
    leaks: list[Leak] = []
    for path in _files(Path(folder)):
        try:
            data = path.read_bytes()
        except OSError:
            continue  # removed while we walked (a live stack's rotating log): nothing to read
        found: set[str] = set()
        for label, form, line in _find(data, forms):
            found.add(label)
            leaks.append(Leak(path, label, line, form))
        for blob in _embedded(data):
            for label, form, _ in _find(blob, forms):
                if label not in found:
                    found.add(label)
                    leaks.append(Leak(path, label, 0, form))
    return leaks
