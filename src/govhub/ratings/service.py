"""The ratings domain's operations: rate a completed service, work the rectification case a bad
rating opens (return visit, rectification, appeal) and compute the public statistics.

Ratings are read through `govhub.services` (the caller's own application, its matter, the
department that handled each matter); cases belong to that department. An upheld appeal
excludes the rating from every statistic.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.identity.models import Department, Division
from govhub.identity.permissions import Permission, Role
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.ratings.models import (
    LEVELS,
    AppealStatus,
    CaseStatus,
    Rating,
    RectificationCase,
    Resolution,
)
from govhub.ratings.schemas import (
    BAD,
    AppealCreate,
    AppealDecision,
    CaseClose,
    CaseRead,
    RatingCreate,
    RatingRead,
    ReturnVisit,
    Statistics,
    StatsBy,
    StatsRow,
)
from govhub.ratings.settings import get_rating_settings
from govhub.services import service as services
from govhub.services.models import Application, ApplicationStatus, Bundle, Matter, Task

FINISHED = frozenset({ApplicationStatus.APPROVED, ApplicationStatus.REJECTED})
DIMENSIONS = LEVELS[1:]


def _handled_by(
    session: Session, application: Application, matter_code: str | None
) -> tuple[str, uuid.UUID]:
    """Return the rated matter's code and the department that handled it."""
    if application.bundle_id is None:
        matter = session.get(Matter, application.matter_id)
        if matter is None or application.department_id is None:  # pragma: no cover - schema
            raise NotFound("no such application")
        if matter_code is not None and matter_code != matter.code:
            raise InvalidInput("matter_code must be the application's matter (or left out)")
        return matter.code, application.department_id
    bundle = session.get(Bundle, application.bundle_id)
    if matter_code is None or bundle is None or matter_code not in bundle.matter_codes:
        raise InvalidInput("a bundle is rated per matter: give one of its matter codes")
    department = session.scalars(
        select(Task.department_id)
        .where(
            Task.application_id == application.id,
            Task.matter_code == matter_code,
            Task.department_id.is_not(None),
        )
        .limit(1)
    ).first()
    if department is None:
        raise Conflict("this matter of the bundle was not handled")
    return matter_code, department


def rate(session: Session, *, principal: Principal, data: RatingCreate) -> Rating:
    """Rate your completed application; a bad rating opens a rectification case."""
    application = services.get_own(session, principal=principal, application_id=data.application_id)
    if application.status not in FINISHED:
        raise Conflict("only a completed application can be rated")
    matter_code, department_id = _handled_by(session, application, data.matter_code)
    taken = select(Rating.id).where(
        Rating.application_id == application.id, Rating.matter_code == matter_code
    )
    if session.scalars(taken).first() is not None:
        raise Conflict("this service is already rated")
    rating = Rating(
        application_id=application.id,
        applicant_id=application.applicant_id,
        matter_code=matter_code,
        department_id=department_id,
        division_code=application.division_code,
        overall=data.overall,
        efficiency=data.efficiency,
        guide_accuracy=data.guide_accuracy,
        convenience=data.convenience,
        usability=data.usability,
        reasons=[r.value for r in data.reasons],
        comment=data.comment,
    )
    try:
        with session.begin_nested():
            session.add(rating)
            session.flush()
    except IntegrityError as exc:  # a concurrent second rating
        raise Conflict("this service is already rated") from exc
    ledger.record(
        session,
        kind=EntryKind.RATING_SUBMITTED,
        actor=ledger.actor_of(principal),
        subject=f"rating:{rating.id}",
        payload={
            "rating": str(rating.id),
            "application": str(application.id),
            "matter": matter_code,
            **rating.levels(),
        },
        department_id=department_id,
    )
    if rating.overall <= BAD:
        _open_case(session, principal, rating)
    return rating


def _open_case(session: Session, principal: Principal, rating: Rating) -> RectificationCase:
    now = utcnow()
    days = get_rating_settings().rectification_working_days
    record = RectificationCase(
        rating_id=rating.id,
        department_id=rating.department_id,
        division_code=rating.division_code,
        status=CaseStatus.OPEN,
        opened_at=now,
        due_at=services.add_working_days(now, days),
    )
    session.add(record)
    session.flush()
    ledger.record(
        session,
        kind=EntryKind.RECTIFICATION_OPENED,
        actor=ledger.actor_of(principal),
        subject=f"rating-case:{record.id}",
        payload={"case": str(record.id), "rating": str(rating.id), "due_at": str(record.due_at)},
        department_id=rating.department_id,
    )
    return record


def rating_read(session: Session, rating: Rating) -> RatingRead:
    """Shape a rating for the API, with the id of its case if it has one."""
    case_id = session.scalars(
        select(RectificationCase.id).where(RectificationCase.rating_id == rating.id)
    ).first()
    return RatingRead.model_validate(rating).model_copy(update={"case_id": case_id})


def list_own(session: Session, *, principal: Principal) -> list[Rating]:
    """List your ratings, newest first."""
    query = (
        select(Rating)
        .where(Rating.applicant_id == principal.account_id)
        .order_by(Rating.created_at.desc(), Rating.id)
    )
    return list(session.scalars(query))


def inbox(
    session: Session,
    *,
    principal: Principal,
    status: CaseStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[RectificationCase], int]:
    """List your department's cases, earliest deadline first, and their total count."""
    if principal.department_id is None:
        return [], 0
    where: list[Any] = [RectificationCase.department_id == principal.department_id]
    if status is not None:
        where.append(RectificationCase.status == status)
    total = session.scalar(select(func.count()).select_from(RectificationCase).where(*where))
    rows = session.scalars(
        select(RectificationCase)
        .where(*where)
        .order_by(RectificationCase.due_at, RectificationCase.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total or 0


def case_read(session: Session, record: RectificationCase, now: datetime | None = None) -> CaseRead:
    """Shape a case for the API with its rating and overdue flag."""
    rating = session.get_one(Rating, record.rating_id)
    moment = now or utcnow()
    return CaseRead.model_validate(record).model_copy(
        update={
            "overdue": record.status is not CaseStatus.CLOSED and moment > record.due_at,
            "matter_code": rating.matter_code,
            "overall": rating.overall,
            "reasons": rating.reasons,
            "comment": rating.comment,
        }
    )


def _office_case(session: Session, principal: Principal, case_id: uuid.UUID) -> RectificationCase:
    record = session.get(RectificationCase, case_id)
    if record is None or record.department_id != principal.department_id:
        raise NotFound("no such case")
    return record


def get_case(session: Session, *, principal: Principal, case_id: uuid.UUID) -> RectificationCase:
    """Return one case of your department."""
    return _office_case(session, principal, case_id)


def view_case(session: Session, *, principal: Principal, case_id: uuid.UUID) -> RectificationCase:
    """Return a case of your department, or an appealed case whose appeal you may decide."""
    record = session.get(RectificationCase, case_id)
    if record is not None and record.department_id == principal.department_id:
        return record
    if (
        record is not None
        and record.appeal_status is not None
        and principal.can(Permission.RATINGS_DECIDE)
        and _may_decide(principal, record)
    ):
        return record
    raise NotFound("no such case")


def _close(
    session: Session, principal: Principal, record: RectificationCase, resolution: Resolution
) -> None:
    record.status = CaseStatus.CLOSED
    record.resolution = resolution
    record.closed_at = utcnow()
    record.closed_by = principal.account_id
    session.flush()
    ledger.record(
        session,
        kind=EntryKind.RECTIFICATION_CLOSED,
        actor=ledger.actor_of(principal),
        subject=f"rating-case:{record.id}",
        payload={"case": str(record.id), "resolution": resolution.value},
        department_id=record.department_id,
    )


def record_visit(
    session: Session, *, principal: Principal, case_id: uuid.UUID, data: ReturnVisit
) -> RectificationCase:
    """Record the real-name return visit to the applicant of your department's case."""
    record = _office_case(session, principal, case_id)
    if record.status is not CaseStatus.OPEN:
        raise Conflict("the return visit is already recorded or the case is closed")
    record.status = CaseStatus.VISITED
    record.visited_at = utcnow()
    record.visited_by = principal.account_id
    record.visit_contact = data.contact_name
    record.visit_notes = data.notes
    session.flush()
    return record


def close(
    session: Session, *, principal: Principal, case_id: uuid.UUID, data: CaseClose
) -> RectificationCase:
    """Close your department's case as rectified, after its return visit."""
    record = _office_case(session, principal, case_id)
    if record.status is not CaseStatus.VISITED:
        raise Conflict("a case closes only after its return visit and while it is open")
    if record.appeal_status is AppealStatus.PENDING:
        raise Conflict("an appeal on this case awaits its decision")
    record.measures = data.measures
    _close(session, principal, record, Resolution.RECTIFIED)
    return record


def appeal(
    session: Session, *, principal: Principal, case_id: uuid.UUID, data: AppealCreate
) -> RectificationCase:
    """Appeal against a mistaken review of your department (once per case, before closing)."""
    record = _office_case(session, principal, case_id)
    if record.status is CaseStatus.CLOSED or record.appeal_status is not None:
        raise Conflict("this case is closed or was already appealed")
    record.appeal_status = AppealStatus.PENDING
    record.appeal_reason = data.reason
    record.appealed_by = principal.account_id
    record.appealed_at = utcnow()
    session.flush()
    return record


def appeals(session: Session, *, principal: Principal) -> list[RectificationCase]:
    """List the pending appeals you may decide, oldest first."""
    query = (
        select(RectificationCase)
        .where(RectificationCase.appeal_status == AppealStatus.PENDING)
        .order_by(RectificationCase.appealed_at, RectificationCase.id)
    )
    return [r for r in session.scalars(query) if _may_decide(principal, r)]


def _may_decide(principal: Principal, record: RectificationCase) -> bool:
    return Role.PLATFORM_ADMIN in principal.roles or principal.covers(record.division_code)


def decide(
    session: Session, *, principal: Principal, case_id: uuid.UUID, data: AppealDecision
) -> RectificationCase:
    """Decide an appeal in your division subtree: upheld excludes the rating and closes the case."""
    record = session.get(RectificationCase, case_id)
    if record is None or not _may_decide(principal, record):
        raise NotFound("no such case")
    if record.appeal_status is not AppealStatus.PENDING:
        raise Conflict("this case has no appeal awaiting a decision")
    if record.appealed_by is not None and record.appealed_by == principal.account_id:
        raise Conflict("an appeal is decided by someone other than who filed it")
    record.decision_reason = data.reason
    record.decided_by = principal.account_id
    record.decided_at = utcnow()
    if data.upheld:
        record.appeal_status = AppealStatus.UPHELD
        rating = session.get_one(Rating, record.rating_id)
        rating.excluded = True
        _close(session, principal, record, Resolution.EXCLUDED)
    else:
        record.appeal_status = AppealStatus.DISMISSED
        session.flush()
    return record


def _names(session: Session, by: StatsBy, keys: list[str]) -> dict[str, str]:
    if not keys:
        return {}
    if by is StatsBy.MATTER:
        rows = session.execute(select(Matter.code, Matter.name_zh).where(Matter.code.in_(keys)))
    elif by is StatsBy.DEPARTMENT:
        ids = [uuid.UUID(k) for k in keys]
        rows = session.execute(select(Department.id, Department.name).where(Department.id.in_(ids)))
    else:
        rows = session.execute(select(Division.code, Division.name).where(Division.code.in_(keys)))
    return {str(key): name for key, name in rows}


def statistics(session: Session, *, by: StatsBy = StatsBy.MATTER) -> Statistics:
    """Count ratings per matter, department or division, with satisfaction rates."""
    column = {
        StatsBy.MATTER: Rating.matter_code,
        StatsBy.DEPARTMENT: Rating.department_id,
        StatsBy.DIVISION: Rating.division_code,
    }[by]

    def count_if(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            column,
            func.count(),
            *(count_if(Rating.overall == level) for level in range(1, 6)),
            *(func.avg(getattr(Rating, name)) for name in LEVELS),
        )
        .where(Rating.excluded.is_(False))
        .group_by(column)
    )
    results = session.execute(query).all()
    names = _names(session, by, [str(r[0]) for r in results])
    rows = []
    for result in results:
        key, count = str(result[0]), int(result[1])
        levels = {str(level): int(result[1 + level]) for level in range(1, 6)}
        averages = [round(float(v or 0), 2) for v in result[7:]]
        satisfied = levels["4"] + levels["5"]
        rows.append(
            StatsRow(
                key=key,
                name=names.get(key, key),
                count=count,
                satisfied=satisfied,
                dissatisfied=levels["1"] + levels["2"],
                satisfaction_rate=round(satisfied / count, 4) if count else 0.0,
                average=averages[0],
                levels=levels,
                dimensions=dict(zip(DIMENSIONS, averages[1:], strict=True)),
            )
        )
    rows.sort(key=lambda r: (-r.count, r.key))
    total = sum(r.count for r in rows)
    satisfied_total = sum(r.satisfied for r in rows)
    rate_all = round(satisfied_total / total, 4) if total else 0.0
    return Statistics(by=by, total=total, satisfaction_rate=rate_all, rows=rows)
