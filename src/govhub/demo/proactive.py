"""Demo proactive service: birth certificates invite the parents to claim the childcare subsidy.

Hangzhou's health commission ("HZ-WJ") publishes the birth medical certificates issued in the
last months ("出生医学证明信息", made with a seeded zh_CN Faker: certificate number, child's
name and birth date, both parents' ID numbers, the county) and keeps a rule over them: each
newborn of Hangzhou invites both parents to apply for the childcare subsidy (`WS-005`) with the
child's name, birth date and certificate number pre-filled. The demo resident `citizen` is a
parent of the first newborn, so signing in shows an invitation at `/services/invitations`.
Everything goes through the catalog, ingest and proactive services (ledgered as usual); a
resource that already has a version is left alone, so loading twice changes nothing.
"""

from __future__ import annotations

import csv
import random
import tempfile
import uuid
from collections.abc import Sequence
from datetime import timedelta
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
from govhub.demo.geography import county_codes
from govhub.demo.people import CitizenSeed
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.services.proactive import service as proactive
from govhub.services.proactive.schemas import RuleCreate

DEPARTMENT = "HZ-WJ"
DIVISION = "330100"
TITLE = "出生医学证明信息"
MATTER = "WS-005"
NEWBORNS = 60
COLUMNS = ("cszmbh", "xsrxm", "csrq", "mqsfzh", "fqsfzh", "csdxzqh")
_FIELDS: list[dict[str, Any]] = [
    {"name": "cszmbh", "type": "string", "description": "出生医学证明编号"},
    {"name": "xsrxm", "type": "string", "description": "新生儿姓名", "is_personal": True},
    {"name": "csrq", "type": "date", "description": "出生日期"},
    {"name": "mqsfzh", "type": "string", "description": "母亲公民身份号码",
     "element_code": "id_number", "is_personal": True},
    {"name": "fqsfzh", "type": "string", "description": "父亲公民身份号码",
     "element_code": "id_number", "is_personal": True},
    {"name": "csdxzqh", "type": "string", "description": "出生地行政区划代码"},
]  # fmt: skip
RULE = {
    "name": "新生儿父母育儿补贴主动邀请",
    "matter_code": MATTER,
    "definition": {
        "person_fields": ["mqsfzh", "fqsfzh"],
        "key_field": "cszmbh",
        "division_field": "csdxzqh",
        "date_field": "csrq",
        "within_days": 365,
        "prefill": {"child_name": "xsrxm", "birth_date": "csrq", "birth_cert_no": "cszmbh"},
    },
}


def build_births(citizens: Sequence[CitizenSeed], seed: int) -> list[dict[str, str]]:
    """Return birth certificates of the last 90 days; the first newborn's mother is the demo
    resident `citizen`, the other parents are demo residents taken in pairs."""
    rng, fake = random.Random(f"{seed}:births"), Faker("zh_CN")  # noqa: S311 - demo data
    fake.seed_instance(seed + 2)
    counties = [c for c in county_codes() if c.startswith(DIVISION[:4])] or [DIVISION]
    today = utcnow().date()
    rows = []
    for n in range(min(NEWBORNS, len(citizens) // 2)):
        mother, father = citizens[2 * n], citizens[2 * n + 1]
        rows.append(
            {"cszmbh": f"R33{today.year % 100:02d}{n + 1:07d}", "xsrxm": fake.name(),
             "csrq": (today - timedelta(days=rng.randrange(90))).isoformat(),
             "mqsfzh": mother.id_number, "fqsfzh": father.id_number,
             "csdxzqh": rng.choice(counties)}
        )  # fmt: skip
    return rows


def _resource_body(department_id: uuid.UUID) -> dict[str, Any]:
    return {
        "title": TITLE,
        "title_en": "Birth medical certificates",
        "description": "杭州市卫生健康委员会签发的出生医学证明信息，用于主动服务。",
        "description_en": "Birth medical certificates issued in Hangzhou, for proactive services.",
        "update_frequency": "daily",
        "keywords": ["出生", "新生儿", "主动服务"],
        "themes": ["health"],
        "division_codes": [DIVISION],
        "sharing_type": "conditional",
        "sharing_conditions": "仅用于主动服务和出生一件事",
        "opening_type": "not_open",
        "security_class": "important",
        "sensitivity": "sensitive",
        "contact_name": "妇幼健康处",
        "contact_phone": "0571-87000121",
        "contact_email": "fy@wjw.example.gov.cn",
        "license": "",
        "fields": _FIELDS,
        "department_id": str(department_id),
    }


def load_proactive(
    session: Session,
    *,
    citizens: Sequence[CitizenSeed],
    department_ids: dict[str, Any],
    seed: int,
) -> int:
    """Publish the birth certificates and the subsidy rule; return the invitations sent."""
    department_id = department_ids.get(DEPARTMENT)
    if department_id is None or len(citizens) < 2:
        return 0
    commission = Principal(
        username="demo-loader",
        display_name="Demo loader",
        roles=frozenset({Role.PLATFORM_ADMIN}),
        department_id=department_id,
        division_code=DIVISION,
    )
    resource = session.scalar(
        select(Resource).where(Resource.department_id == department_id, Resource.title == TITLE)
    )
    if resource is None:
        data = ResourceCreate.model_validate(_resource_body(department_id))
        resource = catalog_service.create_resource(session, principal=commission, data=data)
    elif session.scalar(select(DatasetVersion.id).where(DatasetVersion.resource_id == resource.id)):
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "births.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
            writer.writeheader()
            writer.writerows(build_births(citizens, seed))
        ingest_service.ingest(
            session, principal=commission, resource_id=resource.id, source=path,
            filename=path.name,
        )  # fmt: skip
    rule = proactive.create_rule(
        session,
        principal=commission,
        data=RuleCreate.model_validate({**RULE, "resource_id": str(resource.id)}),
    )
    return proactive.evaluate_now(session, principal=commission, rule_id=rule.id).invited
