"""Two-way openness: the public asks for datasets and reports problems; departments reply.

Anyone may submit, signed in or not, within a rate limit per account (or per address when
anonymous). A request is addressed to one department: the owner of the open dataset it names,
or the department the requester chose. Requests and replies are public; the requester's
account is kept only for the rate limit and never shown. Only officials of the addressed
department holding `opendata:reply` may reply; each reply is ledgered (`opendata_replied`)
with a digest of its text, so a reply cannot later be changed unnoticed.
"""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import InvalidInput, NotFound
from govhub.core.ratelimit import SlidingWindow
from govhub.data.opendata import service
from govhub.data.opendata.models import DataRequest, RequestKind, RequestReply
from govhub.data.opendata.schemas import DataRequestCreate, ReplyCreate
from govhub.data.opendata.settings import get_opendata_settings
from govhub.identity.models import Department
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind

NO_REQUEST = "no such request"
HOUR = 3600.0
limiter = SlidingWindow("requests")


def departments(session: Session) -> list[Department]:
    """Return the departments a request may be addressed to, by code."""
    return list(session.scalars(select(Department).order_by(Department.code)))


def _addressee(session: Session, data: DataRequestCreate) -> tuple[uuid.UUID, uuid.UUID | None]:
    """Return the department and the open dataset a request is about; raise if it has none."""
    if data.dataset:
        try:
            resource = service.get_public_resource(session, data.dataset)
        except NotFound:
            raise InvalidInput("no open dataset has this id or name", field="dataset") from None
        return resource.department_id, resource.id
    if data.kind is RequestKind.PROBLEM:
        raise InvalidInput("a problem report names the open dataset it is about", field="dataset")
    if data.department_id is None or session.get(Department, data.department_id) is None:
        raise InvalidInput("choose the department you ask", field="department_id")
    return data.department_id, None


def submit(
    session: Session, *, principal: Principal | None, client: str, data: DataRequestCreate
) -> DataRequest:
    """File a public request (rate-limited per account, or per `client` address)."""
    department_id, resource_id = _addressee(session, data)
    account_id = principal.account_id if principal is not None else None
    key = f"account:{account_id}" if account_id is not None else f"ip:{client}"
    limiter.hit(key, limit=get_opendata_settings().requests_per_hour, window=HOUR)
    request = DataRequest(
        id=uuid.uuid4(),
        kind=data.kind,
        department_id=department_id,
        resource_id=resource_id,
        title=data.title,
        body=data.body,
        display_name=data.display_name,
        account_id=account_id,
    )
    session.add(request)
    session.flush()
    return request


def get_request(session: Session, request_id: uuid.UUID) -> DataRequest:
    """Return a public request with its replies, else raise `NotFound`."""
    request = session.get(DataRequest, request_id)
    if request is None:
        raise NotFound(NO_REQUEST)
    return request


def list_requests(
    session: Session,
    *,
    department_id: uuid.UUID | None = None,
    resource_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[DataRequest], int]:
    """List public requests newest first (of one department or dataset), and their total."""
    query = select(DataRequest)
    if department_id is not None:
        query = query.where(DataRequest.department_id == department_id)
    if resource_id is not None:
        query = query.where(DataRequest.resource_id == resource_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(DataRequest.created_at.desc(), DataRequest.id).limit(limit).offset(offset)
    )
    return list(rows), int(total)


def may_reply(principal: Principal | None, request: DataRequest) -> bool:
    """Tell whether `principal` may reply to `request` (an official of its department)."""
    return (
        principal is not None
        and principal.can(Permission.OPENDATA_REPLY)
        and principal.department_id == request.department_id
    )


def reply(
    session: Session, *, principal: Principal, request_id: uuid.UUID, data: ReplyCreate
) -> RequestReply:
    """Reply publicly to a request addressed to the principal's department; ledger it.

    A request addressed to another department answers `NotFound`, like a missing one.
    """
    request = get_request(session, request_id)
    if not may_reply(principal, request):
        raise NotFound(NO_REQUEST)
    answer = RequestReply(
        id=uuid.uuid4(),
        request_id=request.id,
        department_id=request.department_id,
        account_id=principal.account_id,
        body=data.body,
        created_at=utcnow(),
    )
    request.replies.append(answer)
    request.replied_at = answer.created_at
    session.flush()
    ledger.record(
        session,
        kind=EntryKind.OPENDATA_REPLIED,
        actor=ledger.actor_of(principal),
        subject=f"opendata-request:{request.id}",
        payload={
            "request_id": str(request.id),
            "reply_id": str(answer.id),
            "kind": request.kind.value,
            "resource_id": str(request.resource_id) if request.resource_id else None,
            "body_sha256": hashlib.sha256(answer.body.encode("utf-8")).hexdigest(),
        },
        department_id=request.department_id,
    )
    return answer
