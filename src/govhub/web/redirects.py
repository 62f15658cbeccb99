"""Same-site redirect targets: `next=` parameters may only point back into GovHub."""

from __future__ import annotations

_MAX_TARGET = 2048


def safe_next(target: str | None, default: str = "/") -> str:
    """Return `target` if it is a relative path on this site, else `default`.

    Refused: absolute URLs (`https://evil.example`), scheme-relative ones (`//evil.example`),
    backslash tricks browsers read as `//` (`/\\evil.example`), control characters, and
    anything not starting with a single `/`.
    """
    if not target or len(target) > _MAX_TARGET:
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return default
    return target
