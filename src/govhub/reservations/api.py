"""HTTP API of reservations (`/api/v1/reservations`).

Campaigns, draws and the pickup-code key are public; residents book and register with their
own account (`reservations:book`); officials publish, close, draw and watch live counts
(`reservations:manage`, within their division scope); pickup-point staff redeem codes
(`reservations:redeem`). Booking and registration pass admission control first, in
`admission.AdmissionMiddleware` before routing.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response, status

from govhub.identity.deps import DbSession, current_principal, optional_principal, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.reservations import admission, codes, service
from govhub.reservations.schemas import (
    BookingCreate,
    CampaignCounts,
    CampaignCreate,
    CampaignRead,
    DrawRead,
    KeyRead,
    RedemptionCreate,
    RedemptionRead,
    RegistrationRead,
    ReservationRead,
)

router = APIRouter(prefix="/api/v1/reservations", tags=["reservations"])

_may_book = require(Permission.RESERVATIONS_BOOK)


def booking_resident(request: Request, session: DbSession) -> Principal:
    """Return the caller if it may book (401 when anonymous, 403 without the right).

    The same checks as `require(Permission.RESERVATIONS_BOOK)`, in one step rather than three
    (each step of a synchronous dependency is a trip through the thread pool).
    """
    return _may_book(current_principal(optional_principal(request, session)))


Booker = Annotated[Principal, Depends(booking_resident)]
Manager = Annotated[Principal, Depends(require(Permission.RESERVATIONS_MANAGE))]
Redeemer = Annotated[Principal, Depends(require(Permission.RESERVATIONS_REDEEM))]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$"),
]


@router.post("/campaigns", response_model=CampaignRead, status_code=status.HTTP_201_CREATED)
def publish(session: DbSession, principal: Manager, data: CampaignCreate) -> CampaignRead:
    """Publish a campaign of your department (a lottery commits its seed at once)."""
    return CampaignRead.model_validate(
        service.create_campaign(session, principal=principal, data=data)
    )


@router.get("/campaigns/{campaign_id}", response_model=CampaignRead)
def read_campaign(session: DbSession, campaign_id: uuid.UUID) -> CampaignRead:
    """Show a campaign: points, windows, quotas, rules and the lottery's seed commitment."""
    return CampaignRead.model_validate(service.get_campaign(session, campaign_id))


@router.post("/campaigns/{campaign_id}/close", response_model=CampaignRead)
def close(session: DbSession, principal: Manager, campaign_id: uuid.UUID) -> CampaignRead:
    """End a campaign's booking or registration period now."""
    return CampaignRead.model_validate(
        service.close_campaign(session, principal=principal, campaign_id=campaign_id)
    )


@router.get("/campaigns/{campaign_id}/counts", response_model=CampaignCounts)
def live_counts(session: DbSession, principal: Manager, campaign_id: uuid.UUID) -> CampaignCounts:
    """Live quota, remaining, booked and redeemed figures per pickup point."""
    return service.counts(session, principal=principal, campaign_id=campaign_id)


@router.post(
    "/campaigns/{campaign_id}/bookings",
    response_model=ReservationRead,
    status_code=status.HTTP_201_CREATED,
)
def book(
    session: DbSession,
    principal: Booker,
    campaign_id: uuid.UUID,
    data: BookingCreate,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Reserve a slot, first come first served; a retry with the same Idempotency-Key
    returns the first answer."""
    admission.check_identity(principal)
    reservation = service.book(
        session,
        principal=principal,
        campaign_id=campaign_id,
        data=data,
        idempotency_key=idempotency_key,
    )
    # The answer is built and checked once, as a model: it goes out as it is.
    return Response(
        reservation.model_dump_json(),
        status_code=status.HTTP_201_CREATED,
        media_type="application/json",
    )


@router.post(
    "/campaigns/{campaign_id}/registrations",
    response_model=RegistrationRead,
    status_code=status.HTTP_201_CREATED,
)
def register(
    session: DbSession, principal: Booker, campaign_id: uuid.UUID, data: BookingCreate
) -> RegistrationRead:
    """Enter a lottery campaign for one slot."""
    admission.check_identity(principal)
    return service.register(session, principal=principal, campaign_id=campaign_id, data=data)


@router.post("/campaigns/{campaign_id}/draw", response_model=DrawRead)
def run_draw(session: DbSession, principal: Manager, campaign_id: uuid.UUID) -> DrawRead:
    """Draw a closed lottery: reveal the seed, allocate the quota, ledger the result."""
    return service.draw(session, principal=principal, campaign_id=campaign_id)


@router.get("/campaigns/{campaign_id}/draw", response_model=DrawRead)
def read_draw(session: DbSession, campaign_id: uuid.UUID) -> DrawRead:
    """Show a lottery's commitment, registration list and, once drawn, seed and winners."""
    return service.draw_view(session, campaign_id=campaign_id)


@router.get("/mine", response_model=list[ReservationRead])
def my_reservations(session: DbSession, principal: Booker) -> list[ReservationRead]:
    """List your reservations with their pickup codes."""
    return [service.to_read(session, r) for r in service.list_own(session, principal=principal)]


@router.get("/mine/registrations", response_model=list[RegistrationRead])
def my_registrations(session: DbSession, principal: Booker) -> list[RegistrationRead]:
    """List your lottery registrations and their outcome."""
    rows = service.list_own_registrations(session, principal=principal)
    return [RegistrationRead.model_validate(r) for r in rows]


@router.get(
    "/mine/{reservation_id}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def my_qr(session: DbSession, principal: Booker, reservation_id: uuid.UUID) -> Response:
    """Your pickup code as a QR code (SVG)."""
    reservation = service.get_own(session, principal=principal, reservation_id=reservation_id)
    code = service.to_read(session, reservation).pickup_code
    return Response(codes.qr_svg(code), media_type="image/svg+xml")


@router.post("/redemptions", response_model=RedemptionRead)
def redeem(session: DbSession, principal: Redeemer, data: RedemptionCreate) -> RedemptionRead:
    """Redeem a scanned pickup code at a pickup point of your division (once)."""
    return service.redeem(session, principal=principal, data=data)


@router.get("/keys", response_model=KeyRead)
def keys() -> KeyRead:
    """The public key that verifies pickup codes offline (raw Ed25519, base64)."""
    return KeyRead(algorithm="Ed25519", public_key=codes.public_key_b64())
