"""Refusals of the payments domain, each with a stable problem `type` of its own."""

from __future__ import annotations

from govhub.core.errors import Conflict, InvalidInput, PermissionDenied


class IdempotencyKeyReused(Conflict):
    """An Idempotency-Key was sent again with a different request."""

    slug = "payment-idempotency-key-reused"
    title = "Idempotency key reused"


class SubjectAlreadyCharged(Conflict):
    """A live (pending or paid) order already charges this subject."""

    slug = "payment-subject-already-charged"
    title = "Subject already has a fee order"


class OrderNotPayable(Conflict):
    """The order is not pending (paid, expired, cancelled or refunded)."""

    slug = "payment-order-not-payable"
    title = "Order cannot be paid"


class RefundNotPossible(Conflict):
    """The order is not paid, or the refund would exceed what remains paid."""

    slug = "payment-refund-not-possible"
    title = "Refund not possible"


class CallbackRejected(InvalidInput):
    """A provider callback's signature, timestamp or content does not verify."""

    status = 400
    slug = "payment-callback-rejected"
    title = "Callback rejected"


class CallbackReplayed(Conflict):
    """A provider callback's nonce was seen before."""

    slug = "payment-callback-replayed"
    title = "Callback replayed"


class AmountMismatch(InvalidInput):
    """A callback reports an amount other than the order's."""

    slug = "payment-amount-mismatch"
    title = "Amount does not match the order"


class PaymentRequired(PermissionDenied):
    """The subject has no fee order paid with a verified callback."""

    status = 402
    slug = "payment-required"
    title = "Payment required"
