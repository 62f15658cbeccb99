"""E-license operations: define types, issue, list a wallet, verify, reuse and revoke.

Issuing signs a vc+jwt with the issuing department's key and gives the license a random free
index of that department's revocation status list (random, so an index tells nothing about
when or to whom a license was issued). Verification needs only the token: the signature is
checked against the published keys, the validity period against the clock and the status bit
against the issuer's status list, which each process caches for a few seconds.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.crypto import sha256_hex
from govhub.core.db import utcnow
from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.identity.models import Account, AccountKind, Department
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.licenses import credentials, keys
from govhub.licenses.errors import LicenseInvalid, LicenseMismatch, LicenseRevoked
from govhub.licenses.models import HolderKind, License, LicenseType
from govhub.licenses.schemas import (
    LicenseRead,
    LicenseStatus,
    LicenseTypeCreate,
    VerificationResult,
    check_claims,
)
from govhub.licenses.statuslist import revoked_indexes, status_list_url

_HOLDER_ACCOUNT = {
    HolderKind.PERSON: AccountKind.CITIZEN,
    HolderKind.ENTERPRISE: AccountKind.ENTERPRISE,
}


@dataclass(frozen=True, slots=True)
class HolderRef:
    """A license holder: a person or an enterprise, by account id."""

    kind: HolderKind
    id: uuid.UUID


def holder_of(principal: Principal) -> HolderRef | None:
    """Return the holder a signed-in citizen or enterprise is (None for anyone else)."""
    if principal.account_id is None:
        return None
    if principal.kind is AccountKind.CITIZEN:
        return HolderRef(HolderKind.PERSON, principal.account_id)
    if principal.kind is AccountKind.ENTERPRISE:
        return HolderRef(HolderKind.ENTERPRISE, principal.account_id)
    return None


# --- types -----------------------------------------------------------------------------------


def define_type(session: Session, *, data: LicenseTypeCreate) -> LicenseType:
    """Define a license type, or update the one with the same code."""
    row = session.get(LicenseType, data.code) or LicenseType(code=data.code)
    for field, value in data.model_dump().items():
        setattr(row, field, value)
    session.add(row)
    session.flush()
    return row


def list_types(session: Session) -> list[LicenseType]:
    """List every license type by code."""
    return list(session.scalars(select(LicenseType).order_by(LicenseType.code)))


def _type(session: Session, code: str) -> LicenseType:
    row = session.get(LicenseType, code)
    if row is None:
        raise InvalidInput("no license type has this code", field="license_type")
    return row


# --- issuing ---------------------------------------------------------------------------------


def _free_index(session: Session, department_id: uuid.UUID) -> int:
    for _ in range(16):
        index = secrets.randbelow(credentials.STATUS_LIST_BITS)
        taken = session.scalar(
            select(License.id).where(
                License.issuer_department_id == department_id, License.status_index == index
            )
        )
        if taken is None:
            return index
    used = set(
        session.scalars(
            select(License.status_index).where(License.issuer_department_id == department_id)
        )
    )
    free = next((i for i in range(credentials.STATUS_LIST_BITS) if i not in used), None)
    if free is None:
        raise Conflict("the department's status list is full")
    return free


def _holder_account(session: Session, holder: HolderRef) -> Account:
    account = session.get(Account, holder.id)
    if account is None or account.kind is not _HOLDER_ACCOUNT[holder.kind]:
        raise InvalidInput("no such license holder", field="holder_id")
    return account


def _subject(holder: HolderRef, account: Account, license_type: LicenseType) -> dict[str, Any]:
    subject: dict[str, Any] = {
        "id": f"urn:uuid:{holder.id}",
        "type": "Person" if holder.kind is HolderKind.PERSON else "Organization",
        "holderKind": holder.kind.value,
        "name": account.display_name,
        "licenseType": license_type.code,
    }
    if holder.kind is HolderKind.ENTERPRISE and account.uscc:
        subject["uscc"] = account.uscc  # public registration data, not a personal identifier
    return subject


def issue(
    session: Session,
    *,
    license_type: str,
    holder: HolderRef,
    claims: dict[str, Any],
    issuer_department_id: uuid.UUID,
    application_id: uuid.UUID | None = None,
    principal: Principal | None = None,
    now: datetime | None = None,
) -> License:
    """Issue a license from a department as a signed vc+jwt, and ledger the issuance.

    With a principal, only an official of the issuing department may issue; without one the
    caller is the platform itself (an approved application's workflow).
    """
    if principal is not None and principal.department_id != issuer_department_id:
        raise NotFound("no such issuing department")
    department = session.get(Department, issuer_department_id)
    if department is None:
        raise NotFound("no such issuing department")
    kind = _type(session, license_type)
    if department.type is not kind.department_type:
        raise InvalidInput(
            f"a {kind.name_en or kind.code} is issued by a department of type "
            f"{kind.department_type.value}",
            field="license_type",
        )
    if holder.kind is not kind.holder_kind:
        raise InvalidInput(
            f"this license is held by a {kind.holder_kind.value}", field="holder_kind"
        )
    try:
        claims = check_claims(dict(claims))
    except ValueError as exc:
        raise InvalidInput(str(exc), field="claims") from exc
    account = _holder_account(session, holder)
    issued_at = (now or utcnow()).replace(microsecond=0)
    expires_at = issued_at + timedelta(days=kind.validity_days) if kind.validity_days else None
    license_id = uuid.uuid4()
    index = _free_index(session, department.id)
    kid, key = keys.signing_key(session, department.id)
    status_url = status_list_url(department.id)
    payload = credentials.build_credential(
        credential_id=f"urn:uuid:{license_id}",
        types=["GovHubLicense"],
        issuer={"id": keys.issuer_did(department.id), "name": department.name},
        subject=_subject(holder, account, kind) | claims,
        valid_from=issued_at,
        valid_until=expires_at,
        name=kind.name,
        status={
            "id": f"{status_url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": status_url,
        },
    )
    token = credentials.sign(payload, key=key, kid=kid)
    row = License(
        id=license_id,
        type_code=kind.code,
        holder_kind=holder.kind,
        holder_id=holder.id,
        issuer_department_id=department.id,
        claims=claims,
        status_index=index,
        kid=kid,
        token=token,
        application_id=application_id,
        issued_by=principal.account_id if principal else None,
        issued_at=issued_at,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    ledger.record(
        session,
        kind=EntryKind.LICENSE_ISSUED,
        actor=principal.username if principal else "system",
        subject=f"license:{license_id}",
        payload={
            "license_id": str(license_id),
            "license_type": kind.code,
            "issuer_department_id": str(department.id),
            "status_index": index,
            "token_digest": sha256_hex(token.encode()),
        },
        department_id=department.id,
    )
    return row


# --- reading ---------------------------------------------------------------------------------


def status_of(row: License, *, now: datetime | None = None) -> LicenseStatus:
    """Return whether a license is active, expired or revoked."""
    if row.revoked_at is not None:
        return LicenseStatus.REVOKED
    if row.expires_at is not None and row.expires_at <= (now or utcnow()):
        return LicenseStatus.EXPIRED
    return LicenseStatus.ACTIVE


def to_read(session: Session, row: License) -> LicenseRead:
    """Shape a license for the API and pages."""
    kind = session.get(LicenseType, row.type_code)
    department = session.get(Department, row.issuer_department_id)
    return LicenseRead(
        id=row.id,
        type_code=row.type_code,
        type_name=kind.name if kind else row.type_code,
        type_name_en=kind.name_en if kind else "",
        holder_kind=row.holder_kind,
        holder_id=row.holder_id,
        issuer_department_id=row.issuer_department_id,
        issuer_name=department.name if department else "",
        claims=row.claims,
        status_index=row.status_index,
        application_id=row.application_id,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        revocation_reason=row.revocation_reason,
        status=status_of(row),
        token=row.token,
    )


def wallet(session: Session, holder: HolderRef) -> list[License]:
    """List a holder's licenses, newest first."""
    return list(
        session.scalars(
            select(License)
            .where(License.holder_kind == holder.kind, License.holder_id == holder.id)
            .order_by(License.issued_at.desc(), License.id)
        )
    )


def get_own(session: Session, *, holder: HolderRef, license_id: uuid.UUID) -> License:
    """Return one of the holder's own licenses (404 for anyone else's)."""
    row = session.get(License, license_id)
    if row is None or row.holder_kind is not holder.kind or row.holder_id != holder.id:
        raise NotFound("no such license")
    return row


def list_issued(
    session: Session, *, principal: Principal, limit: int = 50, offset: int = 0
) -> tuple[list[License], int]:
    """List the licenses the caller's department issued, newest first, with the total."""
    where = License.issuer_department_id == principal.department_id
    total = session.scalar(select(func.count()).select_from(License).where(where)) or 0
    rows = session.scalars(
        select(License)
        .where(where)
        .order_by(License.issued_at.desc(), License.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


# --- revocation ------------------------------------------------------------------------------


def revoke(
    session: Session, *, principal: Principal, license_id: uuid.UUID, reason: str
) -> License:
    """Revoke a license of the caller's department, and ledger the revocation."""
    row = session.get(License, license_id)
    if row is None or row.issuer_department_id != principal.department_id:
        raise NotFound("no such license")
    if row.revoked_at is not None:
        raise Conflict("the license is already revoked")
    row.revoked_at = utcnow()
    row.revoked_by = principal.account_id
    row.revocation_reason = reason
    session.flush()
    ledger.record(
        session,
        kind=EntryKind.LICENSE_REVOKED,
        actor=principal.username,
        subject=f"license:{row.id}",
        payload={"license_id": str(row.id), "status_index": row.status_index, "reason": reason},
        department_id=row.issuer_department_id,
    )
    return row


# --- verification ----------------------------------------------------------------------------


def _uuid_of(value: Any) -> uuid.UUID:
    if not isinstance(value, str) or not value.startswith("urn:uuid:"):
        raise LicenseInvalid("the license names no identifier", field="token")
    try:
        return uuid.UUID(value.removeprefix("urn:uuid:"))
    except ValueError as exc:
        raise LicenseInvalid("the license names no identifier", field="token") from exc


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def verify(session: Session, token: str, *, now: datetime | None = None) -> VerificationResult:
    """Verify a license token: signature, issuer, validity period and revocation status.

    Raises `LicenseInvalid` (forged, tampered, malformed), `LicenseExpired` or `LicenseRevoked`.
    """
    signer: dict[str, uuid.UUID] = {}

    def lookup(kid: str) -> Any:
        found = keys.public_key(session, kid)
        if found is None:
            return None
        signer["department_id"] = found[1]
        return found[0]

    claims = credentials.check_token(token, lookup, now=now)
    department_id = signer["department_id"]
    if claims["iss"] != keys.issuer_did(department_id) or "GovHubLicense" not in claims["type"]:
        raise LicenseInvalid("the license was not signed by its issuer", field="token")
    status = claims.get("credentialStatus")
    if not isinstance(status, dict) or status.get("statusListCredential") != status_list_url(
        department_id
    ):
        raise LicenseInvalid("the license has no status entry of its issuer", field="token")
    try:
        index = int(status["statusListIndex"])
    except (KeyError, TypeError, ValueError) as exc:
        raise LicenseInvalid("the license's status index is malformed", field="token") from exc
    if index in revoked_indexes(session, department_id):
        raise LicenseRevoked("the issuing department has revoked this license", field="token")
    subject: dict[str, Any] = claims["credentialSubject"]
    fixed = {"id", "type", "holderKind", "name", "licenseType", "uscc"}
    try:
        holder_kind = HolderKind(str(subject.get("holderKind")))
    except ValueError as exc:
        raise LicenseInvalid("the license names no holder", field="token") from exc
    return VerificationResult(
        license_id=_uuid_of(claims.get("id")),
        license_type=str(subject.get("licenseType", "")),
        type_name=str(claims.get("name", "")),
        holder_kind=holder_kind,
        holder_id=_uuid_of(subject.get("id")),
        holder_name=str(subject.get("name", "")),
        issuer=claims["iss"],
        issuer_department_id=department_id,
        issuer_name=str(claims["issuer"].get("name", "")),
        issued_at=_instant(claims.get("validFrom")) or utcnow(),
        expires_at=_instant(claims.get("validUntil")),
        claims={k: v for k, v in subject.items() if k not in fixed},
    )


def require_valid(
    session: Session,
    token: str,
    *,
    holder: HolderRef,
    license_type: str | None = None,
    now: datetime | None = None,
) -> VerificationResult:
    """Verify a license presented as an application material by `holder` (of `license_type`)."""
    result = verify(session, token, now=now)
    if result.holder_kind is not holder.kind or result.holder_id != holder.id:
        raise LicenseMismatch("this license belongs to another holder", field="token")
    if license_type is not None and result.license_type != license_type:
        raise LicenseMismatch(f"a license of type {license_type} is required", field="token")
    return result


def get_type(session: Session, code: str) -> LicenseType | None:
    """Return the license type with `code`, if one is defined."""
    return session.get(LicenseType, code)


def issued_for(session: Session, application_id: uuid.UUID) -> list[License]:
    """List the licenses issued on approval of one application, oldest first."""
    return list(
        session.scalars(
            select(License)
            .where(License.application_id == application_id)
            .order_by(License.issued_at, License.id)
        )
    )
