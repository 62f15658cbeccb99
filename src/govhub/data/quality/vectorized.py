"""Vectorized check-character validators: DuckDB's fast path beside the portable SQL form.

`elements.uscc_ok` and `elements.id_number_ok` state GB 32100 and GB 11643 in portable SQL
(about 17 string operations per value), which any engine can run. On DuckDB the engine calls
these functions instead, registered as Arrow UDFs: each receives a column chunk as an Arrow
string array, gathers the values that are exactly 18 bytes long into an (n, 18) uint8 matrix
and checks the alphabet, shape, birth date and weighted check sum with a few NumPy operations.
A value passes exactly when the SQL form is TRUE for it (tests compare the two on tricky
values); the answer is NULL for NULL, and FALSE, never NULL, for any other failing value:
another length, lower case, non-ASCII or full-width text, an impossible birth date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

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

_PAIRS = WIDTH // 2
_INVALID = 1 << 20  # added for any character out of place: far above any valid weighted sum


def _pair_tables(score: np.ndarray) -> npt.NDArray[np.int32]:
    """Return 9 tables of 65,536 entries, one per pair of positions (2k, 2k+1), indexed by the
    little-endian uint16 of the two bytes: the sum of `score[2k][a] + score[2k+1][b]`."""
    low = np.arange(65536) & 0xFF
    high = np.arange(65536) >> 8
    return np.stack([score[2 * k][low] + score[2 * k + 1][high] for k in range(_PAIRS)]).astype(
        np.int32
    )


def _byte_scores(
    values: str, weights: tuple[int, ...] | list[int], allowed: list[str]
) -> npt.NDArray[np.int64]:
    """Per position, per byte: weight x place in `values` if the byte is allowed, else _INVALID."""
    score = np.full((WIDTH, 256), _INVALID, dtype=np.int64)
    for position, chars in enumerate(allowed):
        weight = weights[position] if position < len(weights) else 0
        for ch in chars:
            score[position, ord(ch)] = weight * values.index(ch) if ch in values else 0
    return score


_DIGITS = "0123456789"
_USCC_TABLES = _pair_tables(
    _byte_scores(
        USCC_ALPHABET,
        USCC_WEIGHTS,
        [
            "".join(sorted(USCC_AUTHORITIES)),
            USCC_ALPHABET,
            *[_DIGITS] * 6,
            *[USCC_ALPHABET] * 10,
        ],
    )
)
_USCC_INDEX = np.full(256, 0, dtype=np.int64)
_USCC_INDEX[[ord(c) for c in USCC_ALPHABET]] = np.arange(len(USCC_ALPHABET))
_USCC_ASCII = np.frombuffer(USCC_ALPHABET.encode("ascii"), dtype=np.uint8)
_ID_TABLES = _pair_tables(_byte_scores(_DIGITS, ID_WEIGHTS, [*[_DIGITS] * 17, _DIGITS + "X"]))


def _two_digits() -> npt.NDArray[np.int64]:
    """Return the table of a pair of bytes as a number 0..99 (not two digits: _INVALID)."""
    low = np.arange(65536) & 0xFF
    high = np.arange(65536) >> 8
    digits = (low >= ord("0")) & (low <= ord("9")) & (high >= ord("0")) & (high <= ord("9"))
    return np.where(digits, (low - ord("0")) * 10 + (high - ord("0")), _INVALID).astype(np.int64)


_TWO_DIGITS = _two_digits()
_ID_CHECK_ASCII = np.frombuffer(ID_CHECK.encode("ascii"), dtype=np.uint8)


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
    values: pa.Array | pa.ChunkedArray,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.uint8]]:
    """Return (mask of non-null values exactly 18 bytes long, their bytes as an (m, 18) matrix)."""
    array = _as_string_array(values)
    n = len(array)
    wide = array.type == pa.large_string()
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[array.offset : array.offset + n + 1].astype(np.int64)
    mask = np.diff(offsets) == WIDTH
    if array.null_count:
        mask &= _valid(array)
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else None
    if data is None or not mask.any():
        return mask, np.zeros((0, WIDTH), dtype=np.uint8)
    if mask.all():
        first = int(offsets[0])
        return mask, data[first : first + WIDTH * n].reshape(n, WIDTH)
    # Arrow copies the selected values end to end: a matrix view of their bytes, no gather.
    _, codes = fixed_width(array.filter(pa.array(mask)))
    return mask, codes


def _answer(
    values: pa.Array | pa.ChunkedArray, mask: npt.NDArray[np.bool_], good: npt.NDArray[np.bool_]
) -> pa.Array:
    """Return a boolean array: `good` where `mask`, FALSE elsewhere, NULL where the input is."""
    result = np.zeros(len(mask), dtype=bool)
    result[mask] = good
    if not values.null_count:
        return pa.array(result, type=pa.bool_())
    array = _as_string_array(values)
    return pa.array(result, type=pa.bool_(), mask=~_valid(array))


def _pairs(codes: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint16]:
    """View an (m, 18) byte matrix as 9 rows of m little-endian pairs (one row per pair)."""
    return np.ascontiguousarray(codes.view("<u2").T)


def _weighted(
    pairs: npt.NDArray[np.uint16], tables: npt.NDArray[np.int32]
) -> npt.NDArray[np.int32]:
    """Sum the pair tables over the 9 pairs of each value (>= _INVALID: a character is wrong)."""
    total: npt.NDArray[np.int32] = tables[0].take(pairs[0])
    for k in range(1, _PAIRS):
        total += tables[k].take(pairs[k])
    return total


def uscc_valid(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """GB 32100 for each value: 18 characters of the alphabet, a known authority, MOD 31."""
    mask, codes = fixed_width(values)
    total = _weighted(_pairs(codes), _USCC_TABLES)
    # The table of the last pair weighs character 17 and only vets character 18.
    good = total < _INVALID
    good &= _USCC_ASCII[(31 - total % 31) % 31] == codes[:, 17]
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


def _real_birth_date(
    year: npt.NDArray[np.int64], month_day: npt.NDArray[np.int64], today: date
) -> npt.NDArray[np.bool_]:
    """Tell which (year, month * 100 + day) are a real date from 1900-01-01 to `today`."""
    table = _birth_dates(today)
    index = (year - _FIRST_YEAR) * 10000 + month_day
    inside = (index >= 0) & (index < len(table))
    return np.asarray(table[np.where(inside, index, 0)] & inside, dtype=bool)


def id_number_valid(values: pa.Array | pa.ChunkedArray, today: date | None = None) -> pa.Array:
    """GB 11643 for each value: 17 digits and 0-9 or X, a birth date since 1900, MOD 11-2."""
    mask, codes = fixed_width(values)
    pairs = _pairs(codes)
    total = _weighted(pairs, _ID_TABLES)
    good = total < _INVALID
    # Characters 7..14 are YYYYMMDD: pairs 3 and 4 the year, 5 the month, 6 the day.
    two = _TWO_DIGITS
    year = two.take(pairs[3]) * 100 + two.take(pairs[4])
    good &= _real_birth_date(
        year, two.take(pairs[5]) * 100 + two.take(pairs[6]), today or _local_today()
    )
    good &= _ID_CHECK_ASCII[total % 11] == codes[:, 17]
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
