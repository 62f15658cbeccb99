"""HTTP API of the exchange gateway (`/api/v1/exchange`), for consuming systems."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from govhub.core.db import session_scope
from govhub.core.settings import get_settings
from govhub.data.exchange import service, webhooks
from govhub.data.exchange.schemas import (
    ConsumerGrant,
    DeliveryRead,
    ExportRequest,
    QueryRequest,
    QueryResult,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
)
from govhub.data.exchange.writers import MEDIA_TYPES
from govhub.data.sharing.models import AccessKind
from govhub.identity.deps import DbSession, current_principal, optional_principal, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"])

_may_read = require(Permission.EXCHANGE_READ)


def calling_system(request: Request, session: DbSession) -> Principal:
    """Return the caller if it may use the exchange (401 when anonymous, 403 without the right).

    The same checks as `require(Permission.EXCHANGE_READ)`, in one step rather than three.
    """
    return _may_read(current_principal(optional_principal(request, session)))


Consumer = Annotated[Principal, Depends(calling_system)]


@router.get("/grants", response_model=list[ConsumerGrant])
def list_grants(session: DbSession, principal: Consumer) -> list[ConsumerGrant]:
    """List the calling system's active grants and how each protects its fields."""
    return [
        ConsumerGrant(
            grant_id=g.id,
            resource_id=g.resource_id,
            resource_title=g.resource.title,
            fields=g.fields,
            protected_fields={
                name: p["treatment"]
                for name, p in g.field_policies.items()
                if p["treatment"] != "clear"
            },
            expires_at=g.expires_at.isoformat(),
        )
        for g in service.consumer_grants(session, principal=principal)
    ]


@router.post("/resources/{resource_id}/query", response_model=QueryResult)
def query(request: Request, resource_id: uuid.UUID, body: QueryRequest) -> Response:
    """Read a page of granted rows, filtered, sorted and projected within the grant.

    The whole call runs in one worker thread, without dependencies: each synchronous
    dependency (the session, the caller) would cost a hand-off to the thread pool and back.
    The usage row and ledger record are committed before the answer is built.
    """
    with session_scope() as session:
        principal = calling_system(request, session)
        plan = service.plan_query(
            session, principal=principal, resource_id=resource_id, request=body
        )
        session.commit()  # end the checks' transaction: none stays open while data is read
        page = service.fetch_page(plan, body)
        service.record_access(
            session,
            principal=principal,
            plan=plan,
            kind=AccessKind.QUERY,
            rows=page.rows,
            digest=page.digest,
            call=body.model_dump(mode="json"),
        )
        session.commit()  # durable before a byte of the page is sent
    # The rows go out as the very bytes whose digest was ledgered: encoded once, not twice.
    timing = f"engine;dur={page.engine_seconds * 1000:.2f}"
    return Response(
        page.body(plan, body), media_type="application/json", headers={"Server-Timing": timing}
    )


@router.post(
    "/resources/{resource_id}/export",
    response_class=FileResponse,
    responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}},
)
def export(
    session: DbSession, principal: Consumer, resource_id: uuid.UUID, request: ExportRequest
) -> FileResponse:
    """Download every granted row as CSV, NDJSON or Parquet; the file is ledgered first."""
    plan = service.plan_export(
        session, principal=principal, resource_id=resource_id, request=request
    )
    session.commit()  # end the checks' transaction: no transaction stays open while data is read
    done = service.write_export(plan, request, get_settings().var_dir / "spool" / "exchange")
    call = request.model_dump(mode="json")
    service.record_access(
        session,
        principal=principal,
        plan=plan,
        kind=AccessKind.EXPORT,
        rows=done.rows,
        digest=done.digest,
        call=call,
    )
    digest = base64.b64encode(bytes.fromhex(done.digest)).decode()
    return FileResponse(
        done.path,
        media_type=MEDIA_TYPES[request.format],
        filename=f"{resource_id}-v{done.version}.{request.format.value}",
        headers={"Repr-Digest": f"sha-256=:{digest}:", "X-Row-Count": str(done.rows)},
        background=BackgroundTask(done.path.unlink, missing_ok=True),
    )


@router.post("/subscriptions", response_model=SubscriptionCreated, status_code=201)
def subscribe(
    session: DbSession, principal: Consumer, data: SubscriptionCreate
) -> SubscriptionCreated:
    """Be told (by a signed webhook) of each new version of a granted resource."""
    subscription, secret = webhooks.subscribe(
        session, principal=principal, resource_id=data.resource_id, url=data.url
    )
    read = SubscriptionRead.model_validate(subscription)
    return SubscriptionCreated(**read.model_dump(), secret=secret)


@router.get("/subscriptions", response_model=list[SubscriptionRead])
def list_subscriptions(session: DbSession, principal: Consumer) -> list[SubscriptionRead]:
    """List the calling system's subscriptions."""
    return [
        SubscriptionRead.model_validate(s)
        for s in webhooks.list_subscriptions(session, principal=principal)
    ]


@router.get("/subscriptions/{subscription_id}/deliveries", response_model=list[DeliveryRead])
def list_deliveries(
    session: DbSession, principal: Consumer, subscription_id: uuid.UUID
) -> list[DeliveryRead]:
    """List a subscription's latest deliveries and their outcome."""
    rows = webhooks.deliveries(session, principal=principal, subscription_id=subscription_id)
    return [DeliveryRead.model_validate(d) for d in rows]


@router.delete("/subscriptions/{subscription_id}", status_code=204)
def unsubscribe(session: DbSession, principal: Consumer, subscription_id: uuid.UUID) -> None:
    """Stop a subscription."""
    webhooks.unsubscribe(session, principal=principal, subscription_id=subscription_id)
