"""Health codes: evaluate a resident's color, keep it, ledger its changes, sign the code.

The color is decided afresh on every request for a code (rules read the newest data), so a
code is never older than its five-minute life. When the color differs from the one kept, the
change is stored and ledgered (`health_code_color_changed`) with the pseudonymous subject
only: no name, no ID number. Checkpoints verify codes offline with `tokens.OfflineVerifier`
and the published key set; `verify` is the same check for those who ask the server.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import PermissionDenied
from govhub.data.catalog.models import Resource
from govhub.identity import service as identity_service
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.reservations.health import inputs, rules, tokens
from govhub.reservations.health.errors import NoIdentityNumber
from govhub.reservations.health.models import HealthCodeState, HealthColor, HealthRule
from govhub.reservations.health.schemas import HealthCodeRead, VerifyResult

log = logging.getLogger("govhub.health")


@dataclass(frozen=True, slots=True)
class Outcome:
    """A resident's color and the rule that gave it (None: no rule fired)."""

    color: HealthColor
    rule: HealthRule | None


def evaluate(
    session: Session, *, id_number: str, subject: str, today: datetime | None = None
) -> Outcome:
    """Try the active rules by priority over the resident's data; the first that fires wins.

    A rule over another department's resource reads it through that department's grant, and
    the read is ledgered (`data_access`, under the grant, with the pseudonymous subject).
    """
    day = (today or utcnow()).date()
    for rule in rules.active_rules(session):
        resource = session.get(Resource, rule.resource_id)
        version = inputs.latest_version(session, rule.resource_id)
        fields = inputs.rule_fields(rule)
        grant = None
        if resource is not None and resource.department_id != rule.department_id:
            grant = inputs.grant_for(
                session, department_id=rule.department_id, resource=resource, fields=fields
            )
        if (
            resource is None
            or version is None
            or (grant is None and resource.department_id != rule.department_id)
        ):
            log.warning("health rule %s skipped: its data is not reachable", rule.id)
            continue
        fired = inputs.fires(version, rule, id_number=id_number, today=day)
        if grant is not None:
            ledger.record(
                session,
                kind=EntryKind.DATA_ACCESS,
                actor="service:health-codes",
                subject=f"grant:{grant.id}",
                department_id=resource.department_id,
                payload={
                    "consumer": str(rule.department_id),
                    "resource": str(resource.id),
                    "version": version.version,
                    "fields": fields,
                    "rule": str(rule.id),
                    "about": subject,
                    "fired": fired,
                    "purpose": "health code",
                },
            )
        if fired:
            return Outcome(rule.color, rule)
    return Outcome(HealthColor.GREEN, None)


def _remember(session: Session, account_id: uuid.UUID, outcome: Outcome) -> HealthCodeState:
    state = session.get(HealthCodeState, account_id)
    now = utcnow()
    previous = state.color if state is not None else None
    rule_id = outcome.rule.id if outcome.rule is not None else None
    if state is None:
        state = HealthCodeState(
            account_id=account_id,
            subject=tokens.subject_of(account_id),
            color=outcome.color,
            rule_id=rule_id,
            changed_at=now,
            evaluated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(state)
        except IntegrityError:  # pragma: no cover - a parallel first request stored it first
            return _remember(session, account_id, outcome)
    else:
        state.evaluated_at = now
        state.rule_id = rule_id
        if state.color != outcome.color:
            state.color, state.changed_at = outcome.color, now
    session.flush()
    if previous != outcome.color:
        ledger.record(
            session,
            kind=EntryKind.HEALTH_CODE_COLOR_CHANGED,
            actor="service:health-codes",
            subject=f"health-code:{state.subject}",
            payload={
                "subject": state.subject,
                "from": str(previous) if previous is not None else None,
                "to": str(outcome.color),
                "rule": str(rule_id) if rule_id is not None else None,
                "at": now.isoformat(),
            },
            department_id=outcome.rule.department_id if outcome.rule is not None else None,
        )
    return state


def my_code(session: Session, *, principal: Principal) -> HealthCodeRead:
    """Decide the caller's color now and return a freshly signed five-minute code."""
    if principal.account_id is None:
        raise PermissionDenied("a health code belongs to a resident's own account")
    id_number = identity_service.citizen_id_number(session, principal.account_id)
    if id_number is None:
        raise NoIdentityNumber("your account has no ID number on record")
    outcome = evaluate(
        session, id_number=id_number, subject=tokens.subject_of(principal.account_id)
    )
    state = _remember(session, principal.account_id, outcome)
    issued = int(time.time())
    token = tokens.issue(state.subject, outcome.color, now=issued)
    return HealthCodeRead(
        token=token,
        color=outcome.color,
        subject=state.subject,
        issued_at=datetime.fromtimestamp(issued, UTC),
        expires_at=datetime.fromtimestamp(issued + tokens.LIFETIME_SECONDS, UTC),
        changed_at=state.changed_at,
        reason=outcome.rule.name if outcome.rule is not None else None,
    )


def verify(token: str) -> VerifyResult:
    """Verify a scanned code with the platform's public key, as a checkpoint app does."""
    claim = tokens.platform_verifier().verify(token)
    return VerifyResult(
        valid=True,
        color=claim.color,
        subject=claim.subject,
        issued_at=datetime.fromtimestamp(claim.issued_at, UTC),
        expires_at=datetime.fromtimestamp(claim.expires_at, UTC),
        key_id=claim.key_id,
    )
