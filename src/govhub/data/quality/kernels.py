"""The compiled check kernels of `kernels.c`, called on Arrow string arrays through ctypes.

The package build compiles `kernels.c` into a shared library beside this module
(`hatch_build.py`); ctypes releases the GIL during each call, so the checks keep running on two
threads. Each kernel does in one pass per value what the NumPy validators of `vectorized` do in
about twenty passes per block of values (gathers, transposes, table look-ups, multiply-adds);
those stay as the fallback, for a build made without a C compiler (`LIBRARY` absent), and tests
compare the two on tricky values. `loaded()` tells whether the kernels are in use.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

SUFFIX = {"darwin": ".dylib", "win32": ".dll"}.get(sys.platform, ".so")
LIBRARY = Path(__file__).with_name(f"libgovhub_kernels{SUFFIX}")

_POINTER, _SIZE, _INT = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int32
_STRINGS: list[Any] = [_POINTER, _POINTER, ctypes.c_int, _SIZE]  # data, offsets, wide, n
_EMPTY = np.zeros(8, dtype=np.uint8)  # the data of an array of empty values


def load(path: Path) -> ctypes.CDLL | None:
    """Load the kernels from a shared library, or None where it is missing."""
    try:
        library = ctypes.CDLL(str(path))
    except OSError:  # not built: no C compiler where the package was built
        return None
    library.govhub_match_bytes.argtypes = [*_STRINGS, _INT, _POINTER, _POINTER]
    library.govhub_uscc.argtypes = [*_STRINGS, _POINTER]
    library.govhub_id_number.argtypes = [*_STRINGS, _INT, _POINTER]
    library.govhub_fingerprint.argtypes = [*_STRINGS, _POINTER]
    for function in ("match_bytes", "uscc", "id_number", "fingerprint"):
        getattr(library, f"govhub_{function}").restype = None
    library.govhub_repeated.argtypes = [_POINTER, _SIZE, _POINTER]
    library.govhub_repeated.restype = _SIZE
    return library


_LIBRARY = load(LIBRARY)


def loaded() -> bool:
    """Tell whether the compiled kernels are in use."""
    return _LIBRARY is not None


def _library() -> ctypes.CDLL:
    if _LIBRARY is None:
        raise RuntimeError(f"the check kernels are not built ({LIBRARY.name} is missing)")
    return _LIBRARY


def _strings(array: pa.Array) -> tuple[int, int, int, int]:
    """Return (data address, address of the first value's offset, wide, count) of a `string`
    or `large_string` array."""
    wide = pa.types.is_large_string(array.type)
    if not (wide or pa.types.is_string(array.type)):
        raise TypeError(f"a kernel reads text, not {array.type}")
    _, offsets, data = array.buffers()
    first = offsets.address + array.offset * (8 if wide else 4)
    address = data.address if data is not None and data.size else _EMPTY.ctypes.data
    return address, first, int(wide), len(array)


def _each(
    values: pa.Array | pa.ChunkedArray,
    kernel: Callable[[tuple[int, int, int, int], int], None],
    dtype: type[np.generic],
) -> npt.NDArray[Any]:
    """Run `kernel(strings, output address)` over each chunk of `values` into one array."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    out = np.empty(len(values), dtype=dtype)
    at = 0
    for chunk in chunks:
        if len(chunk):
            kernel(_strings(chunk), out[at:].ctypes.data)
        at += len(chunk)
    return out


def uscc(values: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.bool_]:
    """Tell for each value whether it is a valid unified social credit code (GB 32100)."""
    run = _library().govhub_uscc
    return _each(values, lambda text, out: run(*text, out), np.uint8).view(np.bool_)


def id_number(values: pa.Array | pa.ChunkedArray, today: date) -> npt.NDArray[np.bool_]:
    """Tell for each value whether it is a valid resident identity number (GB 11643) of
    someone born from 1900-01-01 to `today`."""
    run = _library().govhub_id_number
    day = today.year * 10000 + today.month * 100 + today.day
    return _each(values, lambda text, out: run(*text, day, out), np.uint8).view(np.bool_)


def match_bytes(
    values: pa.Array | pa.ChunkedArray, sets: Sequence[frozenset[int]]
) -> npt.NDArray[np.bool_]:
    """Tell for each value whether it is one byte of each set, position by position."""
    run = _library().govhub_match_bytes
    tables = np.zeros((len(sets), 256), dtype=np.uint8)
    for position, members in enumerate(sets):
        tables[position, list(members)] = 1
    width, address = len(sets), tables.ctypes.data
    return _each(values, lambda text, out: run(*text, width, address, out), np.uint8).view(np.bool_)


def fingerprint(values: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.uint64]:
    """Return a 64-bit fingerprint of each value's bytes: equal values, equal fingerprints."""
    run = _library().govhub_fingerprint
    return _each(values, lambda text, out: run(*text, out), np.uint64)


def repeated(prints: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """Return the indexes (ascending) of the fingerprints that occur more than once, and of
    the rare others that share a signature (their top bits and low 32 bits) with another.

    The fingerprints are partitioned by their top bits, a few thousand to a partition, and each
    partition's low words meet in a table that stays in the processor's fastest cache: three
    passes over the fingerprints, where sorting them takes about twenty."""
    prints = np.ascontiguousarray(prints, dtype=np.uint64)
    out = np.empty(max(len(prints), 1), dtype=np.int64)  # pages are touched as written
    count = _library().govhub_repeated(prints.ctypes.data, len(prints), out.ctypes.data)
    if count < 0:
        raise MemoryError("no memory to find repeated fingerprints")
    return out[:count].copy()
