"""E-license pages: the holder's wallet, the public verification page and the issued list.

The wallet shows each license with its QR code (the token itself, verifiable offline); the
verification page takes a pasted token or an uploaded QR payload and shows the verdict; an
issuing department's officials see what it issued and revoke from the same list.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govhub.core.errors import Conflict, InvalidInput
from govhub.core.i18n import N_
from govhub.identity.deps import DbSession, MaybePrincipal, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.licenses import service
from govhub.licenses.schemas import VerificationResult
from govhub.web.csrf import CsrfChecked
from govhub.web.templating import render

router = APIRouter(include_in_schema=False)

Issuer = Annotated[Principal, Depends(require(Permission.LICENSES_ISSUE))]
MAX_TOKEN = 8000
# Titles of the verification failures (govhub.licenses.errors), listed for translation.
FAILURE_TITLES = (
    N_("Invalid license"),
    N_("License expired"),
    N_("License revoked"),
    N_("License does not fit"),
)
PAGE_SIZE = 50


@router.get("/licenses", response_class=HTMLResponse)
def wallet_page(request: Request, principal: MaybePrincipal, session: DbSession) -> Response:
    """Show a holder's licenses with their QR codes; send officials to their department's
    issued list and anyone else to the public verification page."""
    if principal is None or not principal.can(Permission.LICENSES_WALLET):
        issuer = principal is not None and principal.can(Permission.LICENSES_ISSUE)
        return RedirectResponse("/licenses/issued" if issuer else "/licenses/verify", 303)
    holder = service.holder_of(principal)
    rows = service.wallet(session, holder) if holder else []
    licenses = [service.to_read(session, row) for row in rows]
    return render(request, "licenses/wallet.html", {"licenses": licenses})


@router.get("/licenses/verify", response_class=HTMLResponse)
def verify_page(request: Request, principal: MaybePrincipal) -> Response:
    """Show the public form to verify a license."""
    return render(request, "licenses/verify.html", {"result": None, "failure": None, "token": ""})


async def _uploaded(payload: UploadFile | None) -> str:
    if payload is None or not payload.filename:
        return ""
    raw = await payload.read(MAX_TOKEN + 1)
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return "\ufffd"  # not text: refused below as an invalid license


@router.post("/licenses/verify", response_class=HTMLResponse)
async def verify_submit(
    request: Request,
    _: CsrfChecked,
    principal: MaybePrincipal,
    session: DbSession,
    token: Annotated[str, Form(max_length=MAX_TOKEN + 200)] = "",
    payload: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Verify a pasted token or an uploaded QR payload and show the verdict."""
    text = (await _uploaded(payload)) or token.strip()
    result: VerificationResult | None = None
    failure: InvalidInput | None = None
    try:
        result = service.verify(session, text)
    except InvalidInput as exc:
        failure = exc
    context = {"result": result, "failure": failure, "token": text[:MAX_TOKEN]}
    return render(
        request, "licenses/verify.html", context, status_code=200 if result is not None else 422
    )


@router.get("/licenses/issued", response_class=HTMLResponse)
def issued_page(
    request: Request,
    principal: Issuer,
    session: DbSession,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """List the licenses the official's department issued, with a revoke form each."""
    rows, total = service.list_issued(session, principal=principal, limit=PAGE_SIZE, offset=offset)
    licenses = [service.to_read(session, row) for row in rows]
    return render(
        request,
        "licenses/issued.html",
        {"licenses": licenses, "total": total, "offset": offset, "page_size": PAGE_SIZE},
    )


@router.post("/licenses/{license_id}/revocation", response_class=HTMLResponse)
def revoke_submit(
    license_id: uuid.UUID,
    _: CsrfChecked,
    principal: Issuer,
    session: DbSession,
    reason: Annotated[str, Form(min_length=2, max_length=500)],
) -> Response:
    """Revoke a license of the official's department; back to the list either way."""
    # A license revoked meanwhile stays as it is; the list shows its state.
    with contextlib.suppress(Conflict), session.begin_nested():
        service.revoke(session, principal=principal, license_id=license_id, reason=reason.strip())
    return RedirectResponse(f"/licenses/issued#license-{license_id}", status_code=303)
