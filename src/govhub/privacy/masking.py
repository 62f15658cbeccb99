"""Masking: keep the few characters a reader needs and hide the rest.

The presets follow common practice for Chinese personal data: an ID number keeps its division
prefix and its last four characters, a mobile number its operator prefix and last four digits,
a name its surname, an e-mail address the first character of its local part and the domain,
an address its first six characters (roughly province and city).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa
import pyarrow.compute as pc

MASK_CHAR = "*"
EMAIL_STARS = MASK_CHAR * 3  # a fixed run, so the length of the local part is hidden too


class MaskStyle(StrEnum):
    """How a value is masked."""

    ID_NUMBER = "id_number"
    MOBILE = "mobile"
    PHONE = "phone"
    NAME = "name"
    EMAIL = "email"
    ADDRESS = "address"
    FULL = "full"


@dataclass(frozen=True, slots=True)
class Keep:
    """How many characters stay visible at the start and at the end."""

    start: int
    end: int


KEEP: dict[MaskStyle, Keep] = {
    MaskStyle.ID_NUMBER: Keep(6, 4),
    MaskStyle.MOBILE: Keep(3, 4),
    MaskStyle.PHONE: Keep(0, 4),
    MaskStyle.NAME: Keep(1, 0),
    MaskStyle.ADDRESS: Keep(6, 0),
    MaskStyle.FULL: Keep(0, 0),
}


def mask(value: str, style: MaskStyle = MaskStyle.FULL) -> str:
    """Mask one value in the given style (a value too short to keep anything is fully masked)."""
    if style is MaskStyle.EMAIL:
        local, at, domain = value.partition("@")
        if not at or not local:
            return MASK_CHAR * len(value)
        return local[:1] + EMAIL_STARS + "@" + domain
    keep = KEEP[style]
    hidden = len(value) - keep.start - keep.end
    if hidden <= 0:
        return MASK_CHAR * len(value)
    tail = value[len(value) - keep.end :] if keep.end else ""
    return value[: keep.start] + MASK_CHAR * hidden + tail


def mask_id_number(id_number: str) -> str:
    """Show the first 6 and last 4 characters of an ID number, masking the birth date."""
    return mask(id_number, MaskStyle.ID_NUMBER)


# Below this many values (a page of a query), `mask` value by value costs less than the eight
# Arrow kernels do (each has a fixed cost of tens of microseconds).
PER_VALUE_BELOW = 1024


def mask_array(values: pa.Array | pa.ChunkedArray, style: MaskStyle) -> pa.ChunkedArray:
    """Mask a string column, keeping nulls: a short one value by value, a long one with Arrow
    kernels (the same result)."""
    column = _as_chunked_strings(values)
    if len(column) < PER_VALUE_BELOW:
        masked = [None if v is None else mask(v, style) for v in column.to_pylist()]
        return pa.chunked_array([pa.array(masked, column.type)])
    if style is MaskStyle.EMAIL:
        return _mask_email_array(column)
    keep = KEEP[style]
    length = pc.utf8_length(column)
    hidden = pc.subtract(length, keep.start + keep.end)
    too_short = pc.less_equal(hidden, 0)
    head = pc.utf8_slice_codeunits(column, 0, keep.start)
    tail = (
        pc.utf8_slice_codeunits(column, -keep.end)
        if keep.end
        else pc.utf8_slice_codeunits(column, 0, 0)
    )
    stars = pc.binary_repeat(MASK_CHAR, pc.max_element_wise(hidden, 0))
    kept = pc.binary_join_element_wise(head, stars, tail, "")
    return _chunked(pc.if_else(too_short, pc.binary_repeat(MASK_CHAR, length), kept))


def _mask_email_array(column: pa.ChunkedArray) -> pa.ChunkedArray:
    masked = pc.replace_substring_regex(column, r"^([^@])[^@]*@", r"\1" + EMAIL_STARS + "@")
    is_email = pc.match_substring_regex(column, r"^[^@]+@")
    hidden = pc.binary_repeat(MASK_CHAR, pc.utf8_length(column))
    return _chunked(pc.if_else(is_email, masked, hidden))


def _as_chunked_strings(values: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    column = _chunked(values)  # large strings too: the kernels take no mix of the two
    return column if pa.types.is_string(column.type) else _chunked(pc.cast(column, pa.string()))


def _chunked(values: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    return values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])
