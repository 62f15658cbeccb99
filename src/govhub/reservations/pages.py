"""Pages of reservations: campaigns and booking for residents, pickup codes, live counts for
officials and redemption at pickup points."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from govhub.core.db import utcnow
from govhub.core.errors import GovHubError, NotFound
from govhub.core.i18n import N_
from govhub.identity.deps import DbSession, MaybePrincipal, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.reservations import admission, codes, service
from govhub.reservations.errors import PickupCodeInvalid
from govhub.reservations.models import AllocationMode, Campaign
from govhub.reservations.schemas import BookingCreate, RedemptionCreate
from govhub.web.csrf import CsrfChecked
from govhub.web.templating import render

router = APIRouter(include_in_schema=False)

Booker = Annotated[Principal, Depends(require(Permission.RESERVATIONS_BOOK))]
Manager = Annotated[Principal, Depends(require(Permission.RESERVATIONS_MANAGE))]
Redeemer = Annotated[Principal, Depends(require(Permission.RESERVATIONS_REDEEM))]
FormId = Annotated[uuid.UUID, Form()]
FormKey = Annotated[str, Form(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$")]

# Titles of the refusals a page shows (govhub.reservations.errors), listed for translation.
REFUSAL_TITLES = (
    N_("Sold out"),
    N_("Already reserved"),
    N_("Campaign closed"),
    N_("Not possible for this campaign"),
    N_("Not eligible"),
    N_("Invalid pickup code"),
    N_("Pickup code expired"),
    N_("Pickup code already used"),
)
STATE_LABELS = {
    "upcoming": N_("Opens soon"),
    "open": N_("Open now"),
    "closed": N_("Closed"),
    "drawn": N_("Drawn"),
}


def _page(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> Response:
    return render(
        request, template, {"state_labels": STATE_LABELS, **context}, status_code=status_code
    )


def campaign_state(campaign: Campaign) -> str:
    """Name where a campaign stands now: upcoming, open, closed or drawn."""
    now = utcnow()
    if campaign.drawn_at is not None:
        return "drawn"
    if now < campaign.opens_at:
        return "upcoming"
    return "open" if now < campaign.closes_at else "closed"


def _campaign_context(session: DbSession, campaign: Campaign) -> dict[str, Any]:
    remaining = service.remaining_by_slot(session, campaign.id)
    points = {p.id: p for p in campaign.points}
    windows = {w.id: w for w in campaign.windows}
    slots = sorted(
        campaign.slots,
        key=lambda s: (points[s.point_id].name, windows[s.window_id].starts_at),
    )
    return {
        "campaign": campaign,
        "state": campaign_state(campaign),
        "lottery": campaign.mode is AllocationMode.LOTTERY,
        "rows": [
            (s, points[s.point_id], windows[s.window_id], remaining.get(s.id, 0)) for s in slots
        ],
        "form_key": uuid.uuid4().hex,
    }


@router.get("/reservations", response_class=HTMLResponse)
def campaigns(request: Request, session: DbSession, principal: MaybePrincipal) -> Response:
    """List campaigns open now, upcoming and recently closed."""
    rows = [(c, campaign_state(c)) for c in service.list_campaigns(session)]
    return _page(request, "reservations/index.html", {"campaigns": rows})


@router.get("/reservations/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign(
    request: Request, session: DbSession, principal: MaybePrincipal, campaign_id: uuid.UUID
) -> Response:
    """Show a campaign: its rules, points, windows and the places still free."""
    found = service.get_campaign(session, campaign_id)
    return _page(request, "reservations/campaign.html", _campaign_context(session, found))


@router.post("/reservations/campaigns/{campaign_id}/bookings", response_class=HTMLResponse)
def book(
    request: Request,
    _: CsrfChecked,
    session: DbSession,
    principal: Booker,
    campaign_id: uuid.UUID,
    slot_id: FormId,
    key: FormKey,
) -> Response:
    """Book a slot from the campaign page; a refusal is shown on the page with its reason."""
    try:
        admission.check_identity(principal)
        if service.get_campaign(session, campaign_id).mode is AllocationMode.LOTTERY:
            service.register(
                session,
                principal=principal,
                campaign_id=campaign_id,
                data=BookingCreate(slot_id=slot_id),
            )
            return _page(
                request,
                "reservations/registered.html",
                {"campaign": service.get_campaign(session, campaign_id)},
                status_code=201,
            )
        reservation = service.book(
            session,
            principal=principal,
            campaign_id=campaign_id,
            data=BookingCreate(slot_id=slot_id),
            idempotency_key=f"page:{key}",
        )
    except NotFound:
        raise
    except GovHubError as exc:
        session.rollback()
        context = _campaign_context(session, service.get_campaign(session, campaign_id))
        context["refusal"] = exc
        return _page(request, "reservations/campaign.html", context, status_code=exc.status)
    return _page(
        request,
        "reservations/confirmed.html",
        _confirmation(session, reservation.id, principal),
        status_code=201,
    )


def _confirmation(
    session: DbSession, reservation_id: uuid.UUID, principal: Principal
) -> dict[str, Any]:
    reservation = service.get_own(session, principal=principal, reservation_id=reservation_id)
    shown = service.to_read(session, reservation)
    slot = reservation.slot
    found = service.get_campaign(session, reservation.campaign_id)
    point = next(p for p in found.points if p.id == slot.point_id)
    window = next(w for w in found.windows if w.id == slot.window_id)
    return {
        "reservation": shown,
        "campaign": found,
        "point": point,
        "window": window,
        "qr": codes.qr_svg(shown.pickup_code),
    }


@router.get("/reservations/mine", response_class=HTMLResponse)
def mine(request: Request, session: DbSession, principal: Booker) -> Response:
    """List the resident's reservations with pickup codes, and lottery registrations."""
    reservations = [
        _confirmation(session, r.id, principal)
        for r in service.list_own(session, principal=principal)
    ]
    registrations = [
        (r, service.get_campaign(session, r.campaign_id))
        for r in service.list_own_registrations(session, principal=principal)
    ]
    return _page(
        request,
        "reservations/mine.html",
        {"reservations": reservations, "registrations": registrations},
    )


@router.get("/reservations/manage", response_class=HTMLResponse)
def manage(request: Request, session: DbSession, principal: Manager) -> Response:
    """List the campaigns of the official's department."""
    rows = [
        (c, campaign_state(c))
        for c in service.list_campaigns(session, department_id=principal.department_id)
    ]
    return _page(request, "reservations/manage.html", {"campaigns": rows})


@router.get("/reservations/campaigns/{campaign_id}/live", response_class=HTMLResponse)
def live(
    request: Request, session: DbSession, principal: Manager, campaign_id: uuid.UUID
) -> Response:
    """Show live quota, booked and redeemed figures per pickup point, refreshed every few
    seconds."""
    counts = service.counts(session, principal=principal, campaign_id=campaign_id)
    found = service.get_campaign(session, campaign_id)
    return _page(
        request,
        "reservations/live.html",
        {"campaign": found, "state": campaign_state(found), "counts": counts},
    )


@router.get("/reservations/campaigns/{campaign_id}/live/figures", response_class=HTMLResponse)
def live_figures(
    request: Request, session: DbSession, principal: Manager, campaign_id: uuid.UUID
) -> Response:
    """Return the live figures as a fragment (refreshed by htmx)."""
    counts = service.counts(session, principal=principal, campaign_id=campaign_id)
    return _page(request, "reservations/_figures.html", {"counts": counts})


@router.get("/reservations/redeem", response_class=HTMLResponse)
def redeem_form(request: Request, principal: Redeemer) -> Response:
    """Show the pickup point's form for scanning or typing a pickup code."""
    return _page(request, "reservations/redeem.html", {})


@router.post("/reservations/redeem", response_class=HTMLResponse)
def redeem(
    request: Request,
    _: CsrfChecked,
    session: DbSession,
    principal: Redeemer,
    code: Annotated[str, Form(max_length=400)],
) -> Response:
    """Redeem a pickup code once; show what was collected, or why not."""
    try:
        if not code.strip():
            raise PickupCodeInvalid("enter or scan a pickup code", field="code")
        done = service.redeem(
            session, principal=principal, data=RedemptionCreate(code=code.strip())
        )
    except GovHubError as exc:
        session.rollback()
        return _page(request, "reservations/redeem.html", {"refusal": exc}, status_code=exc.status)
    found = service.get_campaign(session, done.campaign_id)
    point = next(p for p in found.points if p.id == done.point_id)
    return _page(
        request, "reservations/redeem.html", {"done": done, "campaign": found, "point": point}
    )
