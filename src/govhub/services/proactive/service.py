"""Proactive services ("proactive instead of passive"): rules kept as data that, when a record
arrives in a shared resource, find the residents it names and invite them to apply for a
matter with the form pre-filled from the record.

Officials with `services:manage` write their department's rules (ledgered as
`proactive_rule_changed`); a rule reads a resource its department owns or holds an active
sharing grant for that covers every column it reads (each evaluation under a grant is ledgered
as `data_access`). Publishing a new dataset version evaluates the resource's active rules; an
official can also evaluate a rule over the newest version. Each person is invited once per rule
and record (`invitation_sent`); the invitee alone sees the invitation and accepts it, consenting
to the use of the pre-filled data, which submits the application through the normal service,
or declines it (`invitation_answered`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govhub.core.crypto import blind_index
from govhub.core.db import utcnow
from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.ingest import service as ingest_service
from govhub.identity import service as identity_service
from govhub.identity.codes import division_parent_code, normalize_id_number
from govhub.identity.models import Account, AccountKind, Department
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.reservations.health.inputs import grant_for, latest_version
from govhub.services import applications, catalog
from govhub.services.models import Matter
from govhub.services.proactive import sources
from govhub.services.proactive.models import Invitation, InvitationStatus, ProactiveRule
from govhub.services.proactive.schemas import (
    Evaluation,
    InvitationAccept,
    RuleCreate,
    RuleDefinition,
    RuleUpdate,
)
from govhub.services.schemas import ApplicationCreate

log = logging.getLogger("govhub.services.proactive")

NO_RULE = "no such proactive rule"
NO_INVITATION = "no such invitation"
TRIGGER_PURPOSE = "proactive-trigger"
SYSTEM_ACTOR = "service:proactive"
_CHUNK = 500


class ProactiveRuleInvalid(InvalidInput):
    """A rule names a matter, resource, column or form field its data cannot answer."""

    slug = "proactive-rule-invalid"
    title = "Invalid proactive rule"


def list_rules(session: Session, *, principal: Principal) -> Sequence[ProactiveRule]:
    """List the rules of the caller's department (a platform administrator: every rule)."""
    query = select(ProactiveRule).order_by(ProactiveRule.created_at, ProactiveRule.id)
    if not principal.is_platform_admin:
        query = query.where(
            ProactiveRule.department_id == principal.own_department("proactive rules")
        )
    return session.scalars(query).all()


def get_rule(session: Session, *, principal: Principal, rule_id: uuid.UUID) -> ProactiveRule:
    """Return a rule the caller may manage (another department's: not found)."""
    rule = session.get(ProactiveRule, rule_id)
    if rule is None or not (
        principal.is_platform_admin or rule.department_id == principal.department_id
    ):
        raise NotFound(NO_RULE)
    return rule


def _readable_under(
    session: Session, department_id: uuid.UUID, resource: Resource, columns: Iterable[str]
) -> uuid.UUID | None:
    """Return the grant the department reads `resource` under (None: it owns it); raise when
    it may not read those columns at all."""
    if resource.department_id == department_id:
        return None
    grant = grant_for(session, department_id=department_id, resource=resource, fields=columns)
    if grant is None:
        raise ProactiveRuleInvalid(
            "your department neither owns this resource nor holds an active grant for the"
            " columns the rule reads",
            field="resource_id",
        )
    return grant.id


def _check(session: Session, principal: Principal, rule: ProactiveRule) -> None:
    """Refuse a rule its matter, resource or data cannot answer."""
    definition = RuleDefinition.model_validate(rule.definition)
    matter = session.scalar(select(Matter).where(Matter.code == rule.matter_code))
    if matter is None:
        raise ProactiveRuleInvalid(f"no matter {rule.matter_code}", field="matter_code")
    department = session.get(Department, rule.department_id)
    if not principal.is_platform_admin and (
        department is None or department.type != matter.department_type
    ):
        raise ProactiveRuleInvalid(
            f"matter {matter.code} is handled by {matter.department_type.value} departments",
            field="matter_code",
        )
    fields = set(matter.form_schema.get("properties", {}))
    unknown = sorted(set(definition.prefill) - fields)
    if unknown:
        raise ProactiveRuleInvalid(
            f"the form of {matter.code} has no field {', '.join(unknown)}",
            field=f"definition.prefill.{unknown[0]}",
        )
    resource = session.get(Resource, rule.resource_id)
    if resource is None:
        raise ProactiveRuleInvalid("no such resource", field="resource_id")
    _readable_under(session, rule.department_id, resource, definition.columns())
    version = latest_version(session, resource.id)
    if version is None:
        raise ProactiveRuleInvalid("the resource has no published data yet", field="resource_id")
    present = {f["name"] for f in version.schema}
    missing = [c for c in definition.columns() if c not in present]
    if missing:
        raise ProactiveRuleInvalid(
            f"the resource's data has no column {', '.join(missing)}", field="definition"
        )


def _ledger_rule(session: Session, principal: Principal, rule: ProactiveRule, action: str) -> None:
    ledger.record(
        session,
        kind=EntryKind.PROACTIVE_RULE_CHANGED,
        actor=ledger.actor_of(principal),
        subject=f"proactive-rule:{rule.id}",
        payload={
            "action": action,
            "rule": str(rule.id),
            "name": rule.name,
            "matter": rule.matter_code,
            "resource": str(rule.resource_id),
            "definition": rule.definition,
            "active": rule.active,
        },
        department_id=rule.department_id,
    )


def create_rule(session: Session, *, principal: Principal, data: RuleCreate) -> ProactiveRule:
    """Add a rule to the caller's department after checking its matter and data answer it."""
    rule = ProactiveRule(
        department_id=principal.own_department("proactive rules"),
        name=data.name,
        matter_code=data.matter_code,
        resource_id=data.resource_id,
        definition=data.definition.model_dump(),
        active=data.active,
        created_by=principal.account_id,
    )
    _check(session, principal, rule)
    session.add(rule)
    session.flush()
    _ledger_rule(session, principal, rule, "created")
    return rule


def update_rule(
    session: Session, *, principal: Principal, rule_id: uuid.UUID, data: RuleUpdate
) -> ProactiveRule:
    """Rename, redefine, pause or resume a rule."""
    rule = get_rule(session, principal=principal, rule_id=rule_id)
    changes = data.model_dump(exclude_unset=True)
    if any(v is None for v in changes.values()):
        raise ProactiveRuleInvalid("a field sent to change cannot be null")
    if data.name is not None:
        rule.name = data.name
    if data.active is not None:
        rule.active = data.active
    if data.definition is not None:
        rule.definition = data.definition.model_dump()
        _check(session, principal, rule)
    rule.updated_at = utcnow()
    session.flush()
    _ledger_rule(session, principal, rule, "updated")
    return rule


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _citizens(session: Session, indexes: set[str]) -> dict[str, uuid.UUID]:
    """Return the citizen account of each ID-number blind index that has one."""
    found: dict[str, uuid.UUID] = {}
    for chunk in _chunks(sorted(indexes)):
        rows = session.execute(
            select(Account.id_number_index, Account.id).where(
                Account.id_number_index.in_(chunk), Account.kind == AccountKind.CITIZEN
            )
        )
        found.update({index: account for index, account in rows if index is not None})
    return found


def _invited(
    session: Session, rule: ProactiveRule, triggers: set[str]
) -> set[tuple[uuid.UUID, str]]:
    invited: set[tuple[uuid.UUID, str]] = set()
    for chunk in _chunks(sorted(triggers)):
        rows = session.execute(
            select(Invitation.account_id, Invitation.trigger_key).where(
                Invitation.rule_id == rule.id, Invitation.trigger_key.in_(chunk)
            )
        )
        invited.update((account, trigger) for account, trigger in rows)
    return invited


def _offering_division(code: str, offered: set[str]) -> str | None:
    """Return `code` or its nearest ancestor that offers the matter."""
    current: str | None = code
    while current is not None:
        if current in offered:
            return current
        try:
            current = division_parent_code(current)
        except ValueError:
            return None
    return None


def _prefilled(
    definition: RuleDefinition, record: dict[str, Any], properties: dict[str, Any]
) -> dict[str, Any]:
    """Return the form values a record gives, as text where the form wants text."""
    form: dict[str, Any] = {}
    for name, column in definition.prefill.items():
        value = record[column]
        if value is None:
            continue
        wants_text = properties.get(name, {}).get("type") == "string"
        form[name] = str(value) if wants_text and not isinstance(value, str) else value
    return form


def evaluate(session: Session, *, rule: ProactiveRule, version: DatasetVersion) -> Evaluation:
    """Invite the people the qualifying records of `version` name, once per person and record."""
    definition = RuleDefinition.model_validate(rule.definition)
    department = session.get(Department, rule.department_id)
    resource = session.get(Resource, rule.resource_id)
    if department is None or resource is None:  # pragma: no cover - foreign keys
        raise NotFound(NO_RULE)
    grant_id = _readable_under(session, department.id, resource, definition.columns())
    present = {f["name"] for f in version.schema}
    missing = [c for c in definition.columns() if c not in present]
    if missing:
        raise Conflict(f"version {version.version} has no column {', '.join(missing)}")
    records = sources.qualifying(
        version, definition, division=department.division_code, today=utcnow().date()
    )
    matter = catalog.get_matter(session, rule.matter_code)
    offered = {code for code, _ in catalog.divisions_of(session, matter)}
    properties: dict[str, Any] = matter.form_schema.get("properties", {})
    candidates: list[tuple[dict[str, Any], str, str, str]] = []
    for record in records:
        key = record[definition.key_field]
        division = _offering_division(str(record[definition.division_field] or ""), offered)
        if key is None or division is None:
            continue
        trigger = blind_index(f"{rule.id}:{key}", purpose=TRIGGER_PURPOSE)
        for column in definition.person_fields:
            value = record[column]
            if value is None or not str(value).strip():
                continue
            index = identity_service.id_number_lookup_key(normalize_id_number(str(value)))
            candidates.append((record, trigger, index, division))
    citizens = _citizens(session, {index for _, _, index, _ in candidates})
    invited = _invited(session, rule, {trigger for _, trigger, _, _ in candidates})
    result = Evaluation(rule_id=rule.id, version=version.version, records=len(records),
                        invited=0, already_invited=0, not_registered=0)  # fmt: skip
    for record, trigger, index, division in candidates:
        account = citizens.get(index)
        if account is None:
            result.not_registered += 1
            continue
        if (account, trigger) in invited:
            result.already_invited += 1
            continue
        invitation = Invitation(
            id=uuid.uuid4(),
            rule_id=rule.id,
            account_id=account,
            trigger_key=trigger,
            matter_code=rule.matter_code,
            division_code=division,
            form=_prefilled(definition, record, properties),
            source_version=version.version,
            status=InvitationStatus.PENDING,
        )
        try:
            with session.begin_nested():
                session.add(invitation)
                session.flush()
        except IntegrityError:  # a concurrent evaluation invited them first
            result.already_invited += 1
            continue
        invited.add((account, trigger))
        result.invited += 1
        ledger.record(
            session,
            kind=EntryKind.INVITATION_SENT,
            actor=SYSTEM_ACTOR,
            subject=f"invitation:{invitation.id}",
            payload={"invitation": str(invitation.id), "rule": str(rule.id),
                     "matter": rule.matter_code, "division": division,
                     "resource": str(resource.id), "version": version.version,
                     "prefilled": sorted(invitation.form)},
            department_id=rule.department_id,
        )  # fmt: skip
    if grant_id is not None:
        ledger.record(
            session,
            kind=EntryKind.DATA_ACCESS,
            actor=SYSTEM_ACTOR,
            subject=f"grant:{grant_id}",
            payload={"consumer": str(rule.department_id), "resource": str(resource.id),
                     "version": version.version, "fields": definition.columns(),
                     "rule": str(rule.id), "rows": len(records),
                     "purpose": "proactive services"},
            department_id=resource.department_id,
        )  # fmt: skip
    session.flush()
    return result


def evaluate_now(session: Session, *, principal: Principal, rule_id: uuid.UUID) -> Evaluation:
    """Evaluate one of the caller's rules over its resource's newest version."""
    rule = get_rule(session, principal=principal, rule_id=rule_id)
    if not rule.active:
        raise Conflict("the rule is paused")
    version = latest_version(session, rule.resource_id)
    if version is None:  # pragma: no cover - checked when the rule was saved
        raise Conflict("the resource has no published data")
    return evaluate(session, rule=rule, version=version)


def after_publish(session: Session, resource: Resource, version: DatasetVersion) -> None:
    """Evaluate the resource's active rules over its new version; a rule that fails (its
    columns gone, its grant revoked) is skipped and logged, never failing the publication."""
    rules = session.scalars(
        select(ProactiveRule).where(
            ProactiveRule.resource_id == resource.id, ProactiveRule.active.is_(True)
        )
    ).all()
    for rule in rules:
        try:
            with session.begin_nested():
                evaluate(session, rule=rule, version=version)
        except (InvalidInput, NotFound, Conflict, duckdb.Error) as exc:
            log.warning("proactive rule %s skipped: %s", rule.id, exc.__class__.__name__)


def list_invitations(
    session: Session, *, principal: Principal, status: InvitationStatus | None = None
) -> list[Invitation]:
    """List the caller's invitations, newest first."""
    query = select(Invitation).where(Invitation.account_id == principal.account_id)
    if status is not None:
        query = query.where(Invitation.status == status)
    return list(session.scalars(query.order_by(Invitation.created_at.desc(), Invitation.id)))


def get_invitation(
    session: Session, *, principal: Principal, invitation_id: uuid.UUID
) -> Invitation:
    """Return one of the caller's invitations (anyone else's: not found)."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.account_id != principal.account_id:
        raise NotFound(NO_INVITATION)
    return invitation


def _pending(session: Session, principal: Principal, invitation_id: uuid.UUID) -> Invitation:
    invitation = get_invitation(session, principal=principal, invitation_id=invitation_id)
    session.refresh(invitation, with_for_update=True)
    if invitation.status is not InvitationStatus.PENDING:
        raise Conflict(f"the invitation was already {invitation.status.value}")
    return invitation


def _answered(session: Session, principal: Principal, invitation: Invitation) -> None:
    ledger.record(
        session,
        kind=EntryKind.INVITATION_ANSWERED,
        actor=ledger.actor_of(principal),
        subject=f"invitation:{invitation.id}",
        payload={"invitation": str(invitation.id), "status": invitation.status.value,
                 "consent": invitation.consent_at is not None,
                 "application": str(invitation.application_id or "")},
        department_id=None,
    )  # fmt: skip


def accept(
    session: Session, *, principal: Principal, invitation_id: uuid.UUID, data: InvitationAccept
) -> Invitation:
    """Consent to the pre-filled data and submit the application it prepared; the invitee
    completes the fields the data does not hold and cannot change those it does."""
    invitation = _pending(session, principal, invitation_id)
    if not data.consent:
        raise InvalidInput("accepting needs your consent to use the pre-filled data",
                           field="consent")  # fmt: skip
    changed = sorted(k for k, v in data.form.items() if k in invitation.form
                     and v != invitation.form[k])  # fmt: skip
    if changed:
        raise InvalidInput(
            f"taken from government data, not changed here: {', '.join(changed)}",
            field=f"form.{changed[0]}",
        )
    application, _ = applications.submit(
        session,
        principal=principal,
        data=ApplicationCreate(
            matter_code=invitation.matter_code,
            division_code=invitation.division_code,
            form={**data.form, **invitation.form},
            document_ids=data.document_ids,
        ),
        idempotency_key=f"invitation-{invitation.id}",
    )
    now = utcnow()
    invitation.status = InvitationStatus.ACCEPTED
    invitation.application_id = application.id
    invitation.responded_at = now
    invitation.consent_at = now
    session.flush()
    _answered(session, principal, invitation)
    return invitation


def decline(session: Session, *, principal: Principal, invitation_id: uuid.UUID) -> Invitation:
    """Decline an invitation; nothing is submitted."""
    invitation = _pending(session, principal, invitation_id)
    invitation.status = InvitationStatus.DECLINED
    invitation.responded_at = utcnow()
    session.flush()
    _answered(session, principal, invitation)
    return invitation


def _register() -> None:
    if after_publish not in ingest_service.on_published:
        ingest_service.on_published.append(after_publish)


_register()
