"""Generate valid national identifiers for demo residents and enterprises.

- Resident ID numbers (GB 11643): division code, birth date, a sequence whose last digit is odd
  for men and even for women, and the MOD 11-2 check character.
- Unified social credit codes (GB 32100): registration authority and category, the registering
  division, the 9-character organization code (8 characters and the GB 11714 check character),
  and the MOD 31 check character.
"""

from __future__ import annotations

import random
import string
from datetime import date, timedelta

from govhub.identity.codes import USCC_ALPHABET, id_number_check_char, uscc_check_char

ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_CODE_CHARS = frozenset(string.digits + string.ascii_uppercase)
EARLIEST_BIRTH = date(1945, 1, 1)
LATEST_BIRTH = date(2007, 12, 31)


def org_code_check_char(body: str) -> str:
    """Return the GB 11714 check character of an 8-character organization code body."""
    total = 0
    for ch, weight in zip(body, ORG_CODE_WEIGHTS, strict=True):
        value = int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10
        total += value * weight
    check = 11 - total % 11
    if check == 10:
        return "X"
    return "0" if check == 11 else str(check)


def org_code_is_valid(code: str) -> bool:
    """Tell whether a 9-character organization code carries the right check character."""
    if len(code) != 9 or any(ch not in ORG_CODE_CHARS for ch in code[:8]):
        return False
    return org_code_check_char(code[:8]) == code[8]


def make_id_number(rng: random.Random, *, division_code: str, male: bool) -> str:
    """Return a valid resident ID number of someone born in a demo county."""
    span = (LATEST_BIRTH - EARLIEST_BIRTH).days
    born = EARLIEST_BIRTH + timedelta(days=rng.randrange(span + 1))
    sequence = rng.randrange(1 if male else 2, 1000, 2)
    first17 = f"{division_code}{born:%Y%m%d}{sequence:03d}"
    return first17 + id_number_check_char(first17)


def make_org_code(rng: random.Random) -> str:
    """Return a 9-character organization code in the 'MA' series issued since 2015.

    The body uses only characters a credit code may carry (no I, O, Z, S or V).
    """
    body = "MA" + "".join(rng.choice(USCC_ALPHABET) for _ in range(6))
    return body + org_code_check_char(body)


def make_uscc(rng: random.Random, *, division_code: str, category: str = "1") -> str:
    """Return a valid credit code registered by market regulation (authority 9) in a division."""
    first17 = f"9{category}{division_code}{make_org_code(rng)}"
    return first17 + uscc_check_char(first17)
