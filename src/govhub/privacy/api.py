"""HTTP API of a person's consents (`/api/v1/me/consents`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from govhub.identity.deps import DbSession, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.privacy import service
from govhub.privacy.schemas import ConsentCreate, ConsentRead

router = APIRouter(prefix="/api/v1/me/consents", tags=["consents"])

Person = Annotated[Principal, Depends(require(Permission.CONSENTS_MANAGE))]


@router.post("", response_model=ConsentRead, status_code=status.HTTP_201_CREATED)
def give(session: DbSession, principal: Person, data: ConsentCreate) -> ConsentRead:
    """Let a department read some of your records held by other departments (once-only)."""
    return service.to_read(service.give(session, principal=principal, data=data))


@router.get("", response_model=list[ConsentRead])
def list_consents(session: DbSession, principal: Person) -> list[ConsentRead]:
    """List the consents you gave."""
    return [service.to_read(c) for c in service.list_own(session, principal=principal)]


@router.post("/{consent_id}/withdrawal", response_model=ConsentRead)
def withdraw(session: DbSession, principal: Person, consent_id: uuid.UUID) -> ConsentRead:
    """Withdraw a consent now."""
    return service.to_read(service.withdraw(session, principal=principal, consent_id=consent_id))
