"""The demo's reservation campaigns: masks first come first served, vaccination slots by lottery.

Both belong to the capital city's market regulation bureau (whose administrator and approver
are demo logins), with pickup points in the city's districts; they open at load time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.demo.plan import DemoPlan
from govhub.identity.codes import DivisionLevel
from govhub.identity.models import AccountKind, DepartmentType
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.reservations import service
from govhub.reservations.models import AllocationMode, Campaign
from govhub.reservations.schemas import CampaignCreate

CITY_CODE = "330100"
POINT_NAMES = ("社区卫生服务中心", "连锁药房", "街道便民服务点")

DEMO_CAMPAIGNS: tuple[dict[str, Any], ...] = (
    {
        "title": "口罩预约（第49周）",
        "item": "医用外科口罩 5 只",
        "mode": AllocationMode.FCFS,
        "quota_per_slot": 200,
        "shards": 8,
        "open_days": 7,
    },
    {
        "title": "疫苗接种时段摇号",
        "item": "流感疫苗接种一次",
        "mode": AllocationMode.LOTTERY,
        "quota_per_slot": 50,
        "shards": 1,
        "open_days": 3,
        "min_age": 60,
    },
)


def _organizer(plan: DemoPlan) -> Principal | None:
    department = next(
        (
            d
            for d in plan.departments
            if d.type is DepartmentType.MARKET_REGULATION and d.division_code == CITY_CODE
        ),
        None,
    )
    if department is None:
        return None
    return Principal(
        username="demo-loader",
        display_name="Demo loader",
        roles=frozenset({Role.DEPT_ADMIN}),
        kind=AccountKind.OFFICIAL,
        department_id=department.id,
        division_code=CITY_CODE,
    )


def load_campaigns(session: Session, plan: DemoPlan) -> int:
    """Publish the demo campaigns missing by title; return how many were published."""
    organizer = _organizer(plan)
    districts = [
        d for d in plan.divisions if d.parent_code == CITY_CODE and d.level is DivisionLevel.COUNTY
    ]
    if organizer is None or not districts:
        return 0
    titles = set(
        session.scalars(
            select(Campaign.title).where(Campaign.department_id == organizer.department_id)
        )
    )
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    published = 0
    for spec in DEMO_CAMPAIGNS:
        if spec["title"] in titles:
            continue
        closes = now + timedelta(days=spec["open_days"])
        days = [closes.replace(hour=1) + timedelta(days=i + 1) for i in range(3)]
        data = CampaignCreate.model_validate(
            {
                "title": spec["title"],
                "item": spec["item"],
                "mode": spec["mode"],
                "opens_at": now - timedelta(hours=1),
                "closes_at": closes,
                "points": [
                    {
                        "name": f"{d.name}{POINT_NAMES[i % len(POINT_NAMES)]}",
                        "division_code": d.code,
                    }
                    for i, d in enumerate(districts)
                ],
                "windows": [
                    {"starts_at": day, "ends_at": day + timedelta(hours=8)} for day in days
                ],
                "quota_per_slot": spec["quota_per_slot"],
                "shards": spec["shards"],
                "min_age": spec.get("min_age"),
            }
        )
        service.create_campaign(session, principal=organizer, data=data)
        published += 1
    return published
