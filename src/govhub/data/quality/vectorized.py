"""Vectorized check-character validators: DuckDB's fast path beside the portable SQL form.

`elements.uscc_ok` and `elements.id_number_ok` state GB 32100 and GB 11643 in portable SQL
(about 17 string operations per value), which any engine can run. On DuckDB the engine calls
these functions instead, registered as Arrow UDFs, and the columnar path calls them on whole
columns. They run the compiled kernels of `kernels` (one pass per value) where the build
compiled them; otherwise NumPy gathers the values that are exactly 18 bytes long into an (n, 18)
uint8 matrix and works on blocks of 65,536 rows that stay in the processor's cache, each block
transposed to 18 rows of bytes: the alphabet and shape as byte ranges (or one 256-entry table
for the credit code's alphabet), the weighted check sum as 17 multiply-adds of whole rows, the
birth date as the number YYYYMMDD looked up in a table of real dates.
A value passes exactly when the SQL form is TRUE for it (tests compare the two on tricky
values); the answer is NULL for NULL, and FALSE, never NULL, for any other failing value:
another length, lower case, non-ASCII or full-width text, an impossible birth date.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import lru_cache

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from govhub.data.quality import kernels
from govhub.identity.codes import (
    ID_CHECK,
    ID_WEIGHTS,
    USCC_ALPHABET,
    USCC_AUTHORITIES,
    USCC_WEIGHTS,
)

USCC_FUNCTION = "govhub_uscc_ok"
ID_NUMBER_FUNCTION = "govhub_id_number_ok"
WIDTH = 18

_BLOCK = 1 << 16  # rows per block: an 18-byte block is 1.1 MiB, in cache while it is worked
_NOT_IN_ALPHABET = 255


def _code_table(alphabet: str) -> pa.Array:
    """Return the 256-entry table of a byte's place in `alphabet` (255: not in it)."""
    table = np.full(256, _NOT_IN_ALPHABET, dtype=np.uint8)
    table[list(alphabet.encode("ascii"))] = np.arange(len(alphabet), dtype=np.uint8)
    return pa.array(table)


def _byte_set(chars: str) -> npt.NDArray[np.bool_]:
    """Return the 256-entry table of the bytes of `chars`."""
    table = np.zeros(256, dtype=bool)
    table[list(chars.encode("ascii"))] = True
    return table


_USCC_CODES = _code_table(USCC_ALPHABET)
_USCC_AUTHORITY = _byte_set("".join(sorted(USCC_AUTHORITIES)))
_USCC_WEIGHTS = np.array(USCC_WEIGHTS, dtype=np.uint16)
# The check character's place for every weighted sum (any uint16: a sum over bytes outside the
# alphabet wraps round, and such a value fails anyway).
_USCC_CHECK = ((31 - np.arange(1 << 16) % 31) % 31).astype(np.uint8)
_ID_WEIGHTS = np.array(ID_WEIGHTS, dtype=np.uint16)
_ID_CHECK_ASCII = np.frombuffer(ID_CHECK.encode("ascii"), dtype=np.uint8)
_ZERO, _X = np.uint8(ord("0")), np.uint8(ord("X"))


def _blocks(codes: npt.NDArray[np.uint8]) -> Iterator[tuple[int, npt.NDArray[np.uint8]]]:
    """Yield (first row, the block's bytes as 18 contiguous rows of positions) per block."""
    for start in range(0, len(codes), _BLOCK):
        yield start, np.ascontiguousarray(codes[start : start + _BLOCK].T)


def _weighted(
    rows: npt.NDArray[np.uint8], weights: npt.NDArray[np.uint16]
) -> npt.NDArray[np.uint16]:
    """Return the weighted sum of the first 17 rows of a block (values below 256)."""
    total: npt.NDArray[np.uint16] = rows[0] * weights[0]
    for k in range(1, 17):
        total += rows[k] * weights[k]
    return total


def _as_string_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Return one contiguous `string` or `large_string` array."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = values.cast(pa.large_string())
    return values


def _valid(array: pa.Array) -> npt.NDArray[np.bool_]:
    """Return the validity (not NULL) of each value."""
    return np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def fixed_width(
    values: pa.Array | pa.ChunkedArray, width: int = WIDTH
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.uint8]]:
    """Return (mask of non-null values exactly `width` bytes long, their bytes as an
    (m, width) matrix)."""
    array = _as_string_array(values)
    n = len(array)
    wide = array.type == pa.large_string()
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[array.offset : array.offset + n + 1].astype(np.int64)
    mask = np.diff(offsets) == width
    if array.null_count:
        mask &= _valid(array)
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else None
    if data is None or not mask.any():
        return mask, np.zeros((0, width), dtype=np.uint8)
    if mask.all():
        first = int(offsets[0])
        return mask, data[first : first + width * n].reshape(n, width)
    # Arrow copies the selected values end to end: a matrix view of their bytes, no gather.
    _, codes = fixed_width(array.filter(pa.array(mask)), width)
    return mask, codes


def _answer(
    values: pa.Array | pa.ChunkedArray, mask: npt.NDArray[np.bool_], good: npt.NDArray[np.bool_]
) -> pa.Array:
    """Return a boolean array: `good` where `mask`, FALSE elsewhere, NULL where the input is."""
    result = np.zeros(len(mask), dtype=bool)
    result[mask] = good
    return _flagged(values, result)


def _flagged(values: pa.Array | pa.ChunkedArray, good: npt.NDArray[np.bool_]) -> pa.Array:
    """Return a boolean array of `good`, NULL where the input is (its validity bitmap)."""
    if not values.null_count:
        return pa.array(good, type=pa.bool_())
    array = _as_string_array(values)
    if array.offset % 8:  # a bitmap that does not start on a byte
        return pa.array(good, type=pa.bool_(), mask=~_valid(array))
    validity = array.buffers()[0].slice(array.offset // 8)
    bits = pa.py_buffer(np.packbits(good, bitorder="little"))
    return pa.Array.from_buffers(pa.bool_(), len(array), [validity, bits], array.null_count)


def uscc_valid(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """GB 32100 for each value: 18 characters of the alphabet, a known authority, MOD 31."""
    if kernels.loaded():
        return _flagged(values, kernels.uscc(values))
    mask, codes = fixed_width(values)
    good = np.empty(len(codes), dtype=bool)
    for start, block in _blocks(codes):
        places = pc.take(_USCC_CODES, pa.array(block.reshape(-1))).to_numpy()
        places = places.reshape(block.shape)
        ok = places.max(axis=0) < _NOT_IN_ALPHABET  # every character in the alphabet
        ok &= places[2:8].max(axis=0) <= 9  # the division code: digits
        ok &= _USCC_AUTHORITY[block[0]]
        ok &= _USCC_CHECK[_weighted(places, _USCC_WEIGHTS)] == places[17]
        good[start : start + len(ok)] = ok
    return _answer(values, mask, good)


_FIRST_YEAR = 1900


def _local_today() -> date:
    """Return today's date in local time, as DuckDB's current_date is."""
    return datetime.now(UTC).astimezone().date()


@lru_cache(maxsize=2)
def _birth_dates(today: date) -> npt.NDArray[np.bool_]:
    """Return a table over (year - 1900) * 10000 + month * 100 + day, up to the year of
    `today` (one entry past it, FALSE): TRUE for the real dates from 1900-01-01 to `today`."""
    days = np.arange(np.datetime64(f"{_FIRST_YEAR}-01-01"), np.datetime64(today.isoformat()) + 1)
    months = days.astype("M8[M]")
    year = months.astype("M8[Y]").astype(np.int64) + 1970
    month_day = (months.astype(np.int64) % 12 + 1) * 100
    month_day += (days - months.astype("M8[D]")).astype(np.int64) + 1
    index = (year - _FIRST_YEAR) * 10000 + month_day
    table = np.zeros((today.year - _FIRST_YEAR + 1) * 10000 + 1, dtype=bool)
    table[index] = True
    return table


def _real_birth_date(yyyymmdd: npt.NDArray[np.int32], today: date) -> npt.NDArray[np.bool_]:
    """Tell which numbers YYYYMMDD are a real date from 1900-01-01 to `today`."""
    table = _birth_dates(today)
    index = yyyymmdd - _FIRST_YEAR * 10000
    inside = (index >= 0) & (index < len(table))
    return np.asarray(table[np.where(inside, index, 0)] & inside, dtype=bool)


def id_number_valid(values: pa.Array | pa.ChunkedArray, today: date | None = None) -> pa.Array:
    """GB 11643 for each value: 17 digits and 0-9 or X, a birth date since 1900, MOD 11-2."""
    day = today or _local_today()
    if kernels.loaded():
        return _flagged(values, kernels.id_number(values, day))
    mask, codes = fixed_width(values)
    good = np.empty(len(codes), dtype=bool)
    for start, block in _blocks(codes):
        digits = block - _ZERO  # a byte below "0" wraps round, above 9 too
        ok = digits[:17].max(axis=0) <= 9
        ok &= (digits[17] <= 9) | (block[17] == _X)
        ok &= _ID_CHECK_ASCII[_weighted(digits, _ID_WEIGHTS) % 11] == block[17]
        # Characters 7..14 are the birth date YYYYMMDD.
        born = digits[6].astype(np.int32)
        for k in range(7, 14):
            born = born * 10 + digits[k]
        ok &= _real_birth_date(born, day)
        good[start : start + len(ok)] = ok
    return _answer(values, mask, good)


def _id_number_udf(values: pa.Array) -> pa.Array:
    return id_number_valid(values)


FUNCTIONS = {USCC_FUNCTION: uscc_valid, ID_NUMBER_FUNCTION: _id_number_udf}


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Register the vectorized validators on a DuckDB connection (VARCHAR -> BOOLEAN)."""
    for name, function in FUNCTIONS.items():
        # The enum spellings moved between DuckDB releases; the strings are accepted by all.
        con.create_function(  # type: ignore[call-overload]
            name,
            function,
            [duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("BOOLEAN"),
            type="arrow",
            null_handling="special",
            side_effects=False,
        )


# --- fixed-width patterns ------------------------------------------------------------------

_SPECIAL = set(".^$*+?()[]{}|\\")
_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_MAX_REPEAT = 1000  # RE2's limit on a counted repetition
_DIGIT_SET = frozenset(range(ord("0"), ord("9") + 1))


class _Pattern:
    """A reader of the patterns `byte_pattern` accepts (anything else: `ValueError`)."""

    def __init__(self, text: str) -> None:
        self.text, self.at = text, 0
        self.sets: list[frozenset[int]] = []
        self.starts: list[int] = []  # how many sets were read at each ^
        self.ends: list[int] = []  # and at each $

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        if not char:
            raise ValueError("the pattern ends early")
        self.at += 1
        return char

    def sequence(self, base: int) -> list[frozenset[int]]:
        """Read items up to the end of a group (`base` sets before it); return their sets."""
        found: list[frozenset[int]] = []
        while self.peek() and self.peek() != ")":
            char = self.peek()
            if char in "^$":
                self.take()
                (self.starts if char == "^" else self.ends).append(base + len(found))
                continue
            anchors = len(self.starts) + len(self.ends)
            atom = self.atom(base + len(found))
            count = self.repeat()
            if count != 1 and len(self.starts) + len(self.ends) != anchors:
                raise ValueError("an anchor in a repeated group")
            found += atom * count
        return found

    def atom(self, base: int) -> list[frozenset[int]]:
        char = self.take()
        if char == "(":
            if self.peek() == "?":
                self.take()
                if self.take() != ":":
                    raise ValueError("a group with flags or a name")
            inner = self.sequence(base)
            if self.take() != ")":
                raise ValueError("an open group")
            return inner
        if char == "[":
            return [self.klass()]
        if char == "\\":
            return [self.escape(in_class=False)]
        if char in _SPECIAL or not char.isascii():
            raise ValueError(f"the character {char!r}")
        return [frozenset({ord(char)})]

    def escape(self, *, in_class: bool) -> frozenset[int]:
        char = self.take()
        if char == "d":
            return _DIGIT_SET
        if char in _PUNCTUATION and (in_class or char != "-"):
            return frozenset({ord(char)})
        raise ValueError(f"the escape \\{char}")

    def klass(self) -> frozenset[int]:
        if self.peek() in ("^", "]", ""):
            raise ValueError("a negated or empty class")
        members: set[int] = set()
        while self.peek() != "]":
            char = self.take()
            if char == "[" or not char.isascii():
                raise ValueError("a nested class or a non-ASCII member")
            if char == "\\":
                members |= self.escape(in_class=True)
                continue
            if self.peek() == "-" and self.text[self.at + 1 : self.at + 2] not in ("]", ""):
                self.take()
                high = self.take()
                if high in "\\[" or not high.isascii() or ord(high) < ord(char):
                    raise ValueError("a range")
                members |= set(range(ord(char), ord(high) + 1))
                continue
            members.add(ord(char))
        self.take()
        return frozenset(members)

    def repeat(self) -> int:
        if self.peek() in ("*", "+", "?"):
            raise ValueError("a repetition of no fixed count")
        if self.peek() != "{":
            return 1
        self.take()
        close = self.text.find("}", self.at)
        counts = self.text[self.at : close].split(",") if close > 0 else []
        if not counts or len(counts) > 2 or not all(c.isdigit() for c in counts):
            raise ValueError("a repetition of no fixed count")
        if len(counts) == 2 and counts[0] != counts[1]:
            raise ValueError("a repetition of no fixed count")
        self.at = close + 1
        if int(counts[0]) > _MAX_REPEAT:
            raise ValueError("a count RE2 refuses")
        return int(counts[0])


def byte_pattern(pattern: str) -> list[frozenset[int]] | None:
    """Return the set of ASCII bytes of each position when `pattern` (RE2 syntax) matches
    exactly the texts of that many ASCII characters, one from each set: literals, classes of
    characters and ranges, \\d, escaped punctuation, groups and fixed counts, anchored by ^ at
    the start and $ at the end. None for any other pattern: RE2 judges those."""
    reader = _Pattern(pattern)
    try:
        sets = reader.sequence(0)
        if reader.peek():
            raise ValueError("an unopened group")
    except ValueError:
        return None
    anchored = reader.starts and reader.ends
    if not anchored or not sets or set(reader.starts) != {0} or set(reader.ends) != {len(sets)}:
        return None
    return sets


def match_bytes(values: pa.Array | pa.ChunkedArray, sets: list[frozenset[int]]) -> pa.Array:
    """Tell for each value whether it is one byte of each set, position by position (NULL for
    NULL): what RE2 answers for the pattern `byte_pattern` read the sets from."""
    if kernels.loaded():
        return _flagged(values, kernels.match_bytes(values, sets))
    mask, codes = fixed_width(values, len(sets))
    good = np.empty(len(codes), dtype=bool)
    ranges = [(min(m), max(m)) for m in sets]
    if all(len(m) == high - low + 1 for m, (low, high) in zip(sets, ranges, strict=True)):
        # Every position a range: one comparison of the whole block (bytes below wrap round).
        lows = np.array([[low] for low, _ in ranges], dtype=np.uint8)
        spans = np.array([[high - low] for low, high in ranges], dtype=np.uint8)
        for start, block in _blocks(codes):
            good[start : start + block.shape[1]] = ((block - lows) <= spans).all(axis=0)
        return _answer(values, mask, good)
    tables = np.zeros((len(sets), 256), dtype=bool)
    for position, members in enumerate(sets):
        tables[position, list(members)] = True
    for start, block in _blocks(codes):
        ok = np.ones(block.shape[1], dtype=bool)
        for table, row in zip(tables, block, strict=True):
            ok &= table[row]
        good[start : start + len(ok)] = ok
    return _answer(values, mask, good)
