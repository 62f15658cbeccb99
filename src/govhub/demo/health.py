"""Demo health data: nucleic-acid test results and travel records, and the rules over them.

Hangzhou's health commission ("HZ-WJ") gets two resources, each published with one version
built with a seeded zh_CN Faker and dated back from the day of loading: test results
("核酸检测结果": most demo residents tested negative in the last week, a few positive) and
travel records ("行程记录": some arrived from a risk area). Two active rules turn them into
colors (a positive test within 14 days: red; a risk area within 7 days: yellow) and a third,
inactive, shows the "no negative test within 7 days" kind. Everything goes through the
catalog, ingest and health-rule services, so versions and rules are ledgered as usual.
Resources that already have a version are left alone, so loading twice changes nothing.
"""

from __future__ import annotations

import csv
import random
import tempfile
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from faker import Faker
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.catalog.schemas import ResourceCreate
from govhub.data.ingest import service as ingest_service
from govhub.demo.people import CitizenSeed
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.reservations.health import rules
from govhub.reservations.health.schemas import RuleCreate

DEPARTMENT = "HZ-WJ"
DIVISION = "330100"
TESTS_TITLE = "核酸检测结果"
TRAVEL_TITLE = "行程记录"
TEST_COLUMNS = ("sfzhm", "jcrq", "jcjg", "jcjg_jgmc")
TRAVEL_COLUMNS = ("sfzhm", "ddrq", "cfd", "fxdq")
POSITIVE_SHARE = 0.03
RISK_TRAVEL_SHARE = 0.08
_ID_FIELD = {"name": "sfzhm", "type": "string", "description": "公民身份号码",
             "element_code": "id_number", "is_personal": True}  # fmt: skip


def _resource_body(title: str, title_en: str, fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "title": title,
        "title_en": title_en,
        "description": f"杭州市卫生健康委员会汇集的{title}，供健康码规则使用。",
        "description_en": f"{title_en} gathered by the health commission for health-code rules.",
        "update_frequency": "daily",
        "keywords": ["健康码", title],
        "themes": ["health"],
        "division_codes": [DIVISION],
        "sharing_type": "conditional",
        "sharing_conditions": "仅用于健康码判定",
        "opening_type": "not_open",
        "security_class": "important",
        "sensitivity": "sensitive",
        "contact_name": "健康码专班",
        "contact_phone": "0571-87000120",
        "contact_email": "jkm@wjw.example.gov.cn",
        "license": "",
        "fields": [_ID_FIELD, *fields],
    }


def build_tests(citizens: Sequence[CitizenSeed], today: date, seed: int) -> list[dict[str, str]]:
    """Return test results: a negative test in the last week for most residents, a positive
    one in the last 10 days for a few, nothing recent for the rest."""
    rng, fake = random.Random(f"{seed}:health-tests"), Faker("zh_CN")  # noqa: S311 - demo data
    fake.seed_instance(seed)
    out = []
    for citizen in citizens:
        roll = rng.random()
        if roll < POSITIVE_SHARE:
            out.append((citizen.id_number, today - timedelta(days=rng.randrange(10)), "阳性"))
        elif roll < 0.8:
            out.append((citizen.id_number, today - timedelta(days=rng.randrange(7)), "阴性"))
        else:
            out.append((citizen.id_number, today - timedelta(days=rng.randrange(20, 60)), "阴性"))
    return [
        {"sfzhm": number, "jcrq": day.isoformat(), "jcjg": result,
         "jcjg_jgmc": f"{fake.city_name()}检测中心"}
        for number, day, result in out
    ]  # fmt: skip


def build_travel(citizens: Sequence[CitizenSeed], today: date, seed: int) -> list[dict[str, str]]:
    """Return travel records: a few residents arrived from a risk area in the last 5 days."""
    rng, fake = random.Random(f"{seed}:health-travel"), Faker("zh_CN")  # noqa: S311 - demo data
    fake.seed_instance(seed + 1)
    rows = []
    for citizen in citizens:
        if rng.random() < 0.3:
            risk = rng.random() < RISK_TRAVEL_SHARE / 0.3
            days = rng.randrange(5) if risk else rng.randrange(30)
            rows.append(
                {"sfzhm": citizen.id_number, "ddrq": (today - timedelta(days=days)).isoformat(),
                 "cfd": fake.city_name(), "fxdq": "是" if risk else "否"}
            )  # fmt: skip
    return rows


def _publish(
    session: Session,
    principal: Principal,
    department_id: uuid.UUID,
    body: dict[str, Any],
    rows: list[dict[str, str]],
    columns: tuple[str, ...],
) -> Resource | None:
    resource = session.scalar(
        select(Resource).where(
            Resource.department_id == department_id, Resource.title == body["title"]
        )
    )
    if resource is None:
        data = ResourceCreate.model_validate({**body, "department_id": str(department_id)})
        resource = catalog_service.create_resource(session, principal=principal, data=data)
    elif session.scalar(select(DatasetVersion.id).where(DatasetVersion.resource_id == resource.id)):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(columns))
            writer.writeheader()
            writer.writerows(rows)
        ingest_service.ingest(
            session, principal=principal, resource_id=resource.id, source=path, filename=path.name
        )
    return resource


def load_health(
    session: Session,
    *,
    citizens: Sequence[CitizenSeed],
    department_ids: dict[str, Any],
    seed: int,
) -> list[str]:
    """Publish the demo health datasets and their rules; return the titles published."""
    department_id = department_ids.get(DEPARTMENT)
    if department_id is None:
        return []
    commission = Principal(
        username="demo-loader",
        display_name="Demo loader",
        roles=frozenset({Role.PLATFORM_ADMIN}),
        department_id=department_id,
        division_code=DIVISION,
    )
    today = utcnow().date()
    published = []
    tests = _publish(
        session, commission, department_id,
        _resource_body(TESTS_TITLE, "Nucleic-acid test results", [
            {"name": "jcrq", "type": "date", "description": "检测日期"},
            {"name": "jcjg", "type": "string", "description": "检测结果（阳性/阴性）"},
            {"name": "jcjg_jgmc", "type": "string", "description": "检测机构"},
        ]),
        build_tests(citizens, today, seed), TEST_COLUMNS,
    )  # fmt: skip
    travel = _publish(
        session, commission, department_id,
        _resource_body(TRAVEL_TITLE, "Travel records", [
            {"name": "ddrq", "type": "date", "description": "抵达日期"},
            {"name": "cfd", "type": "string", "description": "出发地"},
            {"name": "fxdq", "type": "string", "description": "是否来自风险地区（是/否）"},
        ]),
        build_travel(citizens, today, seed), TRAVEL_COLUMNS,
    )  # fmt: skip
    if tests is not None:
        published.append(TESTS_TITLE)
        for body in (
            {"name": "14天内核酸检测阳性", "priority": 10, "color": "red", "match_value": "阳性",
             "within_days": 14},
            {"name": "7天内无核酸阴性结果", "priority": 30, "color": "yellow", "match": "absent",
             "match_value": "阴性", "within_days": 7, "active": False},
        ):  # fmt: skip
            data = RuleCreate.model_validate(
                {"resource_id": tests.id, "id_field": "sfzhm", "date_field": "jcrq",
                 "match_field": "jcjg", **body}
            )  # fmt: skip
            rules.create_rule(session, principal=commission, data=data)
    if travel is not None:
        published.append(TRAVEL_TITLE)
        data = RuleCreate.model_validate(
            {"name": "7天内来自风险地区", "priority": 20, "color": "yellow",
             "resource_id": travel.id, "id_field": "sfzhm", "date_field": "ddrq",
             "match_field": "fxdq", "match_value": "是", "within_days": 7}
        )  # fmt: skip
        rules.create_rule(session, principal=commission, data=data)
    return published
