"""PII detection and redaction: for what a system under test logs, caches or persists, and for
everything the harness itself writes (reports, audit lines, scenario cases).

Kinds, in priority order (candidates overlap, e.g. an IBAN holds phone-like runs: see find_pii):

    EMAIL   local@domain.tld, an apostrophe inside the local part (o'brien@...) too
    IBAN    any country, compact, spaced anywhere or grouped by 4 with dashes or dots; mod-97
            checked, registry length when known
    CARD    13-19 digits, spaces or dashes anywhere, dots between groups of 4+ (4111.1111...);
            Luhn checked
    NIE     X/Y/Z + 7 digits + check letter, set apart by a dash, dot or space or not; letter
            checked
    DNI     8 digits (or 12.345.678 / 12 345 678) + check letter, set apart as the NIE's;
            letter checked
    PHONE   Spanish 9-digit numbers starting 6-9 (optionally +34 / 0034 / (+34));
            US 3-3-4 numbers with separators ((555) 123-4567, 555.123.4567, +1 / 1- in front);
            UK numbers, a trunk 0 or +44 / 0044 / +44 (0) and 10 digits (07700 900123,
            020 7946 0958); international +CC numbers of 8-15 digits, "(0)" allowed after the CC;
            spaces, dots, dashes, parentheses allowed

Numbers are redacted only when a checksum or a strict shape holds, so order numbers, years, prices
("29.99 EUR"), dates, times and version numbers are left alone; but a 9-digit number starting 6-9
is taken for a Spanish phone and an 11-digit one starting 0[1-9] for a UK one (over-redaction beats
a leak). A letter set apart from a DNI/NIE by a space must be a capital ("12345678 y ..." is an
order number and a conjunction). Text is read as typed: digits of any script (full-width ones from
CJK input methods), no-break and thin spaces, hyphens and en dashes count as their ASCII twins. The
formats, with examples and the known limits: docs/pii-formats.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar, cast

__all__ = [
    "ID_FIELDS",
    "PIIKind",
    "PIIMatch",
    "contains_pii",
    "dni_valid",
    "find_pii",
    "iban_valid",
    "is_identifier",
    "luhn_valid",
    "nie_valid",
    "redact",
    "redact_obj",
]

_T = TypeVar("_T")


class PIIKind(StrEnum):
    # Declaration order is detection priority.
    EMAIL = "EMAIL"
    IBAN = "IBAN"
    CARD = "CARD"
    NIE = "NIE"
    DNI = "DNI"
    PHONE = "PHONE"

    @property
    def tag(self) -> str:
        return f"[{self.value}]"


_PRIORITY = {kind: rank for rank, kind in enumerate(PIIKind)}


@dataclass(frozen=True, slots=True)
class PIIMatch:
    kind: PIIKind
    start: int
    end: int
    value: str = field(repr=False)  # kept out of repr so printing a match leaks nothing


# --- validators ------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s.-]")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_DNI_SHAPE = re.compile(r"[0-9]{8}[A-Z]")
_NIE_SHAPE = re.compile(r"[012][0-9]{7}[A-Z]")  # after X/Y/Z -> 0/1/2
_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
# IBAN lengths from the SWIFT registry; a country missing here is checked by mod-97 alone.
_IBAN_REGISTRY = (
    "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DK18 DO28 "
    "EE20 EG29 ES24 FI18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 "
    "IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MR27 MT31 MU30 "
    "NL18 NO15 PK24 PL28 PS29 PT25 QA29 RO24 RS22 SA24 SC31 SD18 SE24 SI19 SK24 SM27 ST25 SV28 "
    "TL23 TN24 TR26 UA29 VA22 VG24 XK20"
)
_IBAN_LENGTHS = {entry[:2]: int(entry[2:]) for entry in _IBAN_REGISTRY.split()}


# What people type that the patterns must read as ASCII: digits of any script (full-width ones from
# CJK input methods), full-width letters and signs, no-break, thin and zero-width spaces from word
# processors and chat apps, Unicode hyphens. Each maps to one character, so offsets found in the
# folded text hold in the original.
_SPACES = "\u00a0\u1680\u2000-\u200b\u202f\u205f\u2060\u3000\ufeff"
_DASHES = "\u2010-\u2013\u2212\ufe63"  # hyphens, en dash, minus: not em dashes, which part words
_UNUSUAL = re.compile(f"[{_SPACES}{_DASHES}\uff01-\uff5e]|[^\\D0-9]")  # [^\D0-9]: non-ASCII digits
_DASH = re.compile(f"[{_DASHES}]")


def _ascii_twin(m: re.Match[str]) -> str:
    char = m.group()
    if "\uff01" <= char <= "\uff5e":  # the full-width block mirrors ASCII 0x21-0x7e
        return chr(ord(char) - 0xFEE0)
    if char.isdecimal():
        return str(unicodedata.decimal(char))
    return "-" if _DASH.match(char) else " "


def _fold(text: str) -> str:
    # isascii() is O(1) in CPython: most texts skip the scan.
    return text if text.isascii() else _UNUSUAL.sub(_ascii_twin, text)


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", _fold(value)).upper()


def luhn_valid(number: str) -> bool:
    """Luhn checksum of a digit string (spaces, dots and dashes ignored)."""
    digits = _compact(number)
    if not (digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616 check: shape, registry length for known countries, mod 97 == 1."""
    compact = _compact(iban)
    if not _IBAN_SHAPE.fullmatch(compact):
        return False
    if _IBAN_LENGTHS.get(compact[:2], len(compact)) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def dni_valid(dni: str) -> bool:
    """Spanish DNI: 8 digits and the letter they imply (dots, dashes, spaces ignored)."""
    compact = _compact(dni)
    return bool(_DNI_SHAPE.fullmatch(compact)) and _DNI_LETTERS[int(compact[:8]) % 23] == compact[8]


def nie_valid(nie: str) -> bool:
    """Spanish NIE: X/Y/Z (read as 0/1/2), 7 digits and the implied letter."""
    compact = _compact(nie)
    compact = str("XYZ".find(compact[:1])) + compact[1:]  # X/Y/Z -> 0/1/2, else "-1..."
    return bool(_NIE_SHAPE.fullmatch(compact)) and dni_valid(compact)


# --- detectors: a pattern finds a candidate, a resolver validates it (maybe shortened) --------

_A = re.ASCII
_ANY_DIGIT = re.compile(r"[0-9]")
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+(?:'[\w.%+-]+)*@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
_IBAN = re.compile(r"(?<![A-Z0-9])[A-Z]{2}[0-9]{2}(?:[ .-]?[A-Z0-9]){11,30}", _A | re.I)
# Issuer numbers never start with 0, and digits right after a "+" belong to a phone. A dot only
# after 4 digits (4111.1111...): IP addresses, dotted dates and versions have groups of 1-3.
_CARD = re.compile(r"(?<![0-9+])[1-9](?:(?:[ -]|(?<=[0-9]{4})\.)?[0-9]){12,18}(?![0-9])", _A)
# A letter set apart by a space must be a capital: "pedido 12345678 y ..." is no DNI.
_ID_LETTER = r"(?:[.-]?(?i:[A-Z])| [A-Z])(?![A-Za-z0-9])"
_NIE = re.compile(r"(?<![A-Za-z0-9])(?:(?i:[XYZ])[.-]?|[XYZ] )[0-9]{7}" + _ID_LETTER, _A)
_DNI = re.compile(r"(?<![0-9])(?:[0-9]{8}|[0-9]{2}([ .])[0-9]{3}\1[0-9]{3})" + _ID_LETTER, _A)
_ES_PHONE = re.compile(
    r"(?<![0-9+])(?:(?:\+34|0034|\(\+34\)|\(0034\))[ .-]?)?"
    r"(?:[6-9][0-9]{8}"  # 612345678
    r"|[6-9][0-9]{2}[ .-][0-9]{3}[ .-][0-9]{3}"  # 612 345 678
    r"|[6-9][0-9]{2}(?:[ .-][0-9]{2}){3}"  # 612 34 56 78
    r"|[6-9][0-9][ .-][0-9]{3}(?:[ .-][0-9]{2}){2}"  # 91 234 56 78
    r"|\([6-9][0-9]\) ?[0-9]{3}(?:[ .-]?[0-9]{2}){2}"  # (91) 234 56 78
    r"|\([6-9][0-9]{2}\) ?(?:[0-9]{3}[ .-]?[0-9]{3}|[0-9]{2}(?:[ .-]?[0-9]{2}){2}))"
    r"(?![0-9])",
    _A,
)
# NANP: area code 2-9xx, then 3 + 4 digits. A separator is required: a bare 10-digit run is more
# often an id or a Unix time than a phone (with +1 in front, _INTL_PHONE takes it).
_US_PHONE = re.compile(
    r"(?<![0-9+])(?:\+?1[ .-]?)?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[ .-])[0-9]{3}[ .-][0-9]{4}(?![0-9])",
    _A,
)
# A trunk 0 (or +44 / 0044, maybe then "(0)") and 10 digits grouped 4-3-3 / 4-6, 3-3-4 or 2-4-4.
_UK_PHONE = re.compile(
    r"(?<![0-9+])(?:(?:\+44|0044|\(\+44\))[ .-]?(?:\(0\)[ .-]?)?|0)"
    r"(?:[1-9][0-9]{3}[ .-]?[0-9]{3}[ .-]?[0-9]{3}"  # 07700 900123, 07700 900 123
    r"|[1-9][0-9]{2}[ .-]?[0-9]{3}[ .-]?[0-9]{4}"  # 0161 496 0000
    r"|[1-9][0-9][ .-]?[0-9]{4}[ .-]?[0-9]{4})"  # 020 7946 0958
    r"(?![0-9])",
    _A,
)
# +CC, an optional "(0)" (+44 (0)20 ...) or 1-digit group ("+33 1 ..."), then groups of 2-4
# digits (so "+25.5 12.5" is no phone); the resolver checks the digit count.
_INTL_PHONE = re.compile(
    r"(?<![0-9+])\(?\+[1-9][0-9]{0,2}\)?(?:[ .-]?\(0\)|[ .-]?[0-9](?![0-9]))?"
    r"(?:[ .-]?(?:\([0-9]{2,4}\)|[0-9]{2,4})){1,7}",
    _A,
)

Resolver = Callable[[str, re.Match[str]], int | None]  # -> end of the accepted value, or None


def _whole(check: Callable[[str], bool]) -> Resolver:
    return lambda text, m: m.end() if check(m.group()) else None


_ANY = _whole(lambda _: True)


def _group_ends(text: str, start: int, stop: int) -> Iterator[int]:
    """Ends of digit groups inside text[start:stop], longest first."""
    digits = "0123456789"  # ASCII only, like the patterns (str.isdigit would take "٣" too)
    for end in range(stop, start, -1):
        if text[end - 1] in digits and (end == len(text) or text[end] not in digits):
            yield end


def _longest_valid_prefix(low: int, high: int, check: Callable[[str], bool]) -> Resolver:
    """Accept the longest prefix, cut after a digit group, with low..high digits passing check
    (the greedy patterns may run into neighbouring numbers: "card 4111 ... 1111 22")."""

    def resolve(text: str, m: re.Match[str]) -> int | None:
        for end in _group_ends(text, m.start(), m.end()):
            value = text[m.start() : end]
            if low <= len(_ANY_DIGIT.findall(value)) <= high and check(value):
                return end
        return None

    return resolve


# Spaces may fall anywhere ("ES91 2100 0418 45 0200051332", the old account number's grouping);
# dots and dashes only in the printed groups of 4, or domains ("a@ab12.example.com") and UUIDs
# would be read across, with a 1 in 97 chance of passing.
_PRINTED_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}(?:[ .-][A-Z0-9]{4})*(?:[ .-][A-Z0-9]{1,3})?", _A | re.I)


def _iban_as_typed(value: str) -> bool:
    spaced = value.replace(" ", "").isalnum()  # no dots or dashes
    return (spaced or _PRINTED_IBAN.fullmatch(value) is not None) and iban_valid(value)


def _resolve_iban(text: str, m: re.Match[str]) -> int | None:
    # The pattern is greedy and may run into following words; try the registry length first,
    # then (unknown country) every length from the longest down.
    ends = [i + 1 for i in range(m.start(), m.end()) if text[i].isalnum()]
    known = _IBAN_LENGTHS.get(m.group()[:2].upper())
    lengths = [known] if known else range(len(ends), 14, -1)
    for length in lengths:
        if length <= len(ends) and _iban_as_typed(text[m.start() : ends[length - 1]]):
            return ends[length - 1]
    return None


# Hints: what every match of a detector holds, so a text without it skips the detector (most
# texts hold no PII). A hint starts with a character class and no lookbehind, so the regex engine
# jumps from candidate to candidate; the detectors' leading lookbehinds make them try every
# position, 3-4x slower.
_AT = re.compile("@")
_IBAN_HINT = re.compile(r"[A-Za-z][A-Za-z][0-9][0-9]")
_CARD_HINT = re.compile(r"[0-9](?:[ .-]?[0-9]){12}")
_NIE_HINT = re.compile(r"[XYZxyz][ .-]?[0-9]{7}")
_DNI_HINT = re.compile(r"[0-9](?:[ .]?[0-9]){7}")
_PHONE_HINT = re.compile(r"[0-9](?:[ .()-]{0,3}[0-9]){8}")  # 9 digits: Spanish, US, UK
_INTL_HINT = re.compile(r"\+[ .()-]{0,3}[0-9](?:[ .()-]{0,3}[0-9]){7}")

_DETECTORS: tuple[tuple[PIIKind, re.Pattern[str], re.Pattern[str], Resolver], ...] = (
    (PIIKind.EMAIL, _AT, _EMAIL, _ANY),
    (PIIKind.IBAN, _IBAN_HINT, _IBAN, _resolve_iban),
    (PIIKind.CARD, _CARD_HINT, _CARD, _longest_valid_prefix(13, 19, luhn_valid)),
    (PIIKind.NIE, _NIE_HINT, _NIE, _whole(nie_valid)),
    (PIIKind.DNI, _DNI_HINT, _DNI, _whole(dni_valid)),
    (PIIKind.PHONE, _PHONE_HINT, _ES_PHONE, _ANY),
    (PIIKind.PHONE, _PHONE_HINT, _US_PHONE, _ANY),
    (PIIKind.PHONE, _PHONE_HINT, _UK_PHONE, _ANY),
    (PIIKind.PHONE, _INTL_HINT, _INTL_PHONE, _longest_valid_prefix(8, 15, lambda _: True)),  # E.164
)


def _scan(text: str, pattern: re.Pattern[str], resolve: Resolver) -> Iterator[tuple[int, int]]:
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        end = resolve(text, m)
        if end is None:
            pos = m.start() + 1  # a valid value may start inside a rejected candidate
        else:
            yield m.start(), end
            pos = end


def _candidates(text: str) -> Iterator[tuple[PIIKind, int, int]]:
    """Candidates in `text`, already folded (`_fold`)."""
    hinted: dict[re.Pattern[str], bool] = {}  # the phone detectors share a hint
    for kind, hint, pattern, resolve in _DETECTORS:
        if hint not in hinted:
            hinted[hint] = hint.search(text) is not None
        if hinted[hint]:
            yield from ((kind, start, end) for start, end in _scan(text, pattern, resolve))


# --- public API --------------------------------------------------------------------------------


def find_pii(text: str) -> list[PIIMatch]:
    """Every PII value in `text`, non-overlapping, in text order.

    Overlapping candidates are merged into one match over their union, so no fragment of either
    leaks. It is labelled by the candidate spanning the whole union (an IBAN over the phone-like
    digits inside it, "+1 2345 ..." as a phone rather than the card-like digits after the +CC);
    among several such, or if none spans it, by kind priority.
    """
    matches: list[PIIMatch] = []
    cluster: list[tuple[PIIKind, int, int]] = []
    cluster_end = 0
    for kind, start, end in sorted(_candidates(_fold(text)), key=lambda c: (c[1], -c[2])):
        if cluster and start >= cluster_end:
            matches.append(_merge(text, cluster, cluster_end))
            cluster = []
        cluster.append((kind, start, end))
        cluster_end = max(cluster_end, end)
    if cluster:
        matches.append(_merge(text, cluster, cluster_end))
    return matches


def _merge(text: str, cluster: list[tuple[PIIKind, int, int]], end: int) -> PIIMatch:
    start = cluster[0][1]  # the cluster is sorted by start
    spanning = [kind for kind, s, e in cluster if (s, e) == (start, end)] or [kind for kind, _, _ in cluster]
    kind = min(spanning, key=_PRIORITY.__getitem__)
    return PIIMatch(kind, start, end, text[start:end])


def contains_pii(text: str) -> bool:
    """Whether `text` holds any PII (cheaper than find_pii: stops at the first candidate)."""
    return next(_candidates(_fold(text)), None) is not None


def redact(text: str) -> str:
    """`text` with each PII value replaced by its tag, e.g. "[EMAIL]"."""
    pieces: list[str] = []
    pos = 0
    for match in find_pii(text):
        pieces += (text[pos : match.start], match.kind.tag)
        pos = match.end
    return "".join(pieces) + text[pos:] if pieces else text


#: Keys whose values are identifiers, joined across logs and files: kept as they are when they
#: have an identifier's format (`is_identifier`), since a redacted id could no longer be joined on.
ID_FIELDS = frozenset({"request_id", "trace_id", "span_id"})
# Request ids are made by the harness ("hr-" + run + worker + sequence, lower-case letters and
# digits); trace and span ids are W3C's (32 and 16 hex digits). Anything else is text, redacted.
_IDENTIFIER = re.compile(r"hr(?:-[a-z0-9]{1,16}){2,4}|[0-9a-f]{32}|[0-9a-f]{16}")


def is_identifier(value: object) -> bool:
    """Whether `value` is a request, trace or span id by its format (so exempt from redaction)."""
    return isinstance(value, str) and _IDENTIFIER.fullmatch(value) is not None


def redact_obj(obj: _T, *, ids: frozenset[str] = ID_FIELDS) -> _T:
    """Redact the strings inside dicts (keys too), lists, tuples and sets, recursively. Other
    values pass unchanged (a card number stored as an int is not redacted); dict keys that
    redact alike collapse into one, the last value winning. Under a key in `ids`, a value with
    an identifier's format is kept as it is (`is_identifier`)."""
    return cast(_T, _redact_any(obj, ids))


def _redact_any(obj: object, ids: frozenset[str]) -> object:
    if isinstance(obj, str):
        return redact(obj)
    if isinstance(obj, dict):
        return {
            _redact_any(key, ids): value if key in ids and is_identifier(value) else _redact_any(value, ids)
            for key, value in obj.items()
        }
    if isinstance(obj, list):
        return [_redact_any(item, ids) for item in obj]
    if isinstance(obj, tuple):
        items = [_redact_any(item, ids) for item in obj]
        make: Callable[..., object] = type(obj)
        return make(*items) if hasattr(obj, "_fields") else tuple(items)  # namedtuples
    if isinstance(obj, set | frozenset):
        return type(obj)(_redact_any(item, ids) for item in obj)
    return obj
