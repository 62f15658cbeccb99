"""HTTP API of health codes (`/api/v1/reservations/health`).

A resident fetches their own code (`health:code`); checkpoint staff verify a scanned code
on the server when their app cannot (`health:verify`); officials keep their department's
rules (`health:rules`). The key set that verifies codes offline is public.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from govhub.identity.deps import DbSession, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.reservations.codes import qr_svg
from govhub.reservations.health import rules, service, tokens
from govhub.reservations.health.schemas import (
    HealthCodeRead,
    Jwks,
    RuleCreate,
    RuleRead,
    RuleUpdate,
    VerifyRequest,
    VerifyResult,
)

router = APIRouter(prefix="/api/v1/reservations/health", tags=["health codes"])

Holder = Annotated[Principal, Depends(require(Permission.HEALTH_CODE))]
Checkpoint = Annotated[Principal, Depends(require(Permission.HEALTH_VERIFY))]
RuleKeeper = Annotated[Principal, Depends(require(Permission.HEALTH_RULES))]


@router.get("/code", response_model=HealthCodeRead)
def my_code(session: DbSession, principal: Holder) -> HealthCodeRead:
    """Your health code: color decided now, signed, valid five minutes."""
    return service.my_code(session, principal=principal)


@router.get(
    "/code/qr.svg", response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}}
)
def my_code_qr(session: DbSession, principal: Holder) -> Response:
    """Your health code as a QR code (SVG)."""
    code = service.my_code(session, principal=principal)
    return Response(
        qr_svg(code.token), media_type="image/svg+xml", headers={"Cache-Control": "no-store"}
    )


@router.post("/verify", response_model=VerifyResult)
def verify(principal: Checkpoint, data: VerifyRequest) -> VerifyResult:
    """Verify a scanned code: signature, expiry and color (offline apps use the key set)."""
    return service.verify(data.token)


@router.get("/jwks.json", response_model=Jwks)
def key_set() -> Jwks:
    """The public keys that verify health codes offline (JWKS, Ed25519 OKP keys)."""
    return Jwks.model_validate(tokens.jwks())


@router.get("/rules", response_model=list[RuleRead])
def list_rules(session: DbSession, principal: RuleKeeper) -> list[RuleRead]:
    """List your department's rules in the order they are tried."""
    return [RuleRead.model_validate(r) for r in rules.list_rules(session, principal=principal)]


@router.post("/rules", response_model=RuleRead, status_code=status.HTTP_201_CREATED)
def create_rule(session: DbSession, principal: RuleKeeper, data: RuleCreate) -> RuleRead:
    """Add a rule over a resource your department owns or is granted."""
    return RuleRead.model_validate(rules.create_rule(session, principal=principal, data=data))


@router.get("/rules/{rule_id}", response_model=RuleRead)
def read_rule(session: DbSession, principal: RuleKeeper, rule_id: uuid.UUID) -> RuleRead:
    """Show one of your department's rules."""
    return RuleRead.model_validate(rules.get_rule(session, principal=principal, rule_id=rule_id))


@router.patch("/rules/{rule_id}", response_model=RuleRead)
def update_rule(
    session: DbSession, principal: RuleKeeper, rule_id: uuid.UUID, data: RuleUpdate
) -> RuleRead:
    """Change one of your department's rules."""
    return RuleRead.model_validate(
        rules.update_rule(session, principal=principal, rule_id=rule_id, data=data)
    )


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(session: DbSession, principal: RuleKeeper, rule_id: uuid.UUID) -> Response:
    """Remove one of your department's rules."""
    rules.delete_rule(session, principal=principal, rule_id=rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
