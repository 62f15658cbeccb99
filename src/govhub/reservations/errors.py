"""Refusals of the reservations domain, each with a stable problem `type` of its own."""

from __future__ import annotations

from govhub.core.errors import Conflict, InvalidInput, PermissionDenied


class SoldOut(Conflict):
    """Every slot asked for is taken."""

    slug = "reservation-sold-out"
    title = "Sold out"


class AlreadyReserved(Conflict):
    """The resident already holds a reservation or registration in this period."""

    slug = "reservation-already-reserved"
    title = "Already reserved"


class CampaignClosed(Conflict):
    """The campaign does not take bookings or registrations now."""

    slug = "reservation-campaign-closed"
    title = "Campaign closed"


class WrongMode(Conflict):
    """The operation does not fit the campaign's allocation mode or state."""

    slug = "reservation-wrong-mode"
    title = "Not possible for this campaign"


class NotEligible(PermissionDenied):
    """The resident does not meet the campaign's eligibility rules."""

    slug = "reservation-not-eligible"
    title = "Not eligible"


class IdempotencyKeyReused(InvalidInput):
    """An Idempotency-Key was sent again with a different request."""

    slug = "idempotency-key-reused"
    title = "Idempotency key reused"


class PickupCodeInvalid(InvalidInput):
    """A pickup code is malformed or its signature does not verify."""

    slug = "pickup-code-invalid"
    title = "Invalid pickup code"


class PickupCodeExpired(InvalidInput):
    """A pickup code's validity has ended."""

    slug = "pickup-code-expired"
    title = "Pickup code expired"


class PickupCodeUsed(Conflict):
    """A pickup code was already redeemed."""

    slug = "pickup-code-used"
    title = "Pickup code already used"
