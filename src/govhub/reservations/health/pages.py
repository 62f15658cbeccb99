"""Health-code pages: a resident's code with its QR and countdown, and the checkpoint check.

The checkpoint page verifies a pasted or scanned code in the browser with the published key
set (WebCrypto Ed25519); a browser without it, or without scripts, posts the form and the
server runs the same check.
"""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from govhub.core.errors import InvalidInput
from govhub.identity.deps import DbSession, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.reservations.health import service
from govhub.web.csrf import CsrfChecked
from govhub.web.templating import render

router = APIRouter(include_in_schema=False)

Holder = Annotated[Principal, Depends(require(Permission.HEALTH_CODE))]
Checkpoint = Annotated[Principal, Depends(require(Permission.HEALTH_VERIFY))]
MAX_TOKEN = 400


def _inline_qr(token: str) -> Markup:
    """Render a code as an inline SVG QR code (segno's markup, from base64url text only)."""
    return Markup(segno.make_qr(token, error="m").svg_inline(scale=4, border=2))  # noqa: S704


@router.get("/health-code", response_class=HTMLResponse)
def code_page(request: Request, session: DbSession, principal: Holder) -> HTMLResponse:
    """Show my health code: its color, QR code and the seconds until it must be refreshed."""
    code = service.my_code(session, principal=principal)
    return render(
        request,
        "health/code.html",
        {"code": code, "qr": _inline_qr(code.token)},
    )


@router.get("/health-code/checkpoint", response_class=HTMLResponse)
def checkpoint_page(request: Request, principal: Checkpoint) -> HTMLResponse:
    """Show the checkpoint: paste or scan a code and read its verdict."""
    return render(
        request,
        "health/checkpoint.html",
        {"token": "", "result": None, "error": None, "problem": None},
    )


@router.post("/health-code/checkpoint", response_class=HTMLResponse)
def checkpoint_verify(
    request: Request,
    _: CsrfChecked,
    principal: Checkpoint,
    token: Annotated[str, Form(max_length=MAX_TOKEN)] = "",
) -> HTMLResponse:
    """Verify a pasted code on the server (for browsers without WebCrypto Ed25519)."""
    text = token.strip()
    try:
        result = service.verify(text)
    except InvalidInput as exc:
        return render(
            request,
            "health/checkpoint.html",
            {"token": text, "result": None, "error": exc.detail, "problem": exc.slug},
            status_code=422,
        )
    return render(
        request,
        "health/checkpoint.html",
        {"token": text, "result": result, "error": None, "problem": None},
    )
