"""Pages of data sharing: request a resource, decide on requests, review grants and their use."""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from govhub.core.db import utcnow
from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.core.i18n import N_
from govhub.data.catalog import labels as catalog_labels
from govhub.data.catalog.models import Resource, SharingType
from govhub.data.sharing import service
from govhub.data.sharing.api import SharingDecide, SharingRequest
from govhub.data.sharing.models import Grant, RequestStatus, ShareRequest
from govhub.data.sharing.schemas import (
    MAX_DURATION_DAYS,
    Decision,
    GrantUsage,
    Op,
    Revocation,
    ShareRequestCreate,
)
from govhub.identity.deps import DbSession
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.ledger.schemas import EntryKind
from govhub.privacy.policy import Treatment
from govhub.web.csrf import CsrfChecked
from govhub.web.templating import render

router = APIRouter(include_in_schema=False)

CONDITION_ROWS = 3
DIVISION_ELEMENT = "division_code"
MSG_CHECK = N_("Please correct the marked information and submit again.")

# Friendly text per form field, shown beside the validator's own message.
FIELD_HINTS: dict[str, str] = {
    "client_id": N_("Choose an active system of your department."),
    "fields": N_("Choose at least one field of the resource."),
    "row_filter": N_("Each condition needs a field, an operator and a fitting value."),
    "extra_conditions": N_("Each condition needs a field, an operator and a fitting value."),
    "treatments": N_("Clear text of a personal field needs a legal basis."),
    "purpose": N_("State the purpose in 4 to 1000 characters."),
    "legal_basis": N_("Name the legal basis in 2 to 500 characters."),
    "duration_days": N_("The duration is a whole number of days from 1 to 365."),
    "reason": N_("A rejection states its reason."),
    "resource": N_("This resource cannot be requested."),
}
STATUS_LABELS: dict[str, str] = {
    RequestStatus.PENDING: N_("Pending"),
    RequestStatus.GRANTED: N_("Granted"),
    RequestStatus.REJECTED: N_("Rejected"),
    RequestStatus.WITHDRAWN: N_("Withdrawn"),
    "active": N_("Active"),
    "expiring": N_("Expiring soon"),
    "expired": N_("Expired"),
    "revoked": N_("Revoked"),
}
OP_LABELS: dict[str, str] = {
    Op.EQ: N_("equals"),
    Op.NE: N_("does not equal"),
    Op.IN: N_("is one of (comma separated)"),
    Op.LT: N_("is less than"),
    Op.LE: N_("is at most"),
    Op.GT: N_("is greater than"),
    Op.GE: N_("is at least"),
    Op.PREFIX: N_("starts with"),
    Op.WITHIN_DIVISION: N_("lies within division"),
}
TREATMENT_LABELS: dict[str, str] = {
    Treatment.CLEAR: N_("Clear text"),
    Treatment.MASK: N_("Masked"),
    Treatment.PSEUDONYMIZE: N_("Pseudonymized"),
    Treatment.GENERALIZE: N_("Generalized"),
    Treatment.DROP: N_("Dropped"),
}
LEDGER_KIND_LABELS: dict[str, str] = {
    EntryKind.SHARE_REQUESTED: N_("Requested"),
    EntryKind.SHARE_GRANTED: N_("Granted"),
    EntryKind.SHARE_REJECTED: N_("Rejected"),
    EntryKind.SHARE_WITHDRAWN: N_("Withdrawn"),
    EntryKind.GRANT_REVOKED: N_("Revoked"),
    EntryKind.DATA_ACCESS: N_("Data read"),
}
REQUEST_CHOICES = ("", Treatment.PSEUDONYMIZE.value, Treatment.CLEAR.value)
OWNER_CHOICES = ("", Treatment.MASK.value, Treatment.PSEUDONYMIZE.value)
LABELS = {
    "status_labels": STATUS_LABELS,
    "op_labels": OP_LABELS,
    "treatment_labels": TREATMENT_LABELS,
    "field_hints": FIELD_HINTS,
    "ledger_kind_labels": LEDGER_KIND_LABELS,
    "sharing_labels": catalog_labels.SHARING,
    "max_duration": MAX_DURATION_DAYS,
}


async def form_data(request: Request) -> dict[str, list[str]]:
    """Read a submitted form as lists of values per name (checkboxes repeat)."""
    form = await request.form()
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and len(key) <= 100:
            values.setdefault(key, []).append(value)
    return values


FormData = Annotated[dict[str, list[str]], Depends(form_data)]


def _one(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[-1].strip()


def _errors(exc: ValidationError | InvalidInput | Conflict) -> list[dict[str, str]]:
    if isinstance(exc, ValidationError):
        return [
            {"field": ".".join(str(p) for p in e["loc"]) or "", "message": e["msg"]}
            for e in exc.errors()
        ]
    listed = exc.extra.get("errors") if isinstance(exc, InvalidInput) else None
    return list(listed or [{"field": "resource", "message": exc.detail}])


def _groups(errors: list[dict[str, str]]) -> dict[str, list[str]]:
    """Group error messages by the form field they belong to (the first part of the path)."""
    groups: dict[str, list[str]] = {}
    for error in errors:
        key = (error["field"] or "resource").split(".", 1)[0]
        groups.setdefault(key, []).append(error["message"])
    return groups


def grant_state(grant: Grant, now: datetime) -> str:
    """Return the display state of a grant: active, expiring, expired or revoked."""
    if grant.revoked_at is not None:
        return "revoked"
    if now >= grant.expires_at:
        return "expired"
    if grant.expires_at - now <= timedelta(days=service.REMIND_DAYS):
        return "expiring"
    return "active"


def _condition_text(condition: dict[str, Any]) -> dict[str, str]:
    value = condition.get("value")
    text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return {"field": str(condition.get("field")), "op": str(condition.get("op")), "value": text}


def _personal(resource: Resource) -> set[str]:
    return set(service.default_policies(resource))


def _division_field(resource: Resource) -> str | None:
    for f in resource.fields:
        if f.get("element_code") == DIVISION_ELEMENT:
            return str(f["name"])
    return None


# --- the request form --------------------------------------------------------------------------


def _blocked_reason(principal: Principal, resource: Resource) -> str | None:
    if resource.sharing_type is SharingType.NOT_SHARED:
        return N_("This resource is not shared: its owner has classified it as not to be shared.")
    if resource.department_id == principal.department_id:
        return N_("This resource is your department's own: you read it without a grant.")
    return None


def _request_values(form: dict[str, list[str]]) -> dict[str, Any]:
    values: dict[str, Any] = {k: v[-1] for k, v in form.items() if v}
    values["fields"] = form.get("fields", [])
    return values


def _request_body(
    form: dict[str, list[str]], resource: Resource, principal: Principal
) -> dict[str, Any]:
    """Turn the request form into the body the API would receive."""
    fields = [f for f in form.get("fields", []) if f]
    rows = _one(form, "rows") or "all"
    conditions: list[dict[str, Any]] = []
    if rows == "division":
        division_field = _division_field(resource)
        conditions.append(
            {
                "field": division_field or "",
                "op": Op.WITHIN_DIVISION.value,
                "value": principal.division_code or "",
            }
        )
    elif rows == "filter":
        conditions = _conditions(form, "cond")
    personal = _personal(resource)
    treatments: dict[str, Any] = {}
    for name in fields:
        choice = _one(form, f"treatment_{name}")
        if name in personal and choice in REQUEST_CHOICES[1:]:
            treatments[name] = {"treatment": choice}
            if choice == Treatment.CLEAR.value:
                treatments[name]["legal_basis"] = _one(form, "legal_basis")
    return {
        "resource_id": str(resource.id),
        "client_id": _one(form, "client_id"),
        "fields": fields,
        "row_filter": conditions,
        "treatments": treatments,
        "purpose": _one(form, "purpose"),
        "legal_basis": _one(form, "legal_basis"),
        "duration_days": _one(form, "duration_days"),
    }


def _conditions(form: dict[str, list[str]], prefix: str) -> list[dict[str, Any]]:
    conditions: list[dict[str, Any]] = []
    for i in range(CONDITION_ROWS):
        name = _one(form, f"{prefix}_field_{i}")
        op = _one(form, f"{prefix}_op_{i}")
        raw = _one(form, f"{prefix}_value_{i}")
        if not name and not raw:
            continue
        value: Any = [v.strip() for v in raw.split(",") if v.strip()] if op == Op.IN else raw
        conditions.append({"field": name, "op": op, "value": value})
    return conditions


def _request_form(
    request: Request,
    session: DbSession,
    principal: Principal,
    resource: Resource,
    *,
    values: dict[str, Any],
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    blocked = _blocked_reason(principal, resource)
    return render(
        request,
        "sharing/request.html",
        {
            "resource": resource,
            "values": values,
            "errors": errors or [],
            "error_groups": _groups(errors or []),
            "message": MSG_CHECK if errors else None,
            "blocked": blocked,
            "personal": _personal(resource),
            "division_field": _division_field(resource),
            "systems": service.consuming_systems(session, principal=principal),
            "condition_rows": CONDITION_ROWS,
            "request_choices": REQUEST_CHOICES,
            "ops": list(Op),
            **LABELS,
        },
        status_code=status_code,
    )


def _renewal_values(
    session: DbSession, principal: Principal, grant_id: uuid.UUID
) -> dict[str, Any]:
    grant = service.get_grant(session, principal=principal, grant_id=grant_id)
    values: dict[str, Any] = {
        "client_id": grant.client_id,
        "fields": list(grant.fields),
        "purpose": grant.purpose,
        "legal_basis": grant.legal_basis,
        "duration_days": str(max(1, (grant.expires_at - grant.granted_at).days)),
        "rows": "filter" if grant.row_filter else "all",
    }
    for i, condition in enumerate(grant.row_filter[:CONDITION_ROWS]):
        shown = _condition_text(condition)
        values |= {f"cond_field_{i}": shown["field"], f"cond_op_{i}": shown["op"],
                   f"cond_value_{i}": shown["value"]}  # fmt: skip
    for name, policy in grant.field_policies.items():
        if policy.get("treatment") in REQUEST_CHOICES[1:]:
            values[f"treatment_{name}"] = policy["treatment"]
    return values


@router.get("/sharing/resources/{resource_id}/request", response_class=HTMLResponse)
def request_page(
    request: Request,
    resource_id: uuid.UUID,
    principal: SharingRequest,
    session: DbSession,
    renew: uuid.UUID | None = None,
) -> Response:
    """Show the form to request fields and rows of a resource (pre-filled to renew a grant)."""
    resource = service.requestable_resource(session, principal=principal, resource_id=resource_id)
    values: dict[str, Any] = {"fields": [], "rows": "all", "duration_days": "180"}
    if renew is not None:
        values = _renewal_values(session, principal, renew)
    return _request_form(request, session, principal, resource, values=values)


@router.post("/sharing/resources/{resource_id}/request", response_class=HTMLResponse)
def submit_request(
    request: Request,
    resource_id: uuid.UUID,
    _: CsrfChecked,
    principal: SharingRequest,
    session: DbSession,
    form: FormData,
) -> Response:
    """File the request and show where it stands, or show the form again with what was wrong."""
    resource = service.requestable_resource(session, principal=principal, resource_id=resource_id)
    try:
        data = ShareRequestCreate.model_validate(_request_body(form, resource, principal))
        with session.begin_nested():
            made = service.create_request(session, principal=principal, data=data)
    except (ValidationError, InvalidInput, Conflict) as exc:
        code = 409 if isinstance(exc, Conflict) else 422
        return _request_form(request, session, principal, resource, values=_request_values(form),
                             errors=_errors(exc), status_code=code)  # fmt: skip
    grant = service.grant_of(session, made)
    target = f"/sharing/grants/{grant.id}" if grant is not None else f"/sharing#request-{made.id}"
    return RedirectResponse(target, status_code=303)


# --- my department's requests and grants -------------------------------------------------------


@router.get("/sharing", response_class=HTMLResponse)
def mine_page(request: Request, principal: SharingRequest, session: DbSession) -> Response:
    """List the requests my department made and the grants it holds."""
    requests = service.list_requests(session, principal=principal, incoming=False)
    grants = service.list_grants(session, principal=principal, incoming=False)
    now = utcnow()
    return render(
        request,
        "sharing/mine.html",
        {
            "requests": [r for r in requests if r.status is not RequestStatus.GRANTED],
            "grants": [(g, grant_state(g, now)) for g in grants],
            "can_decide": principal.can(Permission.SHARING_DECIDE),
            **LABELS,
        },
    )


@router.get("/sharing/fragments/summary", response_class=HTMLResponse)
def summary_fragment(request: Request, principal: SharingRequest, session: DbSession) -> Response:
    """Return the workbench card's figures: requests waiting for me, grants my systems hold."""
    waiting = (
        len(
            service.list_requests(
                session, principal=principal, incoming=True, status=RequestStatus.PENDING
            )
        )
        if principal.can(Permission.SHARING_DECIDE)
        else None
    )
    held = len(service.list_grants(session, principal=principal, incoming=False, active_only=True))
    return render(request, "sharing/_summary.html", {"waiting": waiting, "held": held})


# --- the owner's inbox and decisions ------------------------------------------------------------


@router.get("/sharing/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, principal: SharingDecide, session: DbSession) -> Response:
    """List pending requests for my department's resources and the grants it gave."""
    pending = service.list_requests(
        session, principal=principal, incoming=True, status=RequestStatus.PENDING
    )
    decided = [
        r
        for r in service.list_requests(session, principal=principal, incoming=True)
        if r.status is RequestStatus.REJECTED
    ][:20]
    grants = service.list_grants(session, principal=principal, incoming=True)
    now = utcnow()
    return render(
        request,
        "sharing/inbox.html",
        {
            "pending": pending,
            "rejected": decided,
            "grants": [(g, grant_state(g, now)) for g in grants],
            **LABELS,
        },
    )


def _decision_form(
    request: Request,
    share: ShareRequest,
    *,
    values: dict[str, Any],
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "sharing/decide.html",
        {
            "share": share,
            "resource": share.resource,
            "values": values,
            "errors": errors or [],
            "error_groups": _groups(errors or []),
            "message": MSG_CHECK if errors else None,
            "personal": _personal(share.resource),
            "conditions": [_condition_text(c) for c in share.row_filter],
            "condition_rows": CONDITION_ROWS,
            "owner_choices": OWNER_CHOICES,
            "ops": list(Op),
            **LABELS,
        },
        status_code=status_code,
    )


def _decision_treatments(
    form: dict[str, list[str]], share: ShareRequest, fields: list[str]
) -> dict[str, Any] | None:
    """Return the treatments of an approval that overrides some (None: keep those asked for)."""
    defaults = service.default_policies(share.resource)
    personal = set(defaults)
    overrides = {
        name: choice
        for name in fields
        if name in personal and (choice := _one(form, f"treatment_{name}")) in OWNER_CHOICES[1:]
    }
    if not overrides:
        return None
    treatments: dict[str, Any] = {n: dict(t) for n, t in share.treatments.items() if n in fields}
    for name, choice in overrides.items():
        # Masking keeps the style of the field's data element (an ID number keeps 6 + 4 digits).
        treatments[name] = defaults[name] if choice == Treatment.MASK else {"treatment": choice}
    return treatments


def _decision_body(form: dict[str, list[str]], share: ShareRequest) -> dict[str, Any]:
    """Turn the decision form into the body the API would receive."""
    outcome = _one(form, "outcome")
    body: dict[str, Any] = {"outcome": outcome, "reason": _one(form, "reason")}
    if outcome == "approve":
        body["fields"] = [f for f in form.get("fields", []) if f]
        treatments = _decision_treatments(form, share, body["fields"])
        if treatments is not None:
            body["treatments"] = treatments
        body["extra_conditions"] = _conditions(form, "extra")
        duration = _one(form, "duration_days")
        if duration:
            body["duration_days"] = duration
    return body


@router.get("/sharing/requests/{request_id}/decision", response_class=HTMLResponse)
def decision_page(
    request: Request, request_id: uuid.UUID, principal: SharingDecide, session: DbSession
) -> Response:
    """Show a request to my department with the forms to approve (possibly narrower) or reject."""
    share = service.get_request(session, principal=principal, request_id=request_id)
    if not service.is_owner(principal, share.resource):
        raise NotFound(service.NO_REQUEST)
    values = {"fields": list(share.fields), "duration_days": str(share.duration_days)}
    return _decision_form(request, share, values=values)


@router.post("/sharing/requests/{request_id}/decision", response_class=HTMLResponse)
def decide(
    request: Request,
    request_id: uuid.UUID,
    _: CsrfChecked,
    principal: SharingDecide,
    session: DbSession,
    form: FormData,
) -> Response:
    """Record the decision and go back to the inbox, or show the form again with what was wrong."""
    share = service.get_request(session, principal=principal, request_id=request_id)
    try:
        decision = Decision.model_validate(_decision_body(form, share))
        with session.begin_nested():
            service.decide(session, principal=principal, request_id=request_id, decision=decision)
    except (ValidationError, InvalidInput, Conflict) as exc:
        session.refresh(share)
        errors = [e | {"field": e["field"] or "reason"} for e in _errors(exc)]
        values: dict[str, Any] = {k: v[-1] for k, v in form.items() if v}
        values["fields"] = form.get("fields", [])
        code = 409 if isinstance(exc, Conflict) else 422
        return _decision_form(request, share, values=values, errors=errors,
                              status_code=code)  # fmt: skip
    grant = service.grant_of(session, share)
    target = f"/sharing/grants/{grant.id}" if grant is not None else "/sharing/inbox"
    return RedirectResponse(target, status_code=303)


# --- a grant: scope, privacy, ledger, usage -----------------------------------------------------


def usage_series(usage: GrantUsage, days: int = 30) -> dict[str, Any]:
    """Return the grant's calls and rows for each of the last `days` days (zero when unused)."""
    today = utcnow().date()
    day_list = [str(today - timedelta(days=n)) for n in range(days - 1, -1, -1)]
    by_day = {d.day: d for d in usage.by_day}
    return {
        "days": day_list,
        "calls": [by_day[d].calls if d in by_day else 0 for d in day_list],
        "rows": [by_day[d].rows if d in by_day else 0 for d in day_list],
    }


def _grant_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    grant: Grant,
    *,
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    usage = service.usage(session, principal=principal, grant_id=grant.id)
    series = usage_series(usage)
    fields = {f["name"]: f for f in grant.resource.fields}
    state = grant_state(grant, utcnow())
    chart = {
        "days": series["days"],
        "series": [
            {"name": grant.department.name, "calls": series["calls"], "rows": series["rows"]}
        ],
    }
    return render(
        request,
        "sharing/grant.html",
        {
            "grant": grant,
            "state": state,
            "usage": usage,
            "chart": chart,
            "fields": fields,
            "personal": _personal(grant.resource),
            "conditions": [_condition_text(c) for c in grant.row_filter],
            "trail": service.ledger_trail(session, principal=principal, grant_id=grant.id),
            "is_owner": service.is_owner(principal, grant.resource),
            "is_holder": grant.department_id == principal.department_id,
            "errors": errors or [],
            "error_groups": _groups(errors or []),
            **LABELS,
        },
        status_code=status_code,
    )


@router.get("/sharing/grants/{grant_id}", response_class=HTMLResponse)
def grant_page(
    request: Request, grant_id: uuid.UUID, principal: SharingRequest, session: DbSession
) -> Response:
    """Show a grant: its scope, the treatment of each field, its ledger trail and its use."""
    grant = service.get_grant(session, principal=principal, grant_id=grant_id)
    return _grant_page(request, session, principal, grant)


@router.post("/sharing/grants/{grant_id}/revocation", response_class=HTMLResponse)
def revoke(
    request: Request,
    grant_id: uuid.UUID,
    _: CsrfChecked,
    principal: SharingDecide,
    session: DbSession,
    form: FormData,
) -> Response:
    """Revoke a grant of my department's resource now, or show why not."""
    grant = service.get_grant(session, principal=principal, grant_id=grant_id)
    try:
        data = Revocation.model_validate({"reason": _one(form, "reason")})
        with session.begin_nested():
            service.revoke(session, principal=principal, grant_id=grant_id, reason=data.reason)
    except (ValidationError, Conflict) as exc:
        session.refresh(grant)
        code = 409 if isinstance(exc, Conflict) else 422
        return _grant_page(request, session, principal, grant, errors=_errors(exc),
                           status_code=code)  # fmt: skip
    return RedirectResponse(f"/sharing/grants/{grant_id}", status_code=303)


@router.post("/sharing/requests/{request_id}/withdrawal", response_class=HTMLResponse)
def withdraw(
    request_id: uuid.UUID, _: CsrfChecked, principal: SharingRequest, session: DbSession
) -> Response:
    """Withdraw a pending request my department made; back to the list either way."""
    # A request decided meanwhile stays as it is; the list shows its state.
    with contextlib.suppress(Conflict), session.begin_nested():
        service.withdraw(session, principal=principal, request_id=request_id)
    return RedirectResponse(f"/sharing#request-{request_id}", status_code=303)


# --- who uses my data ---------------------------------------------------------------------------


@router.get("/sharing/usage", response_class=HTMLResponse)
def usage_page(
    request: Request,
    principal: SharingDecide,
    session: DbSession,
    days: Annotated[int, Query(ge=7, le=90)] = 30,
) -> Response:
    """Show who uses my department's data, how much and for what, with charts per consumer."""
    overview = service.usage_overview(session, principal=principal, days=days)
    series = [
        {
            "name": name,
            "calls": [per_day.get(d, (0, 0))[0] for d in overview.days],
            "rows": [per_day.get(d, (0, 0))[1] for d in overview.days],
        }
        for name, per_day in sorted(overview.by_consumer.items())
    ]
    now = utcnow()
    return render(
        request,
        "sharing/usage.html",
        {
            "overview": overview,
            "states": {u.grant.id: grant_state(u.grant, now) for u in overview.grants},
            "chart": {"days": overview.days, "series": series},
            "days": days,
            **LABELS,
        },
    )
