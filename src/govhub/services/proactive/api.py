"""HTTP API of proactive services.

Officials with `services:manage` write their department's rules and evaluate them
(`/api/v1/services/proactive/rules`); residents see and answer their own invitations
(`/api/v1/services/invitations`, `services:apply`). Another department's rule and another
person's invitation answer exactly like ones that do not exist.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from govhub.identity.deps import DbSession, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.services.deps import Applicant
from govhub.services.proactive import service
from govhub.services.proactive.models import InvitationStatus
from govhub.services.proactive.schemas import (
    Evaluation,
    InvitationAccept,
    InvitationRead,
    RuleCreate,
    RuleRead,
    RuleUpdate,
)

router = APIRouter(prefix="/api/v1/services", tags=["services"])
Manager = Annotated[Principal, Depends(require(Permission.SERVICES_MANAGE))]


@router.get("/proactive/rules", response_model=list[RuleRead])
def list_rules(session: DbSession, principal: Manager) -> list[RuleRead]:
    """List your department's proactive rules."""
    return [RuleRead.model_validate(r) for r in service.list_rules(session, principal=principal)]


@router.post("/proactive/rules", response_model=RuleRead, status_code=status.HTTP_201_CREATED)
def create_rule(session: DbSession, principal: Manager, data: RuleCreate) -> RuleRead:
    """Add a rule: when a record arrives in the resource, invite the people it names."""
    return RuleRead.model_validate(service.create_rule(session, principal=principal, data=data))


@router.get("/proactive/rules/{rule_id}", response_model=RuleRead)
def read_rule(session: DbSession, principal: Manager, rule_id: uuid.UUID) -> RuleRead:
    """Show one of your department's rules."""
    return RuleRead.model_validate(service.get_rule(session, principal=principal, rule_id=rule_id))


@router.patch("/proactive/rules/{rule_id}", response_model=RuleRead)
def update_rule(
    session: DbSession, principal: Manager, rule_id: uuid.UUID, data: RuleUpdate
) -> RuleRead:
    """Rename, redefine, pause or resume a rule."""
    rule = service.update_rule(session, principal=principal, rule_id=rule_id, data=data)
    return RuleRead.model_validate(rule)


@router.post("/proactive/rules/{rule_id}/evaluate", response_model=Evaluation)
def evaluate_rule(session: DbSession, principal: Manager, rule_id: uuid.UUID) -> Evaluation:
    """Evaluate a rule over its resource's newest data now (each person is invited once)."""
    return service.evaluate_now(session, principal=principal, rule_id=rule_id)


@router.get("/invitations", response_model=list[InvitationRead])
def my_invitations(
    session: DbSession,
    principal: Applicant,
    invitation_status: Annotated[InvitationStatus | None, Query(alias="status")] = None,
) -> list[InvitationRead]:
    """List your invitations, newest first."""
    rows = service.list_invitations(session, principal=principal, status=invitation_status)
    return [InvitationRead.model_validate(i) for i in rows]


@router.get("/invitations/{invitation_id}", response_model=InvitationRead)
def my_invitation(
    session: DbSession, principal: Applicant, invitation_id: uuid.UUID
) -> InvitationRead:
    """Show one of your invitations with its pre-filled form."""
    invitation = service.get_invitation(session, principal=principal, invitation_id=invitation_id)
    return InvitationRead.model_validate(invitation)


@router.post("/invitations/{invitation_id}/accept", response_model=InvitationRead)
def accept(
    session: DbSession, principal: Applicant, invitation_id: uuid.UUID, data: InvitationAccept
) -> InvitationRead:
    """Consent and apply with the pre-filled form (complete the fields the data lacks)."""
    invitation = service.accept(
        session, principal=principal, invitation_id=invitation_id, data=data
    )
    return InvitationRead.model_validate(invitation)


@router.post("/invitations/{invitation_id}/decline", response_model=InvitationRead)
def decline(session: DbSession, principal: Applicant, invitation_id: uuid.UUID) -> InvitationRead:
    """Decline an invitation."""
    invitation = service.decline(session, principal=principal, invitation_id=invitation_id)
    return InvitationRead.model_validate(invitation)
