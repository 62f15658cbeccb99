"""Validation of the national codes identity rests on.

- GB 11643-1999: the 18-character citizen identity number and its ISO 7064 MOD 11-2 check.
- GB 32100-2015: the 18-character unified social credit code and its MOD 31 check.
- GB/T 2260 (extended to townships and villages): 6-digit province, city and county codes,
  9-digit township codes and 12-digit village (community) codes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_AUTHORITIES = set("123456789ANY")


class DivisionLevel(StrEnum):
    """The five levels of administrative division."""

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


def _digits(text: str) -> bool:
    """Tell whether `text` is ASCII digits only (`str.isdigit` also accepts full-width ones)."""
    return text.isascii() and text.isdigit()


def id_number_check_char(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits."""
    total = sum(int(ch) * w for ch, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def id_number_problem(value: str) -> str | None:
    """Return why `value` is not a valid resident ID number, or None when it is."""
    if len(value) != 18:
        return "a resident ID number has 18 characters"
    if not _digits(value[:17]) or not (_digits(value[17]) or value[17] == "X"):
        return "a resident ID number is 17 digits followed by a digit or X"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "the birth date in the ID number does not exist"
    if born.year < 1900 or born > datetime.now(UTC).date():
        return "the birth date in the ID number is out of range"
    if id_number_check_char(value[:17]) != value[17]:
        return "the check digit of the ID number is wrong"
    return None


def normalize_id_number(value: str) -> str:
    """Strip spaces and upper-case a trailing x."""
    return value.strip().replace(" ", "").upper()


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(value: str) -> str | None:
    """Return why `value` is not a valid unified social credit code, or None when it is."""
    if len(value) != 18:
        return "a unified social credit code has 18 characters"
    if any(ch not in USCC_ALPHABET for ch in value):
        return "a unified social credit code uses digits and upper-case letters except I O Z S V"
    if value[0] not in USCC_AUTHORITIES:
        return "the registration authority code of the credit code is unknown"
    if not _digits(value[2:8]):
        return "characters 3 to 8 of the credit code are a division code"
    if uscc_check_char(value[:17]) != value[17]:
        return "the check character of the credit code is wrong"
    return None


def division_level(code: str) -> DivisionLevel | None:
    """Return the level a well-formed division code denotes, or None if malformed."""
    if not _digits(code):
        return None
    if len(code) == 12:
        return DivisionLevel.VILLAGE
    if len(code) == 9:
        return DivisionLevel.TOWNSHIP
    if len(code) != 6 or code[:2] == "00":
        return None
    if code[2:] == "0000":
        return DivisionLevel.PROVINCE
    if code[4:] == "00":
        return DivisionLevel.CITY
    return DivisionLevel.COUNTY


def division_parent_code(code: str) -> str | None:
    """Return the code of the division directly above `code` (None for a province)."""
    level = division_level(code)
    if level is None:
        raise ValueError(f"malformed division code {code!r}")
    return {
        DivisionLevel.PROVINCE: None,
        DivisionLevel.CITY: code[:2] + "0000",
        DivisionLevel.COUNTY: code[:4] + "00",
        DivisionLevel.TOWNSHIP: code[:6],
        DivisionLevel.VILLAGE: code[:9],
    }[level]


def division_prefix(code: str) -> str:
    """Return the prefix shared by every code in the subtree under `code`."""
    level = division_level(code)
    if level is None:
        raise ValueError(f"malformed division code {code!r}")
    return {
        DivisionLevel.PROVINCE: code[:2],
        DivisionLevel.CITY: code[:4],
        DivisionLevel.COUNTY: code[:6],
        DivisionLevel.TOWNSHIP: code[:9],
        DivisionLevel.VILLAGE: code,
    }[level]


def in_subtree(code: str, root: str) -> bool:
    """Tell whether division `code` lies in the subtree rooted at `root` (itself included)."""
    return code.startswith(division_prefix(root))
