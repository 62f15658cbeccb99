"""Webhooks: tell subscribed systems that a granted resource has a new version.

Payloads carry identifiers and digests, never data: the system then reads through the gateway,
where its grant applies. Requests are signed the Standard Webhooks way (`webhook-id`,
`webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), so
receivers can use any Standard Webhooks library to verify them. Failed deliveries are retried
with exponential backoff. No transaction is held open while a receiver is called.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.crypto import decrypt_field, encrypt_field
from govhub.core.db import session_scope, utcnow
from govhub.core.errors import InvalidInput, NotFound
from govhub.data.exchange.models import Delivery, DeliveryStatus, Subscription
from govhub.data.exchange.service import active_grant
from govhub.data.exchange.settings import get_exchange_settings
from govhub.data.sharing.models import Grant
from govhub.identity.principal import Principal

EVENT_PUBLISHED = "dataset.published"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
MAX_BACKOFF = timedelta(hours=6)
LEASE = timedelta(minutes=2)
NO_SUBSCRIPTION = "no such subscription"


class UnsafeTarget(InvalidInput):
    """A webhook URL the platform will not call."""


def check_target(url: str, *, allow_private: bool) -> None:
    """Refuse URLs that are not HTTPS, carry credentials, or resolve to non-public addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeTarget("a webhook URL is an absolute http(s) URL", field="url")
    if parts.scheme == "http" and not allow_private:
        raise UnsafeTarget("webhooks are delivered over HTTPS only", field="url")
    if parts.username or parts.password:
        raise UnsafeTarget("a webhook URL carries no credentials", field="url")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget("the webhook host does not resolve", field="url") from exc
    for info in infos:
        if not ipaddress.ip_address(info[4][0]).is_global:
            raise UnsafeTarget("the webhook host is not a public address", field="url")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Return the `webhook-signature` header value for a message."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.digest(key, signed, hashlib.sha256)).decode()


def subscribe(
    session: Session, *, principal: Principal, resource_id: uuid.UUID, url: str
) -> tuple[Subscription, str]:
    """Subscribe the calling system to a granted resource; return it with its secret (once)."""
    active_grant(session, principal=principal, resource_id=resource_id)
    check_target(url, allow_private=get_exchange_settings().webhook_allow_private)
    secret = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
    subscription = Subscription(
        id=uuid.uuid4(), client_id=principal.client_id, resource_id=resource_id, url=url
    )
    subscription.secret_encrypted = encrypt_field(secret, context=f"webhook:{subscription.id}")
    session.add(subscription)
    session.flush()
    return subscription, secret


def list_subscriptions(session: Session, *, principal: Principal) -> Sequence[Subscription]:
    """List the calling system's active subscriptions."""
    return session.scalars(
        select(Subscription)
        .where(Subscription.client_id == principal.client_id, Subscription.active.is_(True))
        .order_by(Subscription.created_at)
    ).all()


def get_subscription(
    session: Session, *, principal: Principal, subscription_id: uuid.UUID
) -> Subscription:
    """Return one of the calling system's subscriptions."""
    subscription = session.get(Subscription, subscription_id)
    if subscription is None or subscription.client_id != principal.client_id:
        raise NotFound(NO_SUBSCRIPTION)
    return subscription


def unsubscribe(session: Session, *, principal: Principal, subscription_id: uuid.UUID) -> None:
    """Stop a subscription; pending deliveries are dropped."""
    subscription = get_subscription(session, principal=principal, subscription_id=subscription_id)
    subscription.active = False
    for delivery in session.scalars(
        select(Delivery).where(
            Delivery.subscription_id == subscription.id,
            Delivery.status == DeliveryStatus.PENDING,
        )
    ):
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = "unsubscribed"


def deliveries(
    session: Session, *, principal: Principal, subscription_id: uuid.UUID
) -> Sequence[Delivery]:
    """List a subscription's latest deliveries, newest first."""
    subscription = get_subscription(session, principal=principal, subscription_id=subscription_id)
    return session.scalars(
        select(Delivery)
        .where(Delivery.subscription_id == subscription.id)
        .order_by(Delivery.created_at.desc())
        .limit(100)
    ).all()


def notify_published(
    session: Session, *, resource_id: uuid.UUID, version: int, row_count: int, digest: str
) -> int:
    """Owe a delivery to every active subscription whose system holds an active grant."""
    now = utcnow()
    subscriptions = session.scalars(
        select(Subscription).where(
            Subscription.resource_id == resource_id,
            Subscription.active.is_(True),
            Subscription.client_id.in_(
                select(Grant.client_id).where(
                    Grant.resource_id == resource_id,
                    Grant.revoked_at.is_(None),
                    Grant.expires_at > now,
                )
            ),
        )
    ).all()
    payload = {
        "resource_id": str(resource_id),
        "version": version,
        "row_count": row_count,
        "sha256": digest,
        "published_at": now.isoformat(),
    }
    for subscription in subscriptions:
        session.add(
            Delivery(subscription_id=subscription.id, event_type=EVENT_PUBLISHED, payload=payload)
        )
    return len(subscriptions)


def _claim(now: datetime, limit: int) -> list[dict[str, Any]]:
    """Take due deliveries for a lease, so a crash mid-send only delays them."""
    with session_scope() as session:
        due = session.scalars(
            select(Delivery)
            .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at)
            .limit(limit)
        ).all()
        claimed = []
        for delivery in due:
            delivery.next_attempt_at = now + LEASE
            subscription = delivery.subscription
            claimed.append(
                {
                    "id": delivery.id,
                    "url": subscription.url,
                    "secret": decrypt_field(
                        subscription.secret_encrypted, context=f"webhook:{subscription.id}"
                    ),
                    "body": json.dumps(
                        {"type": delivery.event_type, "data": delivery.payload},
                        ensure_ascii=False,
                        separators=(",", ":"),
                    ).encode(),
                }
            )
        return claimed


def _send(client: httpx.Client, job: dict[str, Any], now: datetime) -> tuple[int | None, str]:
    settings = get_exchange_settings()
    try:
        check_target(job["url"], allow_private=settings.webhook_allow_private)
        timestamp = int(now.timestamp())
        message_id = f"msg_{job['id'].hex}"
        response = client.post(
            job["url"],
            content=job["body"],
            headers={
                "content-type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": sign(job["secret"], message_id, timestamp, job["body"]),
            },
            timeout=settings.webhook_timeout_seconds,
            follow_redirects=False,
        )
    except (httpx.HTTPError, InvalidInput) as exc:
        return None, type(exc).__name__
    return response.status_code, "" if response.is_success else f"HTTP {response.status_code}"


def deliver_due(client: httpx.Client, *, now: datetime | None = None, limit: int = 50) -> int:
    """Send due deliveries; record each outcome and schedule retries. Return how many arrived."""
    settings = get_exchange_settings()
    moment = now or utcnow()
    arrived = 0
    for job in _claim(moment, limit):
        status, error = _send(client, job, moment)
        with session_scope() as session:
            delivery = session.get(Delivery, job["id"])
            if delivery is None or delivery.status is not DeliveryStatus.PENDING:
                continue
            delivery.attempts += 1
            delivery.last_status = status
            delivery.last_error = error[:500]
            if not error:
                delivery.status = DeliveryStatus.DELIVERED
                delivery.delivered_at = moment
                arrived += 1
            elif delivery.attempts >= settings.webhook_max_attempts:
                delivery.status = DeliveryStatus.FAILED
            else:
                delay = timedelta(seconds=settings.webhook_backoff_seconds) * 2 ** (
                    delivery.attempts - 1
                )
                delivery.next_attempt_at = moment + min(delay, MAX_BACKOFF)
    return arrived
