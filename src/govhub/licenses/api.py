"""HTTP API of e-licenses (`/api/v1/licenses`).

Holders list their wallet and fetch QR codes (`licenses:wallet`); officials issue and revoke
their own department's licenses (`licenses:issue`). Verification, license types, the issuers'
keys (JWKS and did:web documents) and the revocation status lists are public: a relying party
needs nothing else.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from govhub.core.errors import NotFound
from govhub.core.schemas import Page
from govhub.identity.deps import DbSession, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.licenses import keys, qr, service, statuslist
from govhub.licenses.schemas import (
    LicenseIssue,
    LicenseRead,
    LicenseRevoke,
    LicenseTypeRead,
    TokenSubmit,
    VerificationResult,
)

router = APIRouter(prefix="/api/v1/licenses", tags=["licenses"])

Holder = Annotated[Principal, Depends(require(Permission.LICENSES_WALLET))]
Issuer = Annotated[Principal, Depends(require(Permission.LICENSES_ISSUE))]
VC_JWT = "application/vc+jwt"


def _holder(principal: Principal) -> service.HolderRef:
    holder = service.holder_of(principal)
    if holder is None:
        raise NotFound("this account holds no licenses")
    return holder


@router.get("/types", response_model=list[LicenseTypeRead])
def license_types(session: DbSession) -> list[LicenseTypeRead]:
    """List the kinds of license the platform issues."""
    return [LicenseTypeRead.model_validate(t) for t in service.list_types(session)]


@router.get("/mine", response_model=list[LicenseRead])
def my_wallet(session: DbSession, principal: Holder) -> list[LicenseRead]:
    """List your licenses (your wallet), each with its token."""
    holder = service.holder_of(principal)
    rows = service.wallet(session, holder) if holder else []
    return [service.to_read(session, row) for row in rows]


@router.get(
    "/mine/{license_id}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def my_qr(session: DbSession, principal: Holder, license_id: uuid.UUID) -> Response:
    """One of your licenses as a QR code of its token (SVG), for offline verification."""
    row = service.get_own(session, holder=_holder(principal), license_id=license_id)
    return Response(qr.qr_svg(row.token), media_type="image/svg+xml")


@router.post("", response_model=LicenseRead, status_code=status.HTTP_201_CREATED)
def issue(session: DbSession, principal: Issuer, data: LicenseIssue) -> LicenseRead:
    """Issue a license from your department to a citizen or enterprise."""
    row = service.issue(
        session,
        license_type=data.license_type,
        holder=service.HolderRef(data.holder_kind, data.holder_id),
        claims=data.claims,
        issuer_department_id=data.department_id or _department(principal),
        application_id=data.application_id,
        principal=principal,
    )
    return service.to_read(session, row)


def _department(principal: Principal) -> uuid.UUID:
    if principal.department_id is None:
        raise NotFound("no such issuing department")
    return principal.department_id


@router.get("/issued", response_model=Page[LicenseRead])
def issued(
    session: DbSession,
    principal: Issuer,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Page[LicenseRead]:
    """List the licenses your department issued, newest first."""
    rows, total = service.list_issued(session, principal=principal, limit=limit, offset=offset)
    items = [service.to_read(session, row) for row in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/{license_id}/revoke", response_model=LicenseRead)
def revoke(
    session: DbSession, principal: Issuer, license_id: uuid.UUID, data: LicenseRevoke
) -> LicenseRead:
    """Revoke a license your department issued (its status bit is set at once)."""
    row = service.revoke(session, principal=principal, license_id=license_id, reason=data.reason)
    return service.to_read(session, row)


@router.post("/verify", response_model=VerificationResult)
def verify(session: DbSession, data: TokenSubmit) -> VerificationResult:
    """Verify a license token: genuine, in force and not revoked (4xx problem otherwise)."""
    return service.verify(session, data.token)


@router.get("/jwks")
def issuer_jwks(session: DbSession) -> dict[str, Any]:
    """The public keys of every issuing department (a JSON Web Key Set)."""
    return keys.jwks(session)


@router.get("/issuers/{department_id}/did.json")
def issuer_did_document(session: DbSession, department_id: uuid.UUID) -> dict[str, Any]:
    """The did:web document of an issuing department."""
    if not keys.public_keys_of(session, department_id):
        raise NotFound("this department has issued no licenses")
    return keys.did_document(session, department_id)


@router.get(
    "/status/{department_id}",
    response_class=Response,
    responses={200: {"content": {VC_JWT: {}}}},
)
def status_list(session: DbSession, department_id: uuid.UUID) -> Response:
    """A department's revocation status list, a signed BitstringStatusListCredential."""
    token = statuslist.status_list_credential(session, department_id)
    return Response(token, media_type=VC_JWT, headers={"Cache-Control": "max-age=5"})
