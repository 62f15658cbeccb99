"""QR codes of licenses: the compact vc+jwt itself, so a scanner verifies it offline."""

from __future__ import annotations

import io

import segno


def qr_svg(token: str) -> str:
    """Render a license token as an SVG QR code (error correction level L, for capacity)."""
    buffer = io.BytesIO()
    segno.make_qr(token, error="l", boost_error=False).save(
        buffer, kind="svg", scale=3, border=2, xmldecl=False, svgns=True
    )
    return buffer.getvalue().decode()
