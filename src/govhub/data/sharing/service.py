"""Sharing service: request a resource, decide, grant, revoke, remind before expiry.

Who sees what:

* any official with `sharing:request` sees every resource that is shared (unconditionally or
  conditionally) and may request it for a system of their own department;
* the owner department (with `sharing:decide`) decides and revokes; requests and grants are
  visible to their two departments only, anything else answers 404 as if missing.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.data.catalog import scope
from govhub.data.catalog.models import Resource, SharingType
from govhub.data.sharing.models import Grant, GrantAccess, RequestStatus, ShareRequest
from govhub.data.sharing.schemas import (
    Condition,
    Decision,
    FieldTreatment,
    GrantUsage,
    Outcome,
    ShareRequestCreate,
    UsageDay,
)
from govhub.identity.models import OAuthClient
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.privacy.detect import ELEMENT_CATEGORY, MASK_STYLE
from govhub.privacy.masking import MaskStyle
from govhub.privacy.policy import Treatment

NO_REQUEST = "no such share request"
NO_GRANT = "no such grant"
NO_RESOURCE = "no such resource"
REMIND_DAYS = 14


# --- reading -----------------------------------------------------------------------------------


def requestable(principal: Principal, resource: Resource) -> bool:
    """Tell whether the principal may see the resource for the purpose of requesting it."""
    return resource.sharing_type is not SharingType.NOT_SHARED or scope.sees_full(
        principal, resource
    )


def _is_owner(principal: Principal, resource: Resource) -> bool:
    return principal.can(Permission.SHARING_DECIDE) and (
        resource.department_id == principal.department_id
    )


def _is_party(principal: Principal, department_id: uuid.UUID, resource: Resource) -> bool:
    return principal.department_id in (department_id, resource.department_id)


def get_request(session: Session, *, principal: Principal, request_id: uuid.UUID) -> ShareRequest:
    """Return a request the principal's department made or owns the resource of."""
    request = session.get(ShareRequest, request_id)
    if request is None or not _is_party(principal, request.department_id, request.resource):
        raise NotFound(NO_REQUEST)
    return request


def get_grant(session: Session, *, principal: Principal, grant_id: uuid.UUID) -> Grant:
    """Return a grant the principal's department holds or owns the resource of."""
    grant = session.get(Grant, grant_id)
    if grant is None or not _is_party(principal, grant.department_id, grant.resource):
        raise NotFound(NO_GRANT)
    return grant


def list_requests(
    session: Session, *, principal: Principal, incoming: bool, status: RequestStatus | None = None
) -> Sequence[ShareRequest]:
    """List requests made by the principal's department, or made to it (`incoming`)."""
    query = select(ShareRequest).order_by(ShareRequest.created_at.desc()).limit(500)
    if incoming:
        query = query.join(Resource).where(Resource.department_id == principal.department_id)
    else:
        query = query.where(ShareRequest.department_id == principal.department_id)
    if status is not None:
        query = query.where(ShareRequest.status == status)
    return session.scalars(query).unique().all()


def list_grants(
    session: Session, *, principal: Principal, incoming: bool, active_only: bool = False
) -> Sequence[Grant]:
    """List grants held by the principal's department, or given by it (`incoming`)."""
    query = select(Grant).order_by(Grant.granted_at.desc()).limit(500)
    if incoming:
        query = query.join(Resource).where(Resource.department_id == principal.department_id)
    else:
        query = query.where(Grant.department_id == principal.department_id)
    if active_only:
        now = utcnow()
        query = query.where(Grant.revoked_at.is_(None), Grant.expires_at > now)
    return session.scalars(query).unique().all()


def grant_of(session: Session, request: ShareRequest) -> Grant | None:
    """Return the grant a request became, if any."""
    return session.scalar(select(Grant).where(Grant.request_id == request.id))


# --- requesting and deciding -----------------------------------------------------------------


def create_request(
    session: Session, *, principal: Principal, data: ShareRequestCreate
) -> ShareRequest:
    """Ask for a resource; an unconditionally shared one is granted at once."""
    resource = session.get(Resource, data.resource_id)
    if resource is None or not requestable(principal, resource):
        raise NotFound(NO_RESOURCE)
    if resource.sharing_type is SharingType.NOT_SHARED:
        raise Conflict("this resource is not shared; it cannot be requested")
    if resource.department_id == principal.department_id:
        raise Conflict("a department reads its own resources without a grant")
    client = session.get(OAuthClient, data.client_id)
    if client is None or client.department_id != principal.department_id or not client.is_active:
        raise InvalidInput(
            "the consuming system must be an active client of your department",
            field="client_id",
        )
    _check_fields(resource, data.fields, data.row_filter, data.treatments)
    request = ShareRequest(
        resource_id=resource.id,
        department_id=principal.department_id,
        requested_by=principal.account_id,
        client_id=client.client_id,
        fields=list(dict.fromkeys(data.fields)),
        row_filter=[c.model_dump(mode="json") for c in data.row_filter],
        purpose=data.purpose,
        legal_basis=data.legal_basis,
        duration_days=data.duration_days,
        treatments={k: policy_of(v) for k, v in data.treatments.items()},
    )
    session.add(request)
    session.flush()
    _ledger(session, principal, EntryKind.SHARE_REQUESTED, request, _request_payload(request))
    if resource.sharing_type is SharingType.UNCONDITIONAL and not _asks_clear_personal(
        resource, data.treatments
    ):
        _grant(session, principal, request, treatments=data.treatments, reason="unconditional")
    return request


def _asks_clear_personal(resource: Resource, treatments: dict[str, FieldTreatment]) -> bool:
    """Clear text of a personal field always needs the owner's decision."""
    personal = default_policies(resource)
    return any(t.treatment is Treatment.CLEAR and n in personal for n, t in treatments.items())


def decide(
    session: Session, *, principal: Principal, request_id: uuid.UUID, decision: Decision
) -> ShareRequest:
    """Approve (possibly narrower) or reject a pending request to the principal's department."""
    request = get_request(session, principal=principal, request_id=request_id)
    if not _is_owner(principal, request.resource):
        raise NotFound(NO_REQUEST)
    if request.status is not RequestStatus.PENDING:
        raise Conflict(f"the request is already {request.status.value}")
    request.decided_by = principal.account_id
    request.decided_at = utcnow()
    request.decision_reason = decision.reason
    if decision.outcome is Outcome.REJECT:
        request.status = RequestStatus.REJECTED
        _ledger(session, principal, EntryKind.SHARE_REJECTED, request, _request_payload(request))
        return request
    fields = request.fields
    if decision.fields is not None:
        widened = sorted(set(decision.fields) - set(request.fields))
        if widened:
            raise InvalidInput(
                "an approval may narrow the fields, not add any",
                errors=[{"field": "fields", "message": f"not requested: {', '.join(widened)}"}],
            )
        fields = [f for f in request.fields if f in set(decision.fields)]
    if decision.duration_days is not None and decision.duration_days > request.duration_days:
        raise InvalidInput(
            "an approval may shorten the duration, not lengthen it",
            field="duration_days",
        )
    if decision.treatments is not None:
        treatments = decision.treatments
    else:
        treatments = {n: FieldTreatment.model_validate(t) for n, t in request.treatments.items()}
        treatments = {n: t for n, t in treatments.items() if n in fields}
    _check_fields(request.resource, fields, decision.extra_conditions, treatments)
    request.fields = fields
    request.row_filter = request.row_filter + [
        c.model_dump(mode="json") for c in decision.extra_conditions
    ]
    request.duration_days = decision.duration_days or request.duration_days
    _grant(session, principal, request, treatments=treatments, reason=decision.reason)
    return request


def withdraw(session: Session, *, principal: Principal, request_id: uuid.UUID) -> ShareRequest:
    """Withdraw a pending request the principal's department made."""
    request = get_request(session, principal=principal, request_id=request_id)
    if request.department_id != principal.department_id:
        raise NotFound(NO_REQUEST)
    if request.status is not RequestStatus.PENDING:
        raise Conflict(f"the request is already {request.status.value}")
    request.status = RequestStatus.WITHDRAWN
    request.decided_by = principal.account_id
    request.decided_at = utcnow()
    _ledger(session, principal, EntryKind.SHARE_WITHDRAWN, request, _request_payload(request))
    return request


def revoke(session: Session, *, principal: Principal, grant_id: uuid.UUID, reason: str) -> Grant:
    """End a grant of the principal's department's resource now."""
    grant = get_grant(session, principal=principal, grant_id=grant_id)
    if not _is_owner(principal, grant.resource):
        raise NotFound(NO_GRANT)
    if grant.revoked_at is not None:
        raise Conflict("the grant is already revoked")
    grant.revoked_at = utcnow()
    grant.revoked_by = principal.account_id
    grant.revoke_reason = reason
    _ledger(session, principal, EntryKind.GRANT_REVOKED, grant, {"reason": reason})
    return grant


def due_for_renewal(
    session: Session, *, now: datetime, within_days: int = REMIND_DAYS
) -> list[Grant]:
    """Mark and return active grants expiring within `within_days` that were not reminded yet."""
    grants = session.scalars(
        select(Grant).where(
            Grant.revoked_at.is_(None),
            Grant.renewal_reminded_at.is_(None),
            Grant.expires_at > now,
            Grant.expires_at <= now + timedelta(days=within_days),
        )
    ).all()
    for grant in grants:
        grant.renewal_reminded_at = now
    return list(grants)


def usage(
    session: Session, *, principal: Principal, grant_id: uuid.UUID, days: int = 30
) -> GrantUsage:
    """Summarize how a grant was used: totals, by kind, and per day over the last `days`."""
    grant = get_grant(session, principal=principal, grant_id=grant_id)
    totals = session.execute(
        select(GrantAccess.kind, func.count(), func.coalesce(func.sum(GrantAccess.rows), 0))
        .where(GrantAccess.grant_id == grant.id)
        .group_by(GrantAccess.kind)
    ).all()
    last = session.scalar(select(func.max(GrantAccess.at)).where(GrantAccess.grant_id == grant.id))
    day = func.date(GrantAccess.at)
    since = utcnow() - timedelta(days=days)
    daily = session.execute(
        select(day, func.count(), func.coalesce(func.sum(GrantAccess.rows), 0))
        .where(GrantAccess.grant_id == grant.id, GrantAccess.at >= since)
        .group_by(day)
        .order_by(day)
    ).all()
    return GrantUsage(
        grant_id=grant.id,
        calls=sum(int(calls) for _, calls, _ in totals),
        rows=sum(int(rows) for _, _, rows in totals),
        calls_by_kind={kind.value: int(calls) for kind, calls, _ in totals},
        last_at=last,
        by_day=[UsageDay(day=str(d), calls=int(c), rows=int(r)) for d, c, r in daily],
    )


# --- reading for pages -------------------------------------------------------------------------


def requestable_resource(
    session: Session, *, principal: Principal, resource_id: uuid.UUID
) -> Resource:
    """Return a resource the principal may see for the purpose of requesting it."""
    resource = session.get(Resource, resource_id)
    if resource is None or not requestable(principal, resource):
        raise NotFound(NO_RESOURCE)
    return resource


def consuming_systems(session: Session, *, principal: Principal) -> Sequence[OAuthClient]:
    """List the active client systems of the principal's department, by name."""
    return session.scalars(
        select(OAuthClient)
        .where(OAuthClient.department_id == principal.department_id, OAuthClient.is_active)
        .order_by(OAuthClient.name)
    ).all()


def is_owner(principal: Principal, resource: Resource) -> bool:
    """Tell whether the principal decides on requests for the resource."""
    return _is_owner(principal, resource)


def ledger_trail(
    session: Session, *, principal: Principal, grant_id: uuid.UUID, limit: int = 50
) -> list[ledger.Event]:
    """List the newest ledger events of a grant and its request (pending, then integrated)."""
    grant = get_grant(session, principal=principal, grant_id=grant_id)
    subjects = (f"grant:{grant.id}", f"share-request:{grant.request_id}")
    return ledger.events_about(session, subjects, limit=limit)


@dataclass(slots=True)
class ConsumerUsage:
    """How much one grant of the owner's resources was used."""

    grant: Grant
    calls: int = 0
    rows: int = 0
    last_at: datetime | None = None


@dataclass(slots=True)
class UsageOverview:
    """Who uses the owner's data: per grant totals and per consumer department per day."""

    grants: list[ConsumerUsage]
    days: list[str]
    by_consumer: dict[str, dict[str, tuple[int, int]]] = dataclasses.field(default_factory=dict)


def usage_overview(session: Session, *, principal: Principal, days: int = 30) -> UsageOverview:
    """Summarize the use of every grant given on the principal's department's resources."""
    grants = list_grants(session, principal=principal, incoming=True)
    by_id = {g.id: ConsumerUsage(grant=g) for g in grants}
    today = utcnow().date()
    day_list = [str(today - timedelta(days=n)) for n in range(days - 1, -1, -1)]
    overview = UsageOverview(grants=list(by_id.values()), days=day_list)
    if not by_id:
        return overview
    totals = session.execute(
        select(
            GrantAccess.grant_id,
            func.count(),
            func.coalesce(func.sum(GrantAccess.rows), 0),
            func.max(GrantAccess.at),
        )
        .where(GrantAccess.grant_id.in_(list(by_id)))
        .group_by(GrantAccess.grant_id)
    ).all()
    for grant_id, calls, rows, last in totals:
        usage_row = by_id[grant_id]
        usage_row.calls, usage_row.rows, usage_row.last_at = int(calls), int(rows), last
    day = func.date(GrantAccess.at)
    since = utcnow() - timedelta(days=days)
    daily = session.execute(
        select(
            GrantAccess.grant_id, day, func.count(), func.coalesce(func.sum(GrantAccess.rows), 0)
        )
        .where(GrantAccess.grant_id.in_(list(by_id)), GrantAccess.at >= since)
        .group_by(GrantAccess.grant_id, day)
    ).all()
    for grant_id, on, calls, rows in daily:
        name = by_id[grant_id].grant.department.name
        series = overview.by_consumer.setdefault(name, {})
        before = series.get(str(on), (0, 0))
        series[str(on)] = (before[0] + int(calls), before[1] + int(rows))
    overview.grants.sort(key=lambda u: (-u.calls, u.grant.granted_at))
    return overview


# --- internals ---------------------------------------------------------------------------------


def _check_fields(
    resource: Resource,
    fields: Sequence[str],
    conditions: Sequence[Condition],
    treatments: dict[str, FieldTreatment],
) -> None:
    known = {f["name"] for f in resource.fields}
    problems: list[dict[str, Any]] = []
    for name in fields:
        if name not in known:
            problems.append({"field": "fields", "message": f"no field {name!r}"})
    for i, condition in enumerate(conditions):
        if condition.field not in known:
            msg = f"no field {condition.field!r}"
            problems.append({"field": f"row_filter.{i}.field", "message": msg})
    for name in treatments:
        if name not in fields:
            msg = f"{name!r} is not among the fields asked for"
            problems.append({"field": f"treatments.{name}", "message": msg})
    if problems:
        raise InvalidInput("the request names fields the resource does not have", errors=problems)


def default_policies(resource: Resource) -> dict[str, dict[str, str]]:
    """Mask the personal fields of a resource in the style of their data element."""
    policies: dict[str, dict[str, str]] = {}
    for field in resource.fields:
        category = ELEMENT_CATEGORY.get(field.get("element_code") or "")
        if category is None and not field.get("is_personal"):
            continue
        style = MASK_STYLE[category] if category is not None else MaskStyle.FULL
        policies[field["name"]] = {"treatment": Treatment.MASK.value, "mask_style": style.value}
    return policies


def policy_of(treatment: FieldTreatment) -> dict[str, str]:
    """Return the stored form of a treatment: only the parameters it uses."""
    policy = {"treatment": treatment.treatment.value}
    if treatment.treatment is Treatment.MASK:
        policy["mask_style"] = treatment.mask_style.value
    if treatment.generalization is not None and treatment.treatment is Treatment.GENERALIZE:
        policy["generalization"] = treatment.generalization.value
    if treatment.legal_basis:
        policy["legal_basis"] = treatment.legal_basis
    return policy


def _grant(
    session: Session,
    principal: Principal,
    request: ShareRequest,
    *,
    treatments: dict[str, FieldTreatment],
    reason: str,
) -> Grant:
    policies = {
        name: policy
        for name, policy in default_policies(request.resource).items()
        if name in request.fields
    }
    for name, treatment in treatments.items():
        policies[name] = policy_of(treatment)
    now = utcnow()
    request.status = RequestStatus.GRANTED
    request.decided_at = request.decided_at or now
    request.decision_reason = request.decision_reason or reason
    grant = Grant(
        request_id=request.id,
        resource_id=request.resource_id,
        department_id=request.department_id,
        client_id=request.client_id,
        fields=list(request.fields),
        field_policies=policies,
        row_filter=list(request.row_filter),
        purpose=request.purpose,
        legal_basis=request.legal_basis,
        granted_at=now,
        expires_at=now + timedelta(days=request.duration_days),
    )
    session.add(grant)
    session.flush()
    payload = _request_payload(request) | {"grant": str(grant.id), "policies": policies}
    _ledger(session, principal, EntryKind.SHARE_GRANTED, grant, payload)
    return grant


def _request_payload(request: ShareRequest) -> dict[str, Any]:
    return {
        "request": str(request.id),
        "resource": str(request.resource_id),
        "department": str(request.department_id),
        "client": request.client_id,
        "fields": request.fields,
        "row_filter": request.row_filter,
        "purpose": request.purpose,
        "legal_basis": request.legal_basis,
        "duration_days": request.duration_days,
        "status": request.status.value,
    }


def _ledger(
    session: Session,
    principal: Principal,
    kind: EntryKind,
    subject: ShareRequest | Grant,
    payload: dict[str, Any],
) -> None:
    ledger.record(
        session,
        kind=kind,
        actor=ledger.actor_of(principal),
        subject=f"{'grant' if isinstance(subject, Grant) else 'share-request'}:{subject.id}",
        payload=payload,
        department_id=subject.resource.department_id,
    )
