"""The payment-provider interface and the built-in sandbox provider.

A provider takes payers to its cashier, notifies GovHub of the outcome with a signed callback,
refunds, and reports a statement of each day's transactions. The sandbox provider does all of
this inside GovHub: its cashier is a page where the payer chooses to pay or to fail, its book
is the `payment_sandbox_transactions` table, and its callbacks are signed with HMAC-SHA256
under a key derived from the platform secret.

A callback is an envelope `{"notification": "<JSON text>", "signature": "<hex>"}`: the
signature covers the notification's exact bytes, which carry the order, the outcome, the
amount, a Unix `timestamp` and a random `nonce`. The receiver checks the signature in
constant time, the timestamp window, and that the nonce is new.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.crypto import derive_key
from govhub.core.db import utcnow
from govhub.core.settings import get_settings
from govhub.payments.models import SandboxTransaction, TransactionKind

SANDBOX = "sandbox"
# How far a callback's timestamp may lie from the receiver's clock, in seconds.
CALLBACK_WINDOW_SECONDS = 300


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One transaction of a provider's daily statement."""

    txn_id: str
    kind: TransactionKind
    order_id: uuid.UUID
    amount_fen: int


@dataclass(frozen=True, slots=True)
class SignedCallback:
    """A notification's exact text and its signature, as the provider sends them."""

    notification: str
    signature: str


class PaymentProvider(Protocol):
    """What GovHub needs of a payment provider."""

    name: str

    def cashier_url(self, order_id: uuid.UUID) -> str:
        """Return where the payer pays the order."""
        ...

    def verify(self, notification: str, signature: str) -> bool:
        """Tell whether `signature` is the provider's over `notification`."""
        ...

    def refund(self, session: Session, *, order_id: uuid.UUID, amount_fen: int) -> str:
        """Return money to the payer of a paid order; return the provider's refund id."""
        ...

    def statement(self, session: Session, day: date) -> list[StatementLine]:
        """Return the provider's transactions booked on `day` (UTC)."""
        ...


def _key() -> bytes:
    return _derived(get_settings().secret_key.get_secret_value())


@lru_cache(maxsize=4)
def _derived(secret: str) -> bytes:
    return derive_key("payments:sandbox-callback", secret=secret.encode())


def sign(notification: str) -> str:
    """Return the sandbox's HMAC-SHA256 signature (hex) of a notification's exact text."""
    return hmac.new(_key(), notification.encode(), hashlib.sha256).hexdigest()


class SandboxProvider:
    """The built-in provider: a cashier page, an HMAC-signed callback and its own book."""

    name = SANDBOX

    def cashier_url(self, order_id: uuid.UUID) -> str:
        """Return the sandbox cashier page of the order."""
        return f"/payments/cashier/{order_id}"

    def verify(self, notification: str, signature: str) -> bool:
        """Compare the signature with the expected one in constant time."""
        return hmac.compare_digest(sign(notification), signature)

    def charge(
        self, session: Session, *, order_id: uuid.UUID, amount_fen: int, succeed: bool
    ) -> SignedCallback:
        """Book the payer's payment (when it succeeds) and return the signed notification."""
        txn_id = f"sbx_{secrets.token_hex(12)}"
        if succeed:
            now = utcnow()
            session.add(
                SandboxTransaction(
                    txn_id=txn_id,
                    kind=TransactionKind.PAYMENT,
                    order_id=order_id,
                    amount_fen=amount_fen,
                    booked_on=now.date(),
                    booked_at=now,
                )
            )
            session.flush()
        return self.notify(
            order_id=order_id,
            txn_id=txn_id,
            outcome="succeeded" if succeed else "failed",
            amount_fen=amount_fen,
        )

    def notify(
        self,
        *,
        order_id: uuid.UUID,
        txn_id: str,
        outcome: str,
        amount_fen: int,
        timestamp: int | None = None,
        nonce: str | None = None,
    ) -> SignedCallback:
        """Build and sign a notification (the fields are the sandbox's callback format)."""
        body: dict[str, Any] = {
            "order_id": str(order_id),
            "txn_id": txn_id,
            "outcome": outcome,
            "amount_fen": amount_fen,
            "timestamp": int(time.time()) if timestamp is None else timestamp,
            "nonce": nonce or secrets.token_hex(16),
        }
        text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return SignedCallback(notification=text, signature=sign(text))

    def refund(self, session: Session, *, order_id: uuid.UUID, amount_fen: int) -> str:
        """Book a refund in the sandbox's book and return its id."""
        now = utcnow()
        refund_id = f"sbr_{secrets.token_hex(12)}"
        session.add(
            SandboxTransaction(
                txn_id=refund_id,
                kind=TransactionKind.REFUND,
                order_id=order_id,
                amount_fen=amount_fen,
                booked_on=now.date(),
                booked_at=now,
            )
        )
        session.flush()
        return refund_id

    def statement(self, session: Session, day: date) -> list[StatementLine]:
        """Return the sandbox's transactions booked on `day`."""
        rows = session.scalars(
            select(SandboxTransaction)
            .where(SandboxTransaction.booked_on == day)
            .order_by(SandboxTransaction.booked_at, SandboxTransaction.txn_id)
        )
        return [StatementLine(r.txn_id, r.kind, r.order_id, r.amount_fen) for r in rows]


_SANDBOX = SandboxProvider()
_PROVIDERS: dict[str, PaymentProvider] = {SANDBOX: _SANDBOX}


def get_provider(name: str = SANDBOX) -> PaymentProvider:
    """Return the provider registered under `name`."""
    return _PROVIDERS[name]


def sandbox() -> SandboxProvider:
    """Return the built-in sandbox provider."""
    return _SANDBOX
