"""Health rules as data: an authorized official of a department writes its rules.

Every change is ledgered (`health_rule_changed`) with the rule's full content, so anyone
holding the checkpoint can see which rule set gave which color when.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import NotFound
from govhub.data.catalog.models import Resource
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.reservations.health import inputs
from govhub.reservations.health.errors import HealthRuleInvalid
from govhub.reservations.health.models import HealthRule
from govhub.reservations.health.schemas import RuleCreate, RuleUpdate

NO_RULE = "no such health rule"


def list_rules(session: Session, *, principal: Principal) -> Sequence[HealthRule]:
    """List the rules of the caller's department (a platform administrator: every rule)."""
    query = select(HealthRule).order_by(HealthRule.priority, HealthRule.created_at)
    if not principal.is_platform_admin:
        query = query.where(HealthRule.department_id == principal.own_department("health rules"))
    return session.scalars(query).all()


def active_rules(session: Session) -> Sequence[HealthRule]:
    """List every active rule in the order they are tried."""
    return session.scalars(
        select(HealthRule)
        .where(HealthRule.active.is_(True))
        .order_by(HealthRule.priority, HealthRule.created_at)
    ).all()


def get_rule(session: Session, *, principal: Principal, rule_id: uuid.UUID) -> HealthRule:
    """Return a rule the caller may manage (another department's: not found)."""
    rule = session.get(HealthRule, rule_id)
    if rule is None or not (
        principal.is_platform_admin or rule.department_id == principal.department_id
    ):
        raise NotFound(NO_RULE)
    return rule


def _check_source(session: Session, department_id: uuid.UUID, rule: HealthRule) -> None:
    resource = session.get(Resource, rule.resource_id)
    fields = inputs.rule_fields(rule)
    if resource is None or not inputs.may_use(
        session, department_id=department_id, resource=resource, fields=fields
    ):
        raise HealthRuleInvalid(
            "your department neither owns this resource nor holds an active grant for the"
            " fields the rule reads",
            field="resource_id",
        )
    version = inputs.latest_version(session, resource.id)
    if version is None:
        raise HealthRuleInvalid("the resource has no published data yet", field="resource_id")
    present = {f["name"] for f in version.schema}
    missing = [f for f in fields if f not in present]
    if missing:
        raise HealthRuleInvalid(
            f"the resource's data has no field {', '.join(missing)}", field=missing[0]
        )


def _payload(rule: HealthRule, action: str) -> dict[str, Any]:
    return {
        "action": action,
        "rule": str(rule.id),
        "name": rule.name,
        "priority": rule.priority,
        "color": str(rule.color),
        "match": str(rule.match),
        "resource": str(rule.resource_id),
        "fields": inputs.rule_fields(rule),
        "match_value": rule.match_value,
        "within_days": rule.within_days,
        "active": rule.active,
    }


def _ledger(session: Session, principal: Principal, rule: HealthRule, action: str) -> None:
    ledger.record(
        session,
        kind=EntryKind.HEALTH_RULE_CHANGED,
        actor=ledger.actor_of(principal),
        subject=f"health-rule:{rule.id}",
        payload=_payload(rule, action),
        department_id=rule.department_id,
    )


def create_rule(session: Session, *, principal: Principal, data: RuleCreate) -> HealthRule:
    """Add a rule to the caller's department after checking its data can answer it."""
    department_id = principal.own_department("health rules")
    rule = HealthRule(
        department_id=department_id, created_by=principal.account_id, **data.model_dump()
    )
    _check_source(session, department_id, rule)
    session.add(rule)
    session.flush()
    _ledger(session, principal, rule, "created")
    return rule


def update_rule(
    session: Session, *, principal: Principal, rule_id: uuid.UUID, data: RuleUpdate
) -> HealthRule:
    """Change a rule's name, priority, color, window, value or activity."""
    rule = get_rule(session, principal=principal, rule_id=rule_id)
    changes = data.model_dump(exclude_unset=True)
    if any(v is None for v in changes.values()):
        raise HealthRuleInvalid("a field sent to change cannot be null")
    if "match_value" in changes and rule.match_field is None:
        raise HealthRuleInvalid("this rule matches no field", field="match_value")
    for name, value in changes.items():
        setattr(rule, name, value)
    rule.updated_at = utcnow()
    session.flush()
    _ledger(session, principal, rule, "updated")
    return rule


def delete_rule(session: Session, *, principal: Principal, rule_id: uuid.UUID) -> None:
    """Remove a rule (the ledger keeps what it said)."""
    rule = get_rule(session, principal=principal, rule_id=rule_id)
    _ledger(session, principal, rule, "deleted")
    session.delete(rule)
    session.flush()
