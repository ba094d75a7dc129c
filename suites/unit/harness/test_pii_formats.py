"""PII formats as people type them: every kind in every separator style, generated with valid
checksums, is masked whole; dates, times, prices, versions and order numbers are left alone.
The table these tests hold up: docs/pii-formats.md."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.pii import ID_FIELDS, PIIKind, find_pii, is_identifier, redact, redact_obj
from harness.strategies import iban_complete, luhn_complete, spanish_phones

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

FAST = settings(deadline=None)  # example count from the hypothesis profile (root conftest)

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
FULL_WIDTH = str.maketrans(string.digits, "０１２３４５６７８９")
NBSP, THIN, NARROW_NBSP = "\u00a0", "\u2009", "\u202f"


def digit_run(n: int) -> st.SearchStrategy[str]:
    return st.text(string.digits, min_size=n, max_size=n)


def spaced(style: str, value: str) -> str:
    """`value`, typed with ASCII spaces, as `style` types it."""
    if style == "full-width":
        return value.translate(FULL_WIDTH)
    return value.replace(" ", {"nbsp": NBSP, "thin": THIN, "narrow-nbsp": NARROW_NBSP}.get(style, " "))


UNICODE_STYLES = ["ascii", "full-width", "nbsp", "thin", "narrow-nbsp"]
unicode_styles = st.sampled_from(UNICODE_STYLES)


def grouped(value: str, sep: str, sizes: tuple[int, ...] = (4,)) -> str:
    """`value` cut into groups of `sizes` (the last size repeats) joined by `sep`."""
    groups: list[str] = []
    while value:
        size = sizes[min(len(groups), len(sizes) - 1)]
        groups.append(value[:size])
        value = value[size:]
    return sep.join(groups)


# --- generators: one per kind, each in every separator style people use ---------------------

SEPARATORS = ["", " ", "-", "."]
card_numbers = st.builds(
    lambda first, rest: luhn_complete(first + rest),
    st.sampled_from("23456"),
    st.integers(11, 17).flatmap(digit_run),
)
cards = st.one_of(
    st.builds(grouped, card_numbers, st.sampled_from(SEPARATORS)),
    st.builds(  # Amex, 4-6-5
        lambda rest, sep: grouped(luhn_complete("37" + rest), sep, (4, 6, 5)),
        digit_run(12),
        st.sampled_from(SEPARATORS),
    ),
)
IBAN_LENGTHS = {"ES": 24, "DE": 22, "FR": 27, "GB": 22, "IT": 27, "NL": 18, "PT": 25, "BE": 16, "CH": 21}


def iban(country: str, bban: str, sep: str, lower: bool) -> str:
    value = grouped(iban_complete(country, bban), sep)
    return value.lower() if lower else value


ibans = st.sampled_from(sorted(IBAN_LENGTHS)).flatmap(
    lambda cc: st.builds(
        iban,
        st.just(cc),
        st.text(
            string.digits + string.ascii_uppercase,
            min_size=IBAN_LENGTHS[cc] - 4,
            max_size=IBAN_LENGTHS[cc] - 4,
        ),
        st.sampled_from(SEPARATORS),
        st.booleans(),
    )
)


def dni(number: int, shape: str, sep: str, lower: bool) -> str:
    n = f"{number:08d}"
    letter = DNI_LETTERS[number % 23]
    # A check letter set apart by a space is a capital (see the DNI/NIE negative test).
    if lower and " {L}" not in shape and sep != " ":
        letter = letter.lower()
    return shape.format(n=n, n2=n[:2], n3=n[2:5], n3b=n[5:], s=sep, L=letter)


DNI_SHAPES = ["{n}{s}{L}", "{n2}.{n3}.{n3b}{s}{L}", "{n2} {n3} {n3b} {L}"]
dnis = st.builds(
    dni, st.integers(0, 99_999_999), st.sampled_from(DNI_SHAPES), st.sampled_from(SEPARATORS), st.booleans()
)
nies = st.builds(
    lambda p, n, sep1, sep2: f"{'XYZ'[p]}{sep1}{n:07d}{sep2}{DNI_LETTERS[(p * 10_000_000 + n) % 23]}",
    st.integers(0, 2),
    st.integers(0, 9_999_999),
    st.sampled_from(SEPARATORS),
    st.sampled_from(SEPARATORS),
)
EMAIL_SHAPES = ["{u}@{d}.{t}", "{u}.{u}@{d}.{t}", "{u}+tag@{d}.{t}", "o'{u}@{d}.{t}", "{U}@{d}.{d}.{t}"]
emails = st.builds(
    lambda shape, user, domain, tld: shape.format(u=user, U=user.upper(), d=domain, t=tld),
    st.sampled_from(EMAIL_SHAPES),
    st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True),
    st.from_regex(r"[a-z]{2,6}", fullmatch=True),
)
US_SHAPES = [
    "({a}) {b}-{c}",
    "({a}){b}-{c}",
    "{a}-{b}-{c}",
    "{a}.{b}.{c}",
    "{a} {b} {c}",
    "+1 {a} {b} {c}",
    "+1 ({a}) {b}-{c}",
    "+1-{a}-{b}-{c}",
    "1-{a}-{b}-{c}",
    "1 ({a}) {b}-{c}",
]
us_phones = st.builds(
    lambda shape, area, b, c: shape.format(a=area, b=b, c=c),
    st.sampled_from(US_SHAPES),
    st.builds(lambda first, rest: first + rest, st.sampled_from("23456789"), digit_run(2)),
    digit_run(3),
    digit_run(4),
)
# {m}: 10 digits after the trunk 0, in the groupings of mobiles (4-6), big cities (2-4-4) and
# other areas (3-3-4, 4-6).
UK_BODIES = ["7{a3} {b6}", "7{a3} {b3} {c3}", "2{a1} {b4} {c4}", "1{a2} {b3} {c4}", "1{a3} {b6}"]
UK_PREFIXES = ["0", "+44 ", "+44", "0044 ", "+44 (0)", "+44 (0) "]
uk_phones = st.builds(
    lambda prefix, body, d: (
        prefix
        + body.format(a1=d[0], a2=d[:2], a3=d[:3], b3=d[3:6], b4=d[1:5], b6=d[3:9], c3=d[6:9], c4=d[5:9])
    ),
    st.sampled_from(UK_PREFIXES),
    st.sampled_from(UK_BODIES),
    digit_run(9),
)
intl_phones = st.builds(
    lambda cc, trunk, groups, sep: f"+{cc}{sep}{trunk}{sep.join(groups)}",
    st.integers(1, 999).map(str),
    st.sampled_from(["", "(0)"]),
    st.lists(st.text(string.digits, min_size=2, max_size=4), min_size=2, max_size=4),
    st.sampled_from([" ", "-", "."]),
).filter(lambda p: 8 <= sum(c.isdigit() for c in p) <= 15)
phones = st.one_of(spanish_phones, us_phones, uk_phones, intl_phones)

FORMATS: dict[PIIKind, st.SearchStrategy[str]] = {
    PIIKind.EMAIL: emails,
    PIIKind.IBAN: ibans,
    PIIKind.CARD: cards,
    PIIKind.NIE: nies,
    PIIKind.DNI: dnis,
    PIIKind.PHONE: phones,
}
BEFORE = ["", "mi dato es", "My number:", "tel.", "(", "¿es", "Hola, soy Ana y", "IBAN/tarjeta:"]
AFTER = ["", ", gracias", ".", ")", "?", " y nada más", "— urgente", "!"]


# --- the property: each format is found whole, alone and in a sentence ----------------------


@pytest.mark.parametrize("kind", list(FORMATS), ids=str)
@FAST
@given(data=st.data())
def test_every_format_is_found_whole_as_its_kind(kind: PIIKind, data: st.DataObject) -> None:
    value = spaced(data.draw(unicode_styles, label="style"), data.draw(FORMATS[kind], label="pii"))
    assert [(m.kind, m.value) for m in find_pii(value)] == [(kind, value)]


@pytest.mark.parametrize("kind", list(FORMATS), ids=str)
@FAST
@given(data=st.data())
def test_every_format_is_masked_whole_in_a_sentence(kind: PIIKind, data: st.DataObject) -> None:
    # Exact output: no digit of the value may be left beside the tag.
    value = spaced(data.draw(unicode_styles, label="style"), data.draw(FORMATS[kind], label="pii"))
    before, after = data.draw(st.sampled_from(BEFORE)), data.draw(st.sampled_from(AFTER))
    assert redact(f"{before} {value}{after}") == f"{before} {kind.tag}{after}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tarjeta 4111.1111.1111.1111.", "tarjeta [CARD]."),
        ("card ４１１１ １１１１ １１１１ １１１１", "card [CARD]"),
        ("card 4111\u00a01111\u00a01111\u00a01111", "card [CARD]"),
        ("IBAN ES91-2100-0418-4502-0005-1332", "IBAN [IBAN]"),
        ("DNI 12345678 Z, 12.345.678 Z, 12345678-Z", "DNI [DNI], [DNI], [DNI]"),
        ("NIE X 1234567 L / X-1234567-L / X.1234567.L", "NIE [NIE] / [NIE] / [NIE]"),
        ("(555) 123-4567, 555-123-4567, 555.123.4567", "[PHONE], [PHONE], [PHONE]"),
        ("+1 555 123 4567 / 1-555-123-4567", "[PHONE] / [PHONE]"),
        ("07700 900123 / +44 7700 900123", "[PHONE] / [PHONE]"),
        ("020 7946 0958 / +44 (0)20 7946 0958", "[PHONE] / [PHONE]"),
        ("+49 (0)30 1234 5678", "[PHONE]"),
        ("mail o'brien@example.ie", "mail [EMAIL]"),
        ("ana＠example．com", "[EMAIL]"),
        ("móvil ６１２ ３４５ ６７８", "móvil [PHONE]"),
        ("card 4111\u20131111\u20131111\u20131111", "card [CARD]"),  # en dashes
        ("IBAN ES91 2100 0418 45 0200051332", "IBAN [IBAN]"),  # spaces in the old account grouping
        # Dots and dashes join IBAN groups of 4 only: no IBAN read across a domain or a UUID.
        ("a@go26.tvhoat y nada más", "[EMAIL] y nada más"),
        ("id ab12cdef-1234-41d4-a716-446655440000", "id ab12cdef-1234-41d4-a716-446655440000"),
    ],
)
def test_examples_from_the_issue(text: str, expected: str) -> None:
    assert redact(text) == expected


# --- ordinary text is left alone --------------------------------------------------------------

days, months, years = st.integers(1, 31), st.integers(1, 12), st.integers(1950, 2099)
DATE_SHAPES = [
    "{d:02d}.{m:02d}.{y}",
    "{d}.{m}.{y}",
    "{d:02d}/{m:02d}/{y}",
    "{m}/{d}/{y}",
    "{y}-{m:02d}-{d:02d}",
    "{d:02d}-{m:02d}-{y}",
    "{y}.{m:02d}.{d:02d}",
    "{y}/{m:02d}/{d:02d}",
    "{d:02d}.{m:02d}.{yy:02d}",
]
dates = st.builds(
    lambda shape, d, m, y: shape.format(d=d, m=m, y=y, yy=y % 100),
    st.sampled_from(DATE_SHAPES),
    days,
    months,
    years,
)
TIME_SHAPES = ["{h:02d}:{mi:02d}", "{h:02d}:{mi:02d}:{s:02d}", "{h}.{mi:02d} h", "{h}h{mi:02d}"]
times = st.builds(
    lambda shape, h, mi, s: shape.format(h=h, mi=mi, s=s),
    st.sampled_from(TIME_SHAPES),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
)
PRICE_SHAPES = ["{e}.{c:02d} EUR", "{t},{c:02d} €", "${t2}.{c:02d}", "€{e},{c:02d}", "USD {t2}.{c:02d}"]
prices = st.builds(
    lambda shape, euros, cents: shape.format(
        e=euros, t=f"{euros:,}".replace(",", "."), t2=f"{euros:,}", c=cents
    ),
    st.sampled_from(PRICE_SHAPES),
    st.integers(0, 9_999_999),
    st.integers(0, 99),
)
versions = st.builds(
    lambda v, parts: v + ".".join(map(str, parts)),
    st.sampled_from(["", "v", "versión "]),
    st.tuples(st.integers(0, 40), st.integers(0, 99), st.integers(0, 999)).flatmap(
        lambda p: st.sampled_from([p[:2], p, (*p, 0), (*p, 12)])
    ),
)
orders = st.builds(
    lambda shape, letters, n: shape.format(a=letters, n=n),
    st.sampled_from(["#{a}-{n}", "#{n}", "{a}-{n}", "pedido {n}", "ORD-2024-{n:06d}", "ref. 2023/{n:06d}"]),
    st.from_regex(r"[A-Z]{1,3}", fullmatch=True),
    st.integers(0, 99_999_999),
)
unix_times = st.integers(1_000_000_000, 2_000_000_000).map(str)  # 10 digits: no bare US phone


@FAST
@given(st.lists(st.one_of(dates, times, prices, versions, orders, unix_times), min_size=1, max_size=4))
def test_dates_times_prices_versions_and_order_numbers_are_untouched(parts: list[str]) -> None:
    text = "Pedido del " + ", ".join(parts) + " enviado"
    assert redact(text) == text


@FAST
@given(st.integers(0, 99_999_999), st.sampled_from("yoeau"))
def test_an_8_digit_number_before_a_one_letter_word_is_no_dni(number: int, word: str) -> None:
    text = f"pedidos {number:08d} {word} X{number % 10_000_000:07d} {word} 2"
    assert redact(text) == text


@FAST
@given(
    st.sampled_from(sorted(ID_FIELDS)),
    st.from_regex(r"hr(-[a-z0-9]{1,16}){2,4}|[0-9a-f]{32}|[0-9a-f]{16}", fullmatch=True),
)
def test_identifiers_keep_their_value_through_redact_obj(key: str, value: str) -> None:
    assert is_identifier(value)
    assert redact_obj({key: value}) == {key: value}
