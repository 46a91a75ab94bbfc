"""Values the fuzzer draws: valid-looking, hostile and extreme, field by field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from hypothesis import strategies as st

# --------------------------------------------------------------------------------------------------
# Values


MISSING = object()  # the field is left out of the request

HOSTILE_TEXT = [
    "",
    " ",
    "\t\r\n",
    "\x00",
    "a\x00b",
    "\x07\x08\x1b[31mred\x7f",
    "x" * 10_000,
    "é" * 61,
    "É" * 201,
    "İ",
    "ΑΣ",
    "ẞ",
    "ﬀ",
    "\u202eevil",
    "\ufeffbom",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "[[!ContactFirstName]]",
    "[[!Nope]]",
    "[[!",
    "%",
    "_%\\",
    "' OR 1=1 --",
    "@ada @remy @",
    "🙂" * 100,
    "a,b,,c, ,",
    "," * 300,
    "  padded  ",
    "Émeraude",
    "ÉMERAUDE",
    "émeraude",
]
HOSTILE_NUMBERS = [
    "",
    " ",
    "abc",
    "-1",
    "-0",
    "-0.01",
    "0",
    "0.001",
    "1e3",
    "1e999999",
    "-1e999999",
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "9" * 40,
    "1_000",
    "１２",
    "0x1A",
    "1,5",
    " 7 ",
    "100.01",
    "1000001",
    "10000000000",
    "9999999999.999",
    str(2**63),
    str(-(2**63) - 1),
]
# The values most likely to break something (see Field.extreme).
EXTREME_TEXT = ["x" * 10_000, "ΑΣ", "ÉMERAUDE", " "]
EXTREME_NUMBERS = ["9" * 40, str(2**63), "sNaN", "-1"]
EXTREME_IDS = [str(2**63), "abc", "-1", "987654"]
EXTREME_DATES = ["0001-01-01", "9999-12-31", "2026-02-30"]
EXTREME_DATETIMES = ["0001-01-01T00:00", "9999-12-31T23:59", "2026-03-29T02:30"]
HOSTILE_IDS = [
    "",
    " ",
    "0",
    "-1",
    "987654",
    str(2**31),  # beyond PostgreSQL INTEGER
    str(2**63),
    str(10**30),
    "abc",
    "1.0",
    "1e3",
    "None",
    "١",
    "\x00",
]
# In a URL: unknown (0, never created, the largest database integer), beyond the converter's
# range (5,000 digits: more than int() reads), or not a plain number at all ("١" is the digit 1 to Python's int(): an alias, not unknown).
UNKNOWN_PATH_IDS = [
    *("0", "٠", "987654", str(2**31), str(2**63 - 1), str(2**63), str(10**30), "9" * 5000),
    *("-1", "abc", "1.0", "+1"),
]
HOSTILE_PATH_IDS = [*UNKNOWN_PATH_IDS, "١", "0" * 30 + "1"]
HOSTILE_DATES = [
    "",
    "2026-02-30",
    "2025-02-29",
    "2026-13-01",
    "2026-00-10",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-2026-01-01",
    "2026-1-1",
    "20260101",
    "tomorrow",
    "2026-03-01T10:00",
    "2026-03-01\x00",
]
HOSTILE_TIMES = ["", "24:00", "25:61", "9", "9:5", "12:00:00", "noon", "-01:00", "09:00\x00", "23:59:60"]
HOSTILE_DATETIMES = [
    "",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2026-02-30T10:00",
    "2026-03-29T02:30",  # does not exist in Europe/Paris (clocks go forward)
    "2026-10-25T02:30",  # exists twice in Europe/Paris
    "2026-03-01 10:00",
    "2026-03-01T10:00:00",
    "2026-03-01T10:00+05:00",
    "2026-03-01T10:00Z",
    "2026-03-01",
    "soon",
]
BOOLEANS = ["y", "on", "1", "true", "", "0", "false", "n", "off"]
READABLE = st.text(st.characters(codec="ascii", categories=("L", "N", "Zs")), min_size=1, max_size=30).filter(
    lambda s: s.strip()
)
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)


@dataclass(frozen=True)
class Field:
    """How to fill one form field: a plausible value, a hostile one, or one of the few hostile
    values most likely to break something (boundaries: the largest ids, impossible dates…)."""

    valid: st.SearchStrategy[Any]
    hostile: st.SearchStrategy[Any]
    extreme: st.SearchStrategy[Any] | None = None


def text(*examples: str, required: bool = True) -> Field:
    valid = st.one_of(st.sampled_from(examples or ("Acme",)), READABLE)
    if not required:
        valid = st.one_of(valid, st.just(""))
    return Field(valid, st.one_of(st.sampled_from(HOSTILE_TEXT), ANY_TEXT), st.sampled_from(EXTREME_TEXT))


def number(lo: int, hi: int, decimals: bool = True) -> Field:
    valid = st.integers(lo, hi).map(str)
    if decimals:
        valid = st.one_of(valid, st.decimals(lo, hi, places=2, allow_nan=False).map(str))
    return Field(valid, st.sampled_from(HOSTILE_NUMBERS), st.sampled_from(EXTREME_NUMBERS))


def ids(*values: int | None, blank: bool = False) -> Field:
    good = [str(v) for v in values if v is not None] + ([""] if blank else [])
    return Field(st.sampled_from(good or [""]), st.sampled_from(HOSTILE_IDS), st.sampled_from(EXTREME_IDS))


def choice(*values: str) -> Field:
    return Field(
        st.sampled_from(values), st.sampled_from(["", "bogus", values[0].upper(), f"{values[0]} ", "\x00"])
    )


def boolean() -> Field:
    return Field(st.sampled_from(["y", ""]), st.sampled_from(BOOLEANS))


def day() -> Field:
    return Field(
        st.dates(date(2020, 1, 1), date(2030, 12, 31)).map(date.isoformat),
        st.sampled_from(HOSTILE_DATES),
        st.sampled_from(EXTREME_DATES),
    )


def clock() -> Field:
    return Field(
        st.sampled_from(["09:00", "13:30", "18:00", ""]), st.sampled_from(HOSTILE_TIMES), st.just("24:00")
    )


def blank_ok(field: Field) -> Field:
    """The same field, where empty is a valid answer too."""
    return Field(st.one_of(field.valid, st.just("")), field.hostile, field.extreme)


def moment() -> Field:
    valid = st.datetimes(datetime(2020, 1, 1), datetime(2030, 12, 31)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M")
    )
    return Field(
        st.one_of(st.just("2026-06-01T09:30"), valid),
        st.sampled_from(HOSTILE_DATETIMES),
        st.sampled_from(EXTREME_DATETIMES),
    )


def upload() -> Field:
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000d49444154789c63f8cfc0f01f0005000101ffa6bdb60b0000000049454e44ae426082"
    )
    names = st.sampled_from(
        [
            "pixel.png",
            "notes.txt",
            "doc.pdf",
            "../../etc/passwd",
            "a\x00.png",
            "",
            "é" * 300 + ".png",
            "x.exe",
        ]
    )
    contents = st.sampled_from(
        [png, b"plain words\n", b"%PDF-1.4\n%%EOF\n", b"", b"\x00\x01\x02", b"MZ\x90\x00"]
    )
    valid = st.tuples(st.just(png), st.just("pixel.png"))
    return Field(valid, st.tuples(contents, names))


def email() -> Field:
    valid = st.one_of(
        st.sampled_from(["", "jane@acme.example", "new.person@example.com"]),
        st.from_regex(r"[a-z]{1,12}\.?[a-z]{0,5}@[a-z]{2,10}\.(com|fr|example)", fullmatch=True),
    )
    hostile = st.sampled_from(
        [
            *HOSTILE_TEXT,
            "a@",
            "@b.example",
            "a@b",
            "a b@c.example",
            "x" * 250 + "@example.com",
            "ÉMILE@ÉCOLE.FR",
            "jane@acme.example\x00",
            "a@b.example,c@d.example",
            "JANE@ACME.EXAMPLE",
            "ada@example.com",
        ]
    )
    extreme = st.sampled_from(["x" * 250 + "@example.com", "ÉMILE@ÉCOLE.FR", "JANE@ACME.EXAMPLE"])
    return Field(valid, hostile, extreme)


def phone() -> Field:
    return Field(st.sampled_from(["", "+33 1 23 45 67 89", "(555) 123-4567"]), st.sampled_from(HOSTILE_TEXT))


def many(values: list[int]) -> Field:
    """A multiple select: several values under one name."""
    valid = st.lists(st.sampled_from([str(v) for v in values]), max_size=3, unique=True)
    return Field(
        valid,
        st.lists(st.sampled_from(HOSTILE_IDS + [str(v) for v in values]), min_size=1, max_size=4),
        st.lists(st.sampled_from(EXTREME_IDS), min_size=1, max_size=2),
    )
