"""Guards on free text the data center stores."""

from __future__ import annotations

from typing import Any


def reject_nul(value: Any) -> Any:
    """Raise ValueError when any string inside `value` holds a NUL character (PostgreSQL
    cannot store one, and no legitimate metadata contains it); return `value` unchanged."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            reject_nul(key)
            reject_nul(item)
    elif isinstance(value, list | tuple):
        for item in value:
            reject_nul(item)
    return value
