"""Keyed pseudonyms: the same value under the same key always gives the same token, and tokens
made under two keys cannot be joined without one of the keys.

Each grant (or release) gets its own key, derived from the master secret with HKDF, so two
consumers' extracts only link where a grant says they may share a key scope.
"""

from __future__ import annotations

import hashlib
import hmac

import pyarrow as pa
import pyarrow.compute as pc

from govhub.core.crypto import derive_key

TOKEN_HEX_CHARS = 32  # 128 bits: collisions stay negligible well past 10^12 distinct values


def pseudonym_key(scope: str) -> bytes:
    """Derive the pseudonymization key of a scope (e.g. ``grant:<id>``)."""
    return derive_key(f"pseudonym:{scope}")


def pseudonymize(value: str, key: bytes) -> str:
    """Return the keyed token of one value (HMAC-SHA256, truncated)."""
    return hmac.digest(key, value.encode(), hashlib.sha256).hex()[:TOKEN_HEX_CHARS]


def pseudonymize_array(values: pa.Array | pa.ChunkedArray, key: bytes) -> pa.ChunkedArray:
    """Pseudonymize a column, hashing each distinct value once and keeping nulls."""
    column = values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.string())
    chunks = []
    for chunk in column.chunks:
        encoded = chunk.dictionary_encode()
        tokens = pa.array(
            [pseudonymize(text, key) for text in encoded.dictionary.to_pylist()], pa.string()
        )
        chunks.append(pc.take(tokens, encoded.indices))
    return pa.chunked_array(chunks, pa.string())
